/**
 * `token create | list | revoke`, `member prune` and `audit list`, in-process through `main`, in
 * both modes: on the database file (local) and through a running admin API (remote, --url).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../src/cli/main.js';
import { ExitCode } from '../src/cli/exit-codes.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { Identity } from '../src/crypto/identity.js';
import { Dictionary } from '../src/protocol/dictionary.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import { createNetconfMaster, ResultCode, type NetconfMaster } from '../src/master/index.js';
import { serveAdminApi, type AdminServer } from '../src/node/serve-admin-api.js';

const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
const [alice, bob, carol] = [1, 2, 3].map((i) => Identity.fromString(TEST_IDENTITIES[i]!).publicOnly()) as [Identity, Identity, Identity];
const DAY = 86_400_000;
const ADMIN_SECRET = 'an-admin-token-for-tests';

interface Run {
  code: number;
  out: string;
  err: string;
}

class Fixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'cli-access-'));
  readonly db = join(this.dir, 'netconf.db');
  readonly identityFile = join(this.dir, 'identity.secret');
  readonly tokenFile = join(this.dir, 'authtoken.secret');
  server: AdminServer | undefined;
  serverMaster: NetconfMaster | undefined;
  serverClock: number | null = null;
  closeServer: (() => Promise<void>) | undefined;

  constructor(readonly remote: boolean) {}

  async create(): Promise<void> {
    writeFileSync(this.identityFile, masterIdentity.toString(true) + '\n', { mode: 0o600 });
    writeFileSync(this.tokenFile, ADMIN_SECRET + '\n', { mode: 0o600 });
    const storage = await openSqlJsStorage({ path: this.db });
    if (!this.remote) {
      await storage.close();
      return;
    }
    const master = createNetconfMaster(storage, masterIdentity, { now: () => this.serverClock ?? Date.now(), memberExpiryInterval: 0 });
    this.serverMaster = master;
    this.server = await serveAdminApi(master, { port: 0, tokens: [{ name: 'ops', token: ADMIN_SECRET, scope: 'admin' }] });
    this.closeServer = async () => {
      await this.server!.close();
      await master.close();
      await storage.close();
    };
  }

  async remove(): Promise<void> {
    await this.closeServer?.();
    rmSync(this.dir, { recursive: true, force: true });
  }

  get args(): string[] {
    return this.remote ? ['--db', this.db, '--url', this.server!.url, '--token-file', this.tokenFile] : ['--db', this.db, '--identity', this.identityFile];
  }

  async cli(...args: string[]): Promise<Run> {
    let out = '';
    let err = '';
    const code = await main([...this.args, ...args], { out: (text) => (out += text), err: (text) => (err += text), errIsTty: false });
    return { code, out, err };
  }

  async cliJson<T = Record<string, unknown>>(...args: string[]): Promise<T> {
    const run = await this.cli('--json', ...args);
    assert.equal(run.code, ExitCode.OK, run.err);
    return JSON.parse(run.out) as T;
  }

  /** Members' requests, answered by the master at time `now`. */
  async asMaster<T>(now: number, fn: (master: NetconfMaster) => Promise<T>): Promise<T> {
    if (this.remote) {
      this.serverClock = now;
      try {
        return await fn(this.serverMaster!);
      } finally {
        this.serverClock = null;
      }
    }
    const storage = await openSqlJsStorage({ path: this.db });
    const master = createNetconfMaster(storage, masterIdentity, { now: () => now, memberExpiryInterval: 0 });
    try {
      return await fn(master);
    } finally {
      await master.close();
      await storage.close();
    }
  }
}

