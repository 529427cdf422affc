/**
 * The CLI's commands, run in-process through `main(args, io)` against a real durable database in a
 * temporary directory: outputs, `--json`, exit codes, and that a refused command changes nothing.
 * (test/cli-process.test.ts runs the real binary for init, help and the lock.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../src/cli/main.js';
import { ExitCode } from '../src/cli/exit-codes.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { Identity } from '../src/crypto/identity.js';
import { openSqlJsStorage } from '../src/storage/index.js';

const cryptoVectors = JSON.parse(
  readFileSync(new URL('./vectors/crypto.json', import.meta.url), 'utf8'),
) as { identities: { known_good: string; known_bad: string } };

interface Run {
  code: number;
  out: string;
  err: string;
}

const dir = mkdtempSync(join(tmpdir(), 'cli-commands-'));
const db = join(dir, 'netconf.db');
const identityFile = join(dir, 'identity.secret');
const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
const memberAddress = Identity.fromString(TEST_IDENTITIES[1]!).address;

async function cli(...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await main(['--db', db, '--identity', identityFile, ...args], {
    out: (text) => (out += text),
    err: (text) => (err += text),
    errIsTty: false,
  });
  return { code, out, err };
}

async function cliJson<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const run = await cli('--json', ...args);
  assert.equal(run.code, ExitCode.OK, run.err);
  return JSON.parse(run.out) as T;
}

/** Every file of the database (main file and log), by name; the lock file comes and goes. */
function databaseFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    if (name.startsWith('netconf.db') && !name.endsWith('.lock')) {
      files.set(name, readFileSync(join(dir, name)).toString('hex'));
    }
  }
  return files;
}

/** Runs a command that must fail with `code`, one line on stderr, and no change to the database. */
async function refused(code: number, pattern: RegExp, ...args: string[]): Promise<void> {
  const before = databaseFiles();
  const run = await cli(...args);
  assert.equal(run.code, code, `exit code of ${args.join(' ')}: ${run.err}`);
  assert.equal(run.out, '');
  assert.match(run.err, pattern);
  assert.equal(run.err.trimEnd().split('\n').length, 1, `one line on stderr, got: ${run.err}`);
  assert.deepEqual(databaseFiles(), before, 'the database files are unchanged');
}

