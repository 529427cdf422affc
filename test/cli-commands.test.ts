/**
 * The CLI's commands, run in-process through `main(args, io)` against a real durable database in a
 * temporary directory: outputs, `--json`, exit codes, and that a refused command changes nothing.
 * The administrative commands run in every mode of CLI_MODES (test/cli-modes.ts): on the database
 * directly, and through a running master's admin API with --url. Commands that work on files run
 * locally only. (test/cli-process.test.ts runs the real binary for init, help and the lock.)
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../src/cli/main.js';
import { ExitCode } from '../src/cli/exit-codes.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { Identity } from '../src/crypto/identity.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import { createNetconfMaster, ResultCode } from '../src/master/index.js';
import { CLI_MODES, localMode, type CliMode, type CliModeFactory } from './cli-modes.js';

const cryptoVectors = JSON.parse(
  readFileSync(new URL('./vectors/crypto.json', import.meta.url), 'utf8'),
) as { identities: { known_good: string; known_bad: string } };

interface Run {
  code: number;
  out: string;
  err: string;
}

const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
const memberAddress = Identity.fromString(TEST_IDENTITIES[1]!).address;

/** A temporary folder with a master identity and an empty database, and the CLI pointed at it. */
class Fixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'cli-commands-'));
  readonly db = join(this.dir, 'netconf.db');
  readonly identityFile = join(this.dir, 'identity.secret');
  mode: CliMode | undefined;

  async create(factory: CliModeFactory): Promise<void> {
    writeFileSync(this.identityFile, masterIdentity.toString(true) + '\n', { mode: 0o600 });
    const storage = await openSqlJsStorage({ path: this.db });
    await storage.close();
    this.mode = await factory.start({ dir: this.dir, db: this.db, identityFile: this.identityFile });
  }

  async remove(): Promise<void> {
    await this.mode?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async cli(...args: string[]): Promise<Run> {
    let out = '';
    let err = '';
    const code = await main([...(this.mode?.args ?? []), ...args], {
      out: (text) => (out += text),
      err: (text) => (err += text),
      errIsTty: false,
    });
    return { code, out, err };
  }

  async cliJson<T = Record<string, unknown>>(...args: string[]): Promise<T> {
    const run = await this.cli('--json', ...args);
    assert.equal(run.code, ExitCode.OK, run.err);
    return JSON.parse(run.out) as T;
  }

  /** Every file of the database (main file and log), by name; the lock file comes and goes. */
  databaseFiles(): Map<string, string> {
    const files = new Map<string, string>();
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith('netconf.db') && !name.endsWith('.lock')) {
        files.set(name, readFileSync(join(this.dir, name)).toString('hex'));
      }
    }
    return files;
  }

  /** What the master holds, as the CLI reports it: every network and its members. */
  async state(): Promise<string> {
    const networks = await this.cliJson<Array<{ id: string }>>('network', 'list');
    const members = [];
    for (const network of networks) members.push(await this.cliJson('member', 'list', network.id));
    return JSON.stringify({ networks, members });
  }

  /** Runs a command that must fail with `code`, one line on stderr, and no change to the master. */
  async refused(code: number, pattern: RegExp, ...args: string[]): Promise<void> {
    const filesBefore = this.mode?.local ? this.databaseFiles() : undefined;
    const stateBefore = await this.state();
    const run = await this.cli(...args);
    assert.equal(run.code, code, `exit code of ${args.join(' ')}: ${run.err}`);
    assert.equal(run.out, '');
    assert.match(run.err, pattern);
    assert.equal(run.err.trimEnd().split('\n').length, 1, `one line on stderr, got: ${run.err}`);
    assert.equal(await this.state(), stateBefore, 'the master holds what it held');
    if (filesBefore) assert.deepEqual(this.databaseFiles(), filesBefore, 'the database files are unchanged');
  }
}

