/** The CLI's small helpers: the admin token, the caller's folder under npm, delayed progress, argument checks. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultAuthTokenPath, readAuthToken, writeAuthTokenIfMissing } from '../src/cli/auth-token.js';
import { generateAuthToken } from '../src/node/token-files.js';
import { callerDirectory } from '../src/cli/caller-directory.js';
import { parseEtherTypes } from '../src/cli/arguments.js';
import { withDelayedProgress } from '../src/cli/progress.js';

test('an admin token is 24 characters of [a-z0-9], drawn without bias', () => {
  for (let i = 0; i < 50; i++) assert.match(generateAuthToken(), /^[a-z0-9]{24}$/);
  // Every character of the alphabet is drawn (randomInt draws without modulo bias).
  const seen = new Set([...Array.from({ length: 200 }, () => generateAuthToken()).join('')]);
  assert.equal(seen.size, 36);
});

test('the token file is written once (0600, no newline), and read back trimmed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-token-'));
  try {
    const path = defaultAuthTokenPath(join(dir, 'netconf.db'));
    assert.equal(path, join(dir, 'authtoken.secret'));
    assert.equal(await writeAuthTokenIfMissing(path), true);
    const token = readFileSync(path, 'utf8');
    assert.match(token, /^[a-z0-9]{24}$/);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(await writeAuthTokenIfMissing(path), false);
    assert.equal(readFileSync(path, 'utf8'), token, 'an existing token is kept');
    writeFileSync(path, `${token}\n`);
    assert.equal(await readAuthToken(path), token);
    writeFileSync(path, '');
    await assert.rejects(readAuthToken(path), /is empty/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('only our own cli script under npm moves to the caller\'s folder', () => {
  const npm = { npm_lifecycle_event: 'cli', npm_package_name: 'zt-netconf-master', INIT_CWD: '/home/op' };
  assert.equal(callerDirectory(npm), '/home/op');
  assert.equal(callerDirectory({ ...npm, npm_lifecycle_event: 'deploy' }), undefined, 'another script');
  assert.equal(callerDirectory({ ...npm, npm_package_name: 'someone-else' }), undefined, 'another package');
  assert.equal(callerDirectory({}), undefined, 'not under npm');
});

test('progress appears on stderr only when the work outlasts the delay, and never with --json', async () => {
  const lines: string[] = [];
  const io = { out: () => undefined, err: (text: string) => void lines.push(text), errIsTty: false };
  const slow = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  assert.equal(await withDelayedProgress(io, 'quick', { quiet: false, delayMs: 10_000 }, async () => 1), 1);
  assert.deepEqual(lines, []);
  await withDelayedProgress(io, 'writing b.db', { quiet: false, delayMs: 5 }, async (progress) => {
    await slow(50);
    progress.update('1.0 MB of 2.0 MB');
  });
  assert.equal(lines[0], 'writing b.db...\n');
  assert.match(lines.at(-1)!, /^writing b\.db: done in \d+\.\d s\n$/);
  lines.length = 0;
  await withDelayedProgress(io, 'quiet', { quiet: true, delayMs: 0 }, () => slow(20));
  assert.deepEqual(lines, []);
});

test('Ethernet types: a hex list, "all", or nothing; a list holding 0 (the netconf\'s "all") is all', () => {
  assert.deepEqual(parseEtherTypes('0800, 0x0806,86DD'), [0x0800, 0x0806, 0x86dd]);
  assert.deepEqual(parseEtherTypes('all'), [0]);
  assert.deepEqual(parseEtherTypes(''), []);
  assert.deepEqual(parseEtherTypes('0800,0'), [0], 'one setting however it is written, in both CLI modes');
  assert.throws(() => parseEtherTypes('0800,ipv4'), /malformed Ethernet type "ipv4"/);
});
