/**
 * Deterministic mode (examples/deterministic.ts): with a fixed clock, seeded random bytes and
 * test identities, two separate runs print byte-identical output — network IDs, timestamps,
 * signed configs, the wire payload and the backup file.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

async function runExample(): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'examples/deterministic.ts'],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  return stdout;
}

test('two runs of the deterministic example print the same bytes', async () => {
  const [first, second] = await Promise.all([runExample(), runExample()]);
  assert.equal(first, second);

  const masterAddress = TEST_IDENTITIES[0]!.slice(0, 10);
  const ids = /^network IDs: +([0-9a-f]{16}) ([0-9a-f]{16})$/m.exec(first);
  assert.ok(ids, first);
  assert.ok(ids[1]!.startsWith(masterAddress) && ids[2]!.startsWith(masterAddress));
  assert.notEqual(ids[1], ids[2]);
  assert.match(first, /^creation time: +1435708800000$/m, 'the injected clock, not the real one');
  assert.match(first, /^ {2}~!sigts=14e46e9[0-9a-f]+$/m, 'the signature time comes from the injected clock');
  assert.match(first, /^ {2}~!ed25519=[0-9a-f]{192}$/m);
  assert.match(first, /^OK payload SHA-256: [0-9a-f]{64}$/m);
});