for (const factory of CLI_MODES) {
  describe(`administration (${factory.name} mode)`, () => {
    const fixture = new Fixture();
    const cli = fixture.cli.bind(fixture);
    const cliJson = fixture.cliJson.bind(fixture);
    const refused = fixture.refused.bind(fixture);
    before(() => fixture.create(factory));
    after(() => fixture.remove());

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

    test('identity show prints the master\'s public identity, never the secret', async () => {
      const shown = await cliJson('identity', 'show');
      assert.equal(shown.address, masterIdentity.address);
      assert.equal(shown.identity, masterIdentity.toString(false));
      const text = await cli('identity', 'show');
      assert.ok(!text.out.includes(masterIdentity.toString(true).split(':')[3]!));
    });

    test('with --json an error is one line of JSON on stderr: its code, exit code and message', async () => {
      const errorOf = async (...args: string[]) => {
        const run = await cli('--json', ...args);
        assert.equal(run.out, '');
        assert.equal(run.err.trimEnd().split('\n').length, 1, run.err);
        const parsed = JSON.parse(run.err) as { error: { code: string; exitCode: number; message: string } };
        assert.equal(parsed.error.exitCode, run.code);
        return parsed.error;
      };
      const malformed = await errorOf('network', 'show', '12345');
      assert.deepEqual(malformed, {
        code: 'ERR_INVALID_ARGUMENT',
        exitCode: ExitCode.BAD_INPUT,
        message: 'malformed network ID "12345": expected 16 hex digits',
      });
      const unknown = await errorOf('network', 'show', `${masterIdentity.address}abcdef`);
      assert.equal(unknown.code, 'ERR_NOT_FOUND');
      assert.equal(unknown.exitCode, ExitCode.BAD_INPUT);
      const usage = await errorOf('network', 'create', '--colour', 'blue');
      assert.equal(usage.code, 'ERR_USAGE');
      assert.match(usage.message, /unknown option '--colour'/);
      const library = await errorOf('network', 'create', '--name', 'x'.repeat(200));
      assert.equal(library.code, 'ERR_INVALID_ARGUMENT', 'a library error keeps its own code');
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
      if (fixture.mode?.local) {
        assert.ok((withIps.ipAssignments as string[]).includes('10.9.0.5/16'));
      } else {
        // The admin API answers assignments as plain addresses, as ZeroTier's does (docs/operations.md).
        assert.deepEqual(withIps.ipAssignments, ['10.9.0.5', 'fd00:0000:0000:0000:0000:0000:0000:0005']);
      }
      assert.equal((await cliJson('member', 'bridge', nwid, memberAddress, 'on')).activeBridge, true);

      const table = await cli('member', 'list', nwid);
      assert.match(table.out, /^ADDRESS\s+NAME\s+AUTHORIZED\s+BRIDGE\s+HELD REVISION\s+LAST SEEN\s+IP ASSIGNMENTS\n/);
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
  });
}

describe('files and identities (local only)', () => {
  const fixture = new Fixture();
  const { dir, identityFile } = fixture;
  const cli = fixture.cli.bind(fixture);
  const cliJson = fixture.cliJson.bind(fixture);
  const refused = fixture.refused.bind(fixture);
  before(() => fixture.create(localMode));
  after(() => fixture.remove());

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
  test('member list shows the revision each member holds under HELD REVISION', async () => {
    const nwid = (await cli('network', 'create', '--name', 'held', '--public')).out.trim();
    assert.equal((await cli('network', 'set', nwid, '--description', 'now at revision 2')).code, ExitCode.OK);
    // A member asks for its config, saying it holds revision 1, through the library on this database.
    const storage = await openSqlJsStorage({ path: fixture.db });
    const master = createNetconfMaster(storage, masterIdentity);
    try {
      const member = Identity.fromString(TEST_IDENTITIES[3]!);
      const reply = await master.doNetworkConfigRequest({ identity: member.toString(false), nwid, haveRevision: 1n });
      assert.equal(reply.code, ResultCode.OK, JSON.stringify(reply));
    } finally {
      await master.close();
      await storage.close();
    }
    const table = await cli('member', 'list', nwid);
    const [header = '', row = ''] = table.out.split('\n');
    const column = header.indexOf('HELD REVISION');
    assert.ok(column > 0, header);
    assert.doesNotMatch(header.replace('HELD REVISION', ''), /REVISION/, 'one revision column, named for what it shows');
    assert.equal(row.slice(column).split(/\s+/)[0], '1');
  });

  test('path mistakes are one line with exit 1, 2 or 3, and leave no file behind', async () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const missing = join(dir, 'no-such-folder');
    const backupFile = join(dir, 'mistakes-backup.db');
    writeFileSync(backupFile, readFileSync(fixture.db));
    const filesBefore = readdirSync(dir).sort();
    const cases: Array<[number, RegExp, string[]]> = [
      [ExitCode.STORAGE, /a-folder is a directory; --db names the database file/, ['--db', folder, 'network', 'list']],
      [ExitCode.STORAGE, /no database at .*no-such-folder/, ['--db', join(missing, 'netconf.db'), 'network', 'list']],
      [ExitCode.IDENTITY, /cannot read master identity .*a-folder/, ['--identity', folder, 'network', 'list']],
      [ExitCode.BAD_INPUT, /backup .*a-folder is a directory/, ['backup', folder]],
      [ExitCode.BAD_INPUT, /backup .*a-folder is a directory/, ['backup', '--force', folder]],
      [ExitCode.BAD_INPUT, /folder .*no-such-folder does not exist/, ['backup', join(missing, 'b.db')]],
      [ExitCode.STORAGE, /--db .*a-folder is a directory/, ['--db', folder, 'restore', '--force', backupFile]],
      [ExitCode.STORAGE, /folder .*no-such-folder does not exist/, ['--db', join(missing, 'x.db'), 'restore', backupFile]],
      [ExitCode.BAD_INPUT, /backup .*a-folder is a directory, not a file/, ['--db', join(dir, 'r.db'), 'restore', folder]],
      [ExitCode.BAD_INPUT, /backup .*absent\.db does not exist/, ['--db', join(dir, 'r.db'), 'restore', join(dir, 'absent.db')]],
      [ExitCode.STORAGE, /--db .*no-such-folder/, ['--db', join(missing, 'x.db'), '--identity', join(dir, 'new.secret'), 'init']],
      [ExitCode.STORAGE, /--db .*a-folder is a directory/, ['--db', folder, '--identity', join(dir, 'new.secret'), 'init']],
      [ExitCode.IDENTITY, /--identity .*no-such-folder/, ['--identity', join(missing, 'id.secret'), 'init']],
    ];
    for (const [code, pattern, args] of cases) {
      const run = await cli(...args);
      assert.equal(run.code, code, `exit code of ${args.join(' ')}: ${run.err}`);
      assert.equal(run.out, '');
      assert.match(run.err, pattern);
      assert.equal(run.err.trimEnd().split('\n').length, 1, `one line on stderr, got: ${run.err}`);
      assert.doesNotMatch(run.err, /generating/, 'init checks its paths before the proof of work');
      assert.deepEqual(readdirSync(dir).sort(), filesBefore, `nothing left behind by ${args.join(' ')}`);
      assert.deepEqual(readdirSync(folder), [], `nothing left in the folder by ${args.join(' ')}`);
    }
  });

  test('commands that work on files, and serve itself, refuse --url with one line, exit 1', async () => {
    for (const args of [['backup', join(dir, 'remote.db')], ['restore', join(dir, 'remote.db')], ['init'], ['serve'], ['serve', '--port', '0']]) {
      const run = await cli('--url', 'http://127.0.0.1:9', ...args);
      assert.equal(run.code, ExitCode.BAD_INPUT, run.err);
      assert.match(run.err, /cannot run with --url/);
      assert.equal(run.out, '', `${args[0]} printed nothing (serve no URL): it never started`);
    }
  });
});
