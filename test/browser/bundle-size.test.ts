/** The browser bundle budget: `npm run bundle-size` reports the library under 60 KB min+gzip, and fails above its budget. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const run = (...args: string[]) => spawnSync(process.execPath, ['scripts/bundle-size.mjs', '--json', ...args], { encoding: 'utf8' });

test('the library alone bundles for the browser within its 60 KB min+gzip budget, the OpenAPI document on demand', () => {
  const result = run();
  assert.equal(result.status, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.equal(report.targetLibraryGzipKB, 60);
  assert.ok(report.libraryOnly.gzipKB <= 60, `library ${report.libraryOnly.gzipKB} KB`);
  assert.ok(report.onDemand.gzipKB > 0, 'the OpenAPI document is measured on its own');
  assert.deepEqual(Object.keys(report.libraryBySource), ['library'], 'no bundled library but the package\'s own code');
});

test('the script exits 1, naming the overrun, when the bundle is over its budget', () => {
  const result = run('--target-kb', '1');
  assert.equal(result.status, 1);
  assert.match(result.stderr, /exceeds the 1 KB target/);
});