before(async () => {
  writeFileSync(identityFile, masterIdentity.toString(true) + '\n', { mode: 0o600 });
  const storage = await openSqlJsStorage({ path: db });
  await storage.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('networks', () => {
  test('create prints the new ID, which starts with the master address; list and show find it', async () => {
    const created = await cli('network', 'create', '--name', 'lab', '--v4-assign', 'zt', '--pool', '10.1.0.0/16');
    assert.equal(created.code, ExitCode.OK, created.err);
    const nwid = created.out.trim();
    assert.match(nwid, /^[0-9a-f]{16}$/);
    assert.equal(nwid.slice(0, 10), masterIdentity.address);

    const list = await cli('network', 'list');
    assert.match(list.out, /^ID\s+NAME\s+PRIVATE\s+REVISION\s+IP POOLS\n/);
    assert.match(list.out, new RegExp(`${nwid}\\s+lab\\s+yes\\s+1\\s+10\\.1\\.0\\.0/16`));

    const shown = await cliJson('network', 'show', nwid);
    assert.equal(shown.id, nwid);
    assert.equal(shown.name, 'lab');
    assert.equal(shown.private, true);
    assert.equal(shown.v4AssignMode, 'zt');
    assert.deepEqual(shown.ipPools, ['10.1.0.0/16']);
    assert.equal(shown.revision, '1', 'bigints are JSON strings');
  });

  test('set changes only what is given and raises the revision; --json list parses', async () => {
    const nwid = (await cli('network', 'create', '--name', 'office', '--public')).out.trim();
    const updated = await cliJson('network', 'set', nwid, '--description', 'HQ', '--ether-types', '0800,0806');
    assert.equal(updated.description, 'HQ');
    assert.equal(updated.name, 'office');
    assert.equal(updated.private, false);
    assert.deepEqual(updated.etherTypes, [0x0800, 0x0806]);
    assert.equal(updated.revision, '2');
    const list = await cliJson<Array<{ id: string }>>('network', 'list');
    assert.ok(list.some((n) => n.id === nwid));
  });

  test('delete removes the network', async () => {
    const nwid = (await cli('network', 'create', '--name', 'temporary')).out.trim();
    const deleted = await cli('network', 'delete', nwid);
    assert.equal(deleted.code, ExitCode.OK);
    assert.match(deleted.out, new RegExp(`deleted network ${nwid}`));
    await refused(ExitCode.BAD_INPUT, /unknown network/, 'network', 'show', nwid);
  });

  test('bad input is refused with one line, exit code 1, and nothing changed', async () => {
    await refused(ExitCode.BAD_INPUT, /malformed network ID "12345"/, 'network', 'show', '12345');
    await refused(ExitCode.BAD_INPUT, /unknown network/, 'network', 'set', `${masterIdentity.address}abcdef`, '--name', 'x');
    await refused(ExitCode.BAD_INPUT, /malformed CIDR/, 'network', 'create', '--pool', '10.0.0.0/40');
    await refused(ExitCode.BAD_INPUT, /IPv4 assign mode/, 'network', 'create', '--v4-assign', 'magic');
    await refused(ExitCode.BAD_INPUT, /nothing to change/, 'network', 'set', `${masterIdentity.address}abcdef`);
    await refused(ExitCode.BAD_INPUT, /--private and --public/, 'network', 'create', '--private', '--public');
    await refused(ExitCode.BAD_INPUT, /unknown option/, 'network', 'create', '--colour', 'blue');
  });

  test('--version prints the package version', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const version = await cli('--version');
    assert.equal(version.code, ExitCode.OK);
    assert.equal(version.out, `${manifest.version}\n`);
  });

  test('help lists the exit codes', async () => {
    const help = await cli('--help');
    assert.equal(help.code, ExitCode.OK);
    assert.match(help.out, /Exit codes:\n {2}0 {2}done/);
  });
});

describe('members and pools', () => {
  let nwid = '';
  before(async () => {
    nwid = (await cli('network', 'create', '--name', 'members', '--v4-assign', 'zt')).out.trim();
  });

  test('authorize, name, ip, bridge and deauthorize show the member as it is afterwards', async () => {
    const authorized = await cliJson('member', 'authorize', nwid, memberAddress);
    assert.equal(authorized.address, memberAddress);
    assert.equal(authorized.authorized, true);

    assert.equal((await cliJson('member', 'name', nwid, memberAddress, 'build box')).name, 'build box');
    assert.equal((await cliJson('member', 'notes', nwid, memberAddress, 'rack 4')).notes, 'rack 4');
    const withIps = await cliJson('member', 'ip', nwid, memberAddress, '10.9.0.5/16', 'fd00::5/64');
    assert.equal((withIps.ipAssignments as string[]).length, 2);
    assert.ok((withIps.ipAssignments as string[]).includes('10.9.0.5/16'));
    assert.equal((await cliJson('member', 'bridge', nwid, memberAddress, 'on')).activeBridge, true);

    const table = await cli('member', 'list', nwid);
    assert.match(table.out, /^ADDRESS\s+NAME\s+AUTHORIZED/);
    assert.match(table.out, new RegExp(`${memberAddress}\\s+build box\\s+yes\\s+yes`));

    const revisionBefore = BigInt((await cliJson('network', 'show', nwid)).revision as string);
    const deauthorized = await cliJson('member', 'deauthorize', nwid, memberAddress);
    assert.equal(deauthorized.authorized, false);
    const revisionAfter = BigInt((await cliJson('network', 'show', nwid)).revision as string);
    assert.equal(revisionAfter - revisionBefore, 17n, 'de-authorization jumps by max delta + 1');

    const shown = await cli('member', 'show', nwid, memberAddress);
    assert.match(shown.out, /^address:\s+/m);
    assert.match(shown.out, /^authorized:\s+no$/m);

    const cleared = await cliJson('member', 'ip', nwid, memberAddress);
    assert.deepEqual(cleared.ipAssignments, []);

    const deleted = await cli('member', 'delete', nwid, memberAddress);
    assert.equal(deleted.code, ExitCode.OK, deleted.err);
    assert.deepEqual(await cliJson('member', 'list', nwid), []);
  });

  test('member mistakes are refused and change nothing', async () => {
    await refused(ExitCode.BAD_INPUT, /malformed member address/, 'member', 'authorize', nwid, 'xyz');
    await refused(ExitCode.BAD_INPUT, /no member 00000000aa/, 'member', 'show', nwid, '00000000aa');
    await refused(ExitCode.BAD_INPUT, /expected "on" or "off"/, 'member', 'bridge', nwid, memberAddress, 'maybe');
    await refused(ExitCode.BAD_INPUT, /malformed CIDR "10\.1\.2\.300\/8"/, 'member', 'ip', nwid, memberAddress, '10.1.2.300/8');
    await refused(ExitCode.BAD_INPUT, /unknown network/, 'member', 'list', `${masterIdentity.address}fedcba`);
  });

  test('pool add clears host bits, pool remove takes it away; removing a missing pool fails', async () => {
    const added = await cliJson('pool', 'add', nwid, '10.30.1.7/16');
    assert.deepEqual(added.ipPools, ['10.30.0.0/16']);
    const again = await cliJson('pool', 'add', nwid, '10.30.0.0/16');
    assert.deepEqual(again.ipPools, ['10.30.0.0/16'], 'adding a pool twice changes nothing');
    const removed = await cliJson('pool', 'remove', nwid, '10.30.0.0/16');
    assert.deepEqual(removed.ipPools, []);
    await refused(ExitCode.BAD_INPUT, /has no pool/, 'pool', 'remove', nwid, '10.30.0.0/16');
  });
});

describe('backup, restore and identities', () => {
  test('backup writes a database that restore brings back elsewhere', async () => {
    const nwid = (await cli('network', 'create', '--name', 'kept')).out.trim();
    const backupFile = join(dir, 'backup.db');
    const backup = await cli('backup', backupFile);
    assert.equal(backup.code, ExitCode.OK, backup.err);
    assert.equal(readFileSync(backupFile).subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
    await refused(ExitCode.BAD_INPUT, /already exists/, 'backup', backupFile);

    const otherDb = join(dir, 'restored.db');
    const restored = await cli('--db', otherDb, 'restore', backupFile);
    assert.equal(restored.code, ExitCode.OK, restored.err);
    const shown = await cliJson('--db', otherDb, 'network', 'show', nwid);
    assert.equal(shown.name, 'kept');
    const again = await cli('--db', otherDb, 'restore', backupFile);
    assert.equal(again.code, ExitCode.BAD_INPUT);
    assert.match(again.err, /already exists \(pass --force/);
  });

  test('restore refuses a file that is not a netconf database and leaves the database alone', async () => {
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not sqlite');
    await refused(ExitCode.STORAGE, /./, 'restore', '--force', junk);
  });

  test('identity validate checks the proof of work (vectors), by string or file', async () => {
    const good = await cliJson('identity', 'validate', cryptoVectors.identities.known_good);
    assert.equal(good.valid, true);
    assert.equal(good.hasPrivate, true);
    const bad = await cli('identity', 'validate', cryptoVectors.identities.known_bad);
    assert.equal(bad.code, ExitCode.BAD_INPUT);
    assert.match(bad.out, /^INVALID/);
    const fromFile = await cli('identity', 'validate', identityFile);
    assert.equal(fromFile.code, ExitCode.OK);
    assert.match(fromFile.out, new RegExp(`^valid: ${masterIdentity.address}`));
    const garbage = await cli('identity', 'validate', 'abc:0:zz');
    assert.equal(garbage.code, ExitCode.BAD_INPUT);
    assert.match(garbage.err, /not an identity/);
  });

  test('identity show prints the public identity, never the secret', async () => {
    const shown = await cliJson('identity', 'show');
    assert.equal(shown.address, masterIdentity.address);
    assert.equal(shown.identity, masterIdentity.toString(false));
    const text = await cli('identity', 'show');
    assert.ok(!text.out.includes(masterIdentity.toString(true).split(':')[3]!));
  });

  test('network list warns when the database holds networks of another master identity', async () => {
    const otherIdentity = join(dir, 'other.secret');
    writeFileSync(otherIdentity, TEST_IDENTITIES[2]! + '\n');
    const listed = await cli('--identity', otherIdentity, 'network', 'list');
    assert.equal(listed.code, ExitCode.OK);
    assert.match(listed.err, new RegExp(`^warning: \\d+ network\\(s\\) were created by another master identity \\(${masterIdentity.address}\\)`));
    const own = await cli('network', 'list');
    assert.equal(own.err, '');
  });

  test('missing database and missing identity have their own exit codes', async () => {
    const missingDb = await cli('--db', join(dir, 'absent.db'), 'network', 'list');
    assert.equal(missingDb.code, ExitCode.STORAGE);
    assert.match(missingDb.err, /no database at .*absent\.db/);
    const missingIdentity = await cli('--identity', join(dir, 'absent.secret'), 'network', 'list');
    assert.equal(missingIdentity.code, ExitCode.IDENTITY);
    assert.match(missingIdentity.err, /no master identity at/);
    const publicOnly = join(dir, 'public-only.secret');
    writeFileSync(publicOnly, masterIdentity.toString(false));
    const noSecret = await cli('--identity', publicOnly, 'network', 'list');
    assert.equal(noSecret.code, ExitCode.IDENTITY);
    assert.match(noSecret.err, /only a public identity/);
  });
});
