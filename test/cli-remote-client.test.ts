/**
 * The CLI's remote mode without a server: how the admin API's JSON (the contract's network and
 * member objects, docs/admin-api.md) becomes the library's records, how its error bodies become the
 * library's typed errors and exit codes, and what a command says when no master answers. The
 * commands themselves run against a real `serve` in test/cli-commands.test.ts (remote mode).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { errorFromAnswer } from '../src/cli/client/remote-errors.js';
import { memberFromJson, networkBody, networkFromJson, rangeOfPool } from '../src/cli/client/remote-records.js';
import { ExitCode, exitCodeFor } from '../src/cli/exit-codes.js';
import { main } from '../src/cli/main.js';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { DatabaseLockedError, InvalidArgumentError, NotFoundError } from '../src/errors.js';
import { createNetconfMaster } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';

const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);

describe('records from the admin API', () => {
  test('a network object reads as the library record, keys in the library\'s order', async () => {
    const storage = await openSqlJsStorage({});
    const master = createNetconfMaster(storage, masterIdentity);
    try {
      const nwid = await master.createNetwork({
        name: 'lab', description: 'HQ', private: false, v4AssignMode: 'zt', v6AssignMode: 'rfc4193',
        ipPools: ['10.1.0.0/16', 'fd00:20::/64'], etherTypes: [0x0800, 0x0806], multicastLimit: 8,
        comRevisionMaxDelta: 20n,
      });
      const local = (await master.getNetwork(nwid))!;
      const fromApi = networkFromJson({
        id: nwid, nwid, objtype: 'network', name: 'lab', description: 'HQ', private: false,
        enableBroadcast: true, allowPassiveBridging: false, mtu: 2800, multicastLimit: 8,
        v4AssignMode: { zt: true }, v6AssignMode: { zt: false, rfc4193: true, '6plane': false },
        routes: [], dns: [], capabilities: [], tags: [],
        ipAssignmentPools: [rangeOfPool('10.1.0.0/16'), rangeOfPool('fd00:20::/64')],
        rules: [
          { type: 'MATCH_ETHERTYPE', not: true, or: false, etherType: 0x0806 },
          { type: 'MATCH_ETHERTYPE', not: true, or: false, etherType: 0x0800 },
          { type: 'ACTION_DROP' },
          { type: 'ACTION_ACCEPT' },
        ],
        multicastRates: [], comRevisionMaxDelta: 20, revision: Number(local.revision), creationTime: local.creationTime,
      });
      assert.deepEqual(fromApi, local);
      assert.deepEqual(Object.keys(fromApi), Object.keys(local));
    } finally {
      await master.close();
      await storage.close();
    }
  });

  test('a pool goes to the API as its assignable range and comes back as the CIDR', () => {
    assert.deepEqual(rangeOfPool('10.1.0.0/16'), { ipRangeStart: '10.1.0.1', ipRangeEnd: '10.1.255.254' });
    assert.deepEqual(networkFromJson({ ipAssignmentPools: [rangeOfPool('10.1.0.0/16')] }).ipPools, ['10.1.0.0/16']);
    const odd = networkFromJson({ ipAssignmentPools: [{ ipRangeStart: '10.0.0.5', ipRangeEnd: '10.0.0.9' }] });
    assert.deepEqual(odd.ipPools, ['10.0.0.5-10.0.0.9'], 'a range that is no CIDR is shown as a range');
    assert.deepEqual(networkFromJson({ rules: [{ type: 'ACTION_ACCEPT' }] }).etherTypes, [0], 'accept-all');
  });

  test('settings become a POST body in the contract\'s fields, checked by the library first', () => {
    assert.deepEqual(
      networkBody({ name: 'x', v4AssignMode: 'zt', v6AssignMode: 'none', ipPools: ['10.2.3.4/24'], etherTypes: [0] }),
      {
        name: 'x',
        v4AssignMode: { zt: true },
        v6AssignMode: 'none',
        ipAssignmentPools: [{ ipRangeStart: '10.2.3.1', ipRangeEnd: '10.2.3.254' }],
        rules: [{ type: 'ACTION_ACCEPT' }],
      },
    );
    assert.throws(() => networkBody({ name: 'x'.repeat(200) }), InvalidArgumentError);
    assert.throws(() => networkBody({ v4AssignMode: 'dhcp' }), /cannot be set through the admin API/);
  });

  test('a member object reads as the library record, ZeroTier\'s 0 for never as null', () => {
    const member = memberFromJson({
      id: '1a2b3c4d5e', address: '1a2b3c4d5e', nwid: 'A2656C03226175BE', objtype: 'member', authorized: true,
      activeBridge: false, name: 'box', notes: '', ipAssignments: ['10.1.0.7'], lastAuthorizedTime: 1700000000000,
      lastDeauthorizedTime: 0, clientReportedRevision: 3, identity: '', vMajor: -1, firstSeen: 0, lastSeen: 0,
      physicalAddress: null, capabilities: [], tags: [],
      lastAuthorizedCredentialType: 'token', lastAuthorizedCredential: '0123456789abcdef',
    });
    assert.deepEqual(member, {
      networkId: 'a2656c03226175be', address: '1a2b3c4d5e', authorized: true, activeBridge: false, name: 'box',
      notes: '', authorizedAt: 1700000000000, deauthorizedAt: null, ipAssignments: ['10.1.0.7'],
      clientReportedRevision: 3n, lastAuthorizedCredentialType: 'token', lastAuthorizedCredential: '0123456789abcdef',
      identity: null, firstSeen: null, lastSeen: null, lastAt: null,
      noAutoAssignIps: false, vMajor: -1, vMinor: -1, vRev: -1, vProto: -1,
    });
    // An older service's member, without them: null.
    const older = memberFromJson({ address: '1a2b3c4d5e', authorized: false });
    assert.deepEqual([older.lastAuthorizedCredentialType, older.lastAuthorizedCredential], [null, null]);
  });
});

describe('errors from the admin API', () => {
  const answer = (status: number, body: unknown) =>
    errorFromAnswer({ status, body, request: 'POST /controller/network/x', url: 'http://127.0.0.1:9993' });

  test('a JSON error body becomes the library error its code names, with the same exit code', () => {
    const notFound = answer(404, { error: 404, code: 'ERR_NOT_FOUND', description: 'no network a2656c03226175be' });
    assert.ok(notFound instanceof NotFoundError);
    assert.equal(notFound.message, 'no network a2656c03226175be');
    assert.equal(exitCodeFor(notFound), ExitCode.BAD_INPUT);
    const locked = answer(503, { error: 503, code: 'ERR_DB_LOCKED', description: 'in use' });
    assert.ok(locked instanceof DatabaseLockedError);
    assert.equal(exitCodeFor(locked), ExitCode.STORAGE);
    assert.equal(exitCodeFor(answer(400, { error: 400, code: 'ERR_INVALID_ARGUMENT', description: 'bad' })), ExitCode.BAD_INPUT);
  });

  test('a refused token is exit 3; a body without a known code falls back on the status', () => {
    assert.equal(exitCodeFor(answer(401, {})), ExitCode.IDENTITY);
    assert.equal(exitCodeFor(answer(403, { error: 403, code: 'ERR_FORBIDDEN', description: 'read scope' })), ExitCode.IDENTITY);
    assert.equal(exitCodeFor(answer(400, 'not json')), ExitCode.BAD_INPUT);
    assert.equal(exitCodeFor(answer(500, { error: 500, code: 'ERR_SOMETHING', description: 'boom' })), ExitCode.INTERNAL);
  });
});

describe('commands with --url and no master there', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-remote-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, 'authtoken.secret');
  writeFileSync(tokenFile, 'abcdefghijklmnopqrstuvwx', { mode: 0o600 });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), errIsTty: false });
    return { code, out, err };
  }

  /** A port nothing listens on: bound, then released. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  test('no master answering is exit 2 with one line; with --json, one line of JSON', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await cli('--url', url, '--token-file', tokenFile, 'network', 'list');
    assert.equal(run.code, ExitCode.STORAGE, run.err);
    assert.match(run.err, new RegExp(`^zt-netconf-master: cannot reach the master at ${url}.*\\n$`));
    const json = await cli('--json', '--url', url, '--token-file', tokenFile, 'network', 'list');
    assert.equal(json.code, ExitCode.STORAGE);
    assert.equal(JSON.parse(json.err).error.exitCode, ExitCode.STORAGE);
  });

  test('a missing token file is exit 3, found beside --db by default; a malformed --url is exit 1', async () => {
    const missing = await cli('--db', join(dir, 'sub', 'netconf.db'), '--url', 'http://127.0.0.1:9', 'network', 'list');
    assert.equal(missing.code, ExitCode.IDENTITY);
    assert.match(missing.err, /no admin token at .*sub\/authtoken\.secret/);
    const malformed = await cli('--url', 'not a url', 'network', 'list');
    assert.equal(malformed.code, ExitCode.BAD_INPUT);
    assert.match(malformed.err, /--url not a url is not a URL/);
  });
});