for (const remote of [false, true]) {
  describe(`join tokens, pruning and the audit trail from the CLI (${remote ? 'remote' : 'local'} mode)`, () => {
    const fixture = new Fixture(remote);
    before(() => fixture.create());
    after(() => fixture.remove());
    const who = remote ? 'ops' : 'cli';

    test('token create shows the secret once; members join with it; list never shows it; revoke stops it', async () => {
      const nwid = (await fixture.cli('network', 'create', '--name', 'ci')).out.trim();
      const created = await fixture.cliJson<{ id: string; token: string }>('token', 'create', nwid, '--name', 'runners', '--max-uses', '2', '--expires-in', '1d');
      assert.match(created.id, /^[0-9a-f]{16}$/);
      const secret = created.token.slice(17);

      const replies = await fixture.asMaster(Date.now(), async (master) => [
        await master.doNetworkConfigRequest({ identity: alice, nwid, metaData: new Dictionary({ a: `token:${created.token}` }) }),
        await master.doNetworkConfigRequest({ identity: bob, nwid, metaData: new Dictionary({ a: `token:${created.token}` }) }),
        await master.doNetworkConfigRequest({ identity: carol, nwid, metaData: new Dictionary({ a: `token:${created.token}` }) }),
      ]);
      assert.deepEqual(replies.map((reply) => reply.code), [ResultCode.OK, ResultCode.OK, ResultCode.ACCESS_DENIED]);

      const listed = await fixture.cliJson<Array<Record<string, unknown>>>('token', 'list', nwid);
      assert.equal(listed.length, 1);
      assert.deepEqual([listed[0]!.id, listed[0]!.name, listed[0]!.uses, listed[0]!.maxUses, listed[0]!.revoked], [created.id, 'runners', 2, 2, false]);
      const table = await fixture.cli('token', 'list', nwid);
      assert.match(table.out, new RegExp(`^ID\\s+NAME\\s+CREATED\\s+EXPIRES\\s+USES\\s+MAX USES\\s+REVOKED\\n${created.id}\\s+runners`));

      const member = await fixture.cliJson('member', 'show', nwid, alice.address);
      assert.equal(member.lastAuthorizedCredentialType, 'token');
      assert.equal(member.lastAuthorizedCredential, created.id);

      const revoked = await fixture.cli('token', 'revoke', nwid, created.id);
      assert.equal(revoked.code, ExitCode.OK, revoked.err);
      assert.equal((await fixture.cliJson<Array<{ revoked: boolean }>>('token', 'list', nwid))[0]!.revoked, true);

      const audit = await fixture.cliJson<Array<{ actor: string; action: string; address: string | null }>>('audit', 'list', nwid);
      assert.deepEqual(audit.map((e) => [e.actor, e.action, e.address]), [
        [who, 'networkCreated', null],
        [who, 'joinTokenCreated', null],
        [`token:${created.id}`, 'memberAuthorized', alice.address],
        [`token:${created.id}`, 'memberAuthorized', bob.address],
        [who, 'joinTokenRevoked', null],
      ]);
      const byMember = await fixture.cliJson<unknown[]>('audit', 'list', nwid, '--member', bob.address);
      assert.equal(byMember.length, 1);
      const text = await fixture.cli('audit', 'list', '--since', new Date(Date.now() - DAY).toISOString());
      assert.match(text.out, /^TIME\s+ACTOR\s+ACTION\s+NETWORK\s+MEMBER\s+BEFORE\s+AFTER\n/);

      for (const output of [listed, table.out, audit, text.out, revoked.out].map((value) => JSON.stringify(value))) {
        assert.ok(!output.includes(secret));
      }
    });

    test('member prune --dry-run lists the members not seen for the time given, then prune de-authorizes them', async () => {
      const nwid = (await fixture.cli('network', 'create', '--name', 'fleet')).out.trim();
      assert.equal((await fixture.cli('member', 'authorize', nwid, alice.address)).code, ExitCode.OK);
      assert.equal((await fixture.cli('member', 'authorize', nwid, bob.address)).code, ExitCode.OK);
      await fixture.asMaster(Date.now() - 40 * DAY, (master) => master.doNetworkConfigRequest({ identity: alice, nwid }));
      await fixture.asMaster(Date.now() - DAY, (master) => master.doNetworkConfigRequest({ identity: bob, nwid }));

      const dry = await fixture.cli('member', 'prune', nwid, '--not-seen-for', '30d', '--dry-run');
      assert.equal(dry.code, ExitCode.OK, dry.err);
      assert.equal(dry.out, `would be de-authorized (1):\n  ${alice.address}\n`);
      assert.equal((await fixture.cliJson('member', 'show', nwid, alice.address)).authorized, true);

      const done = await fixture.cliJson<{ addresses: string[]; dryRun: boolean }>('member', 'prune', nwid, '--not-seen-for', '30d');
      assert.deepEqual(done, { nwid, action: 'deauthorize', addresses: [alice.address], forgottenNodes: [], dryRun: false });
      assert.equal((await fixture.cliJson('member', 'show', nwid, alice.address)).authorized, false);
      assert.equal((await fixture.cliJson('member', 'show', nwid, bob.address)).authorized, true);
      const entries = await fixture.cliJson<Array<{ actor: string; action: string }>>('audit', 'list', nwid, '--member', alice.address, '--limit', '1');
      assert.deepEqual(entries.map((e) => [e.actor, e.action]), [[who, 'memberDeauthorized']]);
    });

    test('bad durations, token ids and times are usage errors', async () => {
      const nwid = (await fixture.cli('network', 'create')).out.trim();
      for (const args of [
        ['member', 'prune', nwid, '--not-seen-for', '30x'],
        ['member', 'prune', nwid, '--not-seen-for', '0d'],
        ['token', 'revoke', nwid, 'zz'],
        ['token', 'create', nwid, '--max-uses', '0'],
        ['token', 'create', nwid, '--expires-in', 'soon'],
        ['audit', 'list', '--since', 'yesterday-ish'],
      ]) {
        const run = await fixture.cli(...args);
        assert.equal(run.code, ExitCode.BAD_INPUT, `${args.join(' ')}: ${run.err}`);
        assert.equal(run.out, '');
      }
      assert.equal((await fixture.cli('token', 'revoke', nwid, '0123456789abcdef')).code, ExitCode.BAD_INPUT, 'an unknown token');
      assert.deepEqual(await fixture.cliJson('token', 'list', nwid), []);
    });
  });
}
