/**
 * What the SQL store reads back from its tables: every 64-bit value exactly, and a row damaged
 * through SQL (another program, a bad edit) refused as a typed error instead of read as '' or 0.
 */
import { test, type TestContext } from 'node:test';
import { readWith, transactWith } from './support/store-calls.js';
import assert from 'node:assert/strict';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { CorruptDatabaseError, StorageError } from '../src/errors.js';
import { createNetconfMaster, ResultCode } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import type { SqlNetconfStore } from '../src/storage/sql/sql-store.js';

const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
const member = Identity.fromString(TEST_IDENTITIES[1]!).publicOnly();

const UINT64_EDGES = [0n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];

async function setup(t: TestContext) {
  const storage = await openSqlJsStorage();
  t.after(() => storage.close());
  const master = createNetconfMaster(storage, masterIdentity, { signingWorkers: 0 });
  t.after(() => master.close());
  const nwid = await master.createNetwork({ name: 'rows', private: false });
  return { storage, master, nwid };
}

/** Runs raw SQL on the database, as another program with the file open would. */
function editThroughSql(storage: SqlNetconfStore, sql: string, params: Array<string | number | Uint8Array | null>): Promise<void> {
  return storage.engine.write((writer) => void writer.run(sql, params));
}

function rawValue(storage: SqlNetconfStore, sql: string, params: string[]): unknown {
  return storage.engine.read((reader) => Object.values(reader.get(sql, params) ?? {})[0]);
}

/** The i-th other network on `nwid`'s master: never `nwid` itself (its 13th and 14th digits differ). */
function edgeNetworkId(nwid: string, i: number): string {
  return `${nwid.slice(0, 12)}${nwid.slice(12, 14) === 'ee' ? 'dd' : 'ee'}${String(i + 10)}`;
}

test('a network revision round-trips every 64 bits, stored as the signed integer with the same bits', async (t) => {
  const { storage, nwid } = await setup(t);
  const row = (await readWith(storage, (reader) => reader.getNetwork(nwid)))!;
  for (const [i, revision] of UINT64_EDGES.entries()) {
    // A network written at each edge revision (revisions are otherwise raised by the schema's triggers).
    const id = edgeNetworkId(nwid, i);
    await transactWith(storage, (tx) => tx.insertNetwork({ ...row, id, revision }));
    assert.equal((await readWith(storage, (reader) => reader.getNetwork(id)))!.revision, revision);
    assert.equal((await readWith(storage, (reader) => reader.getRequestState(id, member.address))).network!.revision, revision);
  }
  const last = edgeNetworkId(nwid, UINT64_EDGES.length - 1);
  assert.equal(rawValue(storage, 'SELECT revision FROM Network WHERE id = ?', [last]), -1, '2^64 - 1 is stored as -1');
});

test('the COM revision max delta, the reported revision and the cached netconf revision round-trip every 64 bits', async (t) => {
  const { storage, master, nwid } = await setup(t);
  assert.equal((await master.doNetworkConfigRequest({ identity: member, nwid })).code, ResultCode.OK);
  for (const value of UINT64_EDGES) {
    await transactWith(storage, (tx) => {
      const network = tx.getNetwork(nwid)!;
      tx.updateNetworkRow(nwid, { ...network, comRevisionMaxDelta: value });
      tx.updateMemberReportedRevision(nwid, member.address, value);
    });
    storage.cacheNetconf(nwid, member.address, { bytes: new Uint8Array([1, 2]), revision: value, timestamp: 7 });
    await storage.flush();
    assert.equal((await readWith(storage, (reader) => reader.getNetwork(nwid)))!.comRevisionMaxDelta, value);
    assert.equal((await readWith(storage, (reader) => reader.getMember(nwid, member.address)))!.clientReportedRevision, value);
    const state = (await readWith(storage, (reader) => reader.getRequestState(nwid, member.address)));
    assert.equal(state.member!.clientReportedRevision, value);
    assert.equal(state.member!.cachedNetconfRevision, value);
    assert.deepEqual((await readWith(storage, (reader) => reader.getCachedNetconf(nwid, member.address, value)))?.revision, value);
  }
});

test('members behind a revision are compared in uint64 order, beyond 2^63 included', async (t) => {
  const { storage, master, nwid } = await setup(t);
  await master.doNetworkConfigRequest({ identity: member, nwid });
  const behind = (reported: bigint, revision: bigint) =>
    transactWith(storage, (tx) => tx.updateMemberReportedRevision(nwid, member.address, reported))
      .then(() => readWith(storage, (reader) => reader.membersBehind(nwid, revision)))
      .then((behind) => behind.includes(member.address));
  assert.equal(await behind(5n, 6n), true);
  assert.equal(await behind(2n ** 63n, 6n), false, 'a report beyond 2^63 is not below 6');
  assert.equal(await behind(2n ** 63n, 2n ** 63n + 1n), true);
  assert.equal(await behind(2n ** 64n - 1n, 2n ** 63n + 1n), false);
  assert.equal(await behind(5n, 2n ** 63n), true, 'a small report is below a revision beyond 2^63');
});

