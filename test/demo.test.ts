/**
 * `npm run demo` is the newcomer's first contact: it must run and tell the story it promises —
 * a denial, authorizations, a public join, a de-authorization — with every config verified.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

test('the demo runs and shows each step of the story', async () => {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'examples/demo.ts'],
    { cwd: repoRoot },
  );
  assert.equal(stderr, '');
  const lines = stdout.split('\n').map((line) => line.trim());
  const has = (pattern: RegExp): boolean => lines.some((line) => pattern.test(line));

  assert.ok(has(/^alice asks for "lab" -> ACCESS_DENIED$/), 'a private network denies a stranger');
  assert.ok(has(/^alice asks for "lab" -> OK$/), 'an authorized member gets its config');
  assert.ok(has(/^alice asks for "lab" -> OK_BUT_NOT_NEWER$/), 'an up-to-date member gets nothing new');
  assert.ok(has(/^carol asks for "cafe" -> OK$/), 'a public network admits anyone');
  assert.ok(has(/-> OBJECT_NOT_FOUND$/), 'an unknown network is reported');
  assert.ok(has(/^someone claiming alice's address with another key -> ACCESS_DENIED$/));
  assert.ok(has(/^bob asks for "lab" -> ACCESS_DENIED$/), 'a de-authorized member is refused');
  assert.ok(has(/^certificates of alice \(revision 2\) and bob \(revision 2\) agree: yes/));
  assert.ok(has(/^certificates of alice \(revision 19\) and bob \(revision 2\) agree: NO/));
  assert.ok(has(/^revision jumped to 19 \(by the certificate max delta 16 \+ 1\)$/));
  assert.ok(has(/^addresses 10\.147\.17\.\d+\/24, fd[0-9a-f:]+\/88$/), 'private member gets IPv4 and rfc4193 IPv6');
  assert.ok(has(/^addresses 10\.200\.\d+\.\d+\/16$/), 'public member gets an address from its pool');

  const verified = lines.filter((line) => line.startsWith('signature by master verified:'));
  assert.ok(verified.length >= 5);
  assert.ok(verified.every((line) => line.endsWith('yes')), 'every config verifies');
  const certificates = lines.filter((line) => line.startsWith('certificate of membership:'));
  assert.ok(certificates.every((line) => !line.includes('INVALID')));
  assert.ok(certificates.some((line) => line.endsWith('verified')));
});