test('a value outside uint64 is refused with a typed error and nothing is written', async (t) => {
  const { storage, nwid } = await setup(t);
  const row = (await readWith(storage, (reader) => reader.getNetwork(nwid)))!;
  const id = `${nwid.slice(0, 14)}99`;
  await assert.rejects(
    transactWith(storage, (tx) => tx.insertNetwork({ ...row, id, revision: 2n ** 64n })),
    (error) => error instanceof StorageError && error.code === 'ERR_STORAGE_RANGE',
  );
  await assert.rejects(transactWith(storage, (tx) => tx.insertNetwork({ ...row, id, revision: -1n })), StorageError);
  assert.equal((await readWith(storage, (reader) => reader.getNetwork(id))), undefined);
  assert.equal((await readWith(storage, (reader) => reader.getNetwork(nwid)))!.revision, 1n);
});

const CORRUPTIONS: Array<{ what: string; sql: string; value: string | number | Uint8Array | null; column: string }> = [
  { what: 'text in the network revision', sql: 'UPDATE Network SET revision = ? WHERE id = ?', value: 'ten', column: 'Network.revision' },
  { what: 'a fraction in the network revision', sql: 'UPDATE Network SET revision = ? WHERE id = ?', value: 1.5, column: 'Network.revision' },
  { what: 'an unknown IPv4 assign mode', sql: 'UPDATE Network SET v4AssignMode = ? WHERE id = ?', value: 'banana', column: 'Network.v4AssignMode' },
  { what: 'a blob as the network name', sql: 'UPDATE Network SET name = ? WHERE id = ?', value: new Uint8Array([0xff]), column: 'Network.name' },
  { what: 'text in the privacy flag', sql: 'UPDATE Network SET private = ? WHERE id = ?', value: 'no', column: 'Network.private' },
  { what: 'text in the multicast limit', sql: 'UPDATE Network SET multicastLimit = ? WHERE id = ?', value: 'many', column: 'Network.multicastLimit' },
];

for (const { what, sql, value, column } of CORRUPTIONS) {
  test(`a network row with ${what} is a CorruptDatabaseError naming ${column}, for administration and requests alike`, async (t) => {
    const { storage, master, nwid } = await setup(t);
    await editThroughSql(storage, sql, [value, nwid]);
    await assert.rejects(master.getNetwork(nwid), (error) => {
      assert.ok(error instanceof CorruptDatabaseError, String(error));
      assert.equal(error.code, 'ERR_DB_CORRUPT');
      assert.match(error.message, new RegExp(column.replace('.', '\\.')));
      assert.match(error.message, new RegExp(nwid));
      return true;
    });
    const reply = await master.doNetworkConfigRequest({ identity: member, nwid });
    assert.equal(reply.code, ResultCode.INTERNAL_SERVER_ERROR);
    assert.match(reply.error!, /CorruptDatabaseError/);
    assert.equal((await readWith(storage, (reader) => reader.getNode(member.address))), undefined, 'the failed request wrote nothing');
  });
}

test('a member row with text in its authorization flag or reported revision is a CorruptDatabaseError', async (t) => {
  const { storage, master, nwid } = await setup(t);
  await master.doNetworkConfigRequest({ identity: member, nwid });
  await editThroughSql(storage, 'UPDATE Member SET authorized = ? WHERE nodeId = ?', ['yes', member.address]);
  await assert.rejects(master.getMember(nwid, member.address), /Member\.authorized of member/);
  const reply = await master.doNetworkConfigRequest({ identity: member, nwid });
  assert.equal(reply.code, ResultCode.INTERNAL_SERVER_ERROR);
  // The request path names the row as fully as the administration does.
  assert.match(reply.error!, new RegExp(`CorruptDatabaseError: Member\\.authorized of member ${member.address} of network ${nwid} is "yes"`));

  await editThroughSql(storage, 'UPDATE Member SET authorized = 1, clientReportedRevision = ? WHERE nodeId = ?', ['x', member.address]);
  await assert.rejects(master.listMembers(nwid), CorruptDatabaseError);
});

test('a node row whose identity is a blob is a CorruptDatabaseError', async (t) => {
  const { storage, master, nwid } = await setup(t);
  await master.doNetworkConfigRequest({ identity: member, nwid });
  await editThroughSql(storage, 'UPDATE Node SET identity = ? WHERE id = ?', [new TextEncoder().encode(member.toString()), member.address]);
  const reply = await master.doNetworkConfigRequest({ identity: member, nwid });
  assert.equal(reply.code, ResultCode.INTERNAL_SERVER_ERROR);
  assert.match(reply.error!, new RegExp(`CorruptDatabaseError: Node\\.identity of node ${member.address} is a \\d+-byte blob`));
  await assert.rejects(readWith(storage, (reader) => reader.getNode(member.address)), CorruptDatabaseError);
});
