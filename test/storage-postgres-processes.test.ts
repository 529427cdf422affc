/**
 * Several master processes on one PostgreSQL database (test/support/postgres-master-process.ts):
 * concurrent first requests, changes seen at once by the other process, kill -9, a server restart,
 * and a process that exits by itself once closed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import pg from 'pg';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { createNetconfMaster, ResultCode } from '../src/master/index.js';
import { openPostgresStorage } from '../src/postgres/index.js';
import { startPostgres } from './support/postgres-server.js';
import { freshPostgresDatabase, postgresAvailable } from './support/postgres.js';
import { memberIdentity } from './support/postgres-members.js';

const skip = !postgresAvailable();
const SCRIPT = new URL('./support/postgres-master-process.ts', import.meta.url).pathname;

interface Reply {
  code?: number;
  error?: string;
  revision?: string;
  ips?: string[];
  com?: string | null;
  nwid?: string;
  failed?: string;
  changes?: string[];
}

class MasterProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  #next = 1;
  readonly ready: Promise<void>;

  constructor(url: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, url], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    let ready!: () => void;
    this.ready = new Promise((resolve) => (ready = resolve));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const { id, ...reply } = JSON.parse(line) as { id: number | null } & Reply;
      if (id === null) return ready();
      this.#waiting.get(id)?.(reply);
      this.#waiting.delete(id);
    });
  }

  send(command: Record<string, unknown>): Promise<Reply> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.child.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  }

  request(nwid: string, address: string, haveRevision = 0n): Promise<Reply> {
    return this.send({ op: 'request', nwid, address, haveRevision: String(haveRevision) });
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

async function twoProcesses(t: { after(fn: () => unknown): void }, url: string): Promise<[MasterProcess, MasterProcess]> {
  const processes: [MasterProcess, MasterProcess] = [new MasterProcess(url), new MasterProcess(url)];
  t.after(() => processes.forEach((p) => p.kill()));
  await Promise.all(processes.map((p) => p.ready));
  return processes;
}

const address = (i: number) => `a${i.toString(16).padStart(9, '0')}`;

async function query<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

test('two master processes answer 300 concurrent first requests: no address held twice, every reply matches the stored state', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const [a, b] = await twoProcesses(t, url);
  const { nwid } = await a.send({ op: 'create', settings: { private: false, v4AssignMode: 'zt', ipPools: ['10.9.0.0/22'] } });
  const replies = await Promise.all(
    Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? a : b).request(nwid!, address(i))),
  );
  for (const reply of replies) assert.equal(reply.code, ResultCode.OK, reply.error ?? reply.failed);
  const stored = await query<{ nodeid: string; ipint: string }>(
    url, `SELECT nodeid, ipint FROM ipassignment WHERE networkid = $1 AND ipversion = 4`, [nwid],
  );
  assert.equal(stored.length, 300);
  assert.equal(new Set(stored.map((row) => row.ipint)).size, 300, 'no address held twice');
  const byMember = new Map(stored.map((row) => [row.nodeid, Number(row.ipint)]));
  replies.forEach((reply, i) => {
    const ip = byMember.get(address(i))!;
    assert.deepEqual(reply.ips, [`${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}/22`]);
  });
  const [{ members }] = await query<{ members: string }>(url, `SELECT count(*) AS members FROM member WHERE networkid = $1`, [nwid]);
  assert.equal(Number(members), 300);
});

test('a de-authorization through one process is honoured by the other\'s very next request, and reported to it as a change', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const [a, b] = await twoProcesses(t, url);
  const { nwid } = await a.send({ op: 'create', settings: { v4AssignMode: 'zt', ipPools: ['10.8.0.0/24'] } });
  const member = address(1);
  await b.request(nwid!, member);
  const authorized = await a.send({ op: 'authorize', nwid, address: member });
  const first = await b.request(nwid!, member);
  assert.equal(first.code, ResultCode.OK);
  assert.equal(first.revision, authorized.revision, 'the other process serves the revision just committed');
  assert.equal(first.com, authorized.revision);
  const deauthorized = await a.send({ op: 'deauthorize', nwid, address: member });
  assert.equal(BigInt(deauthorized.revision!), BigInt(authorized.revision!) + 17n, 'revoked: COM max delta + 1');
  assert.equal((await b.request(nwid!, member, BigInt(authorized.revision!))).code, ResultCode.ACCESS_DENIED);
  assert.ok((await b.send({ op: 'changes' })).changes!.includes(`externalChange ${nwid} ${deauthorized.revision}`));
  // A change the other process makes no request after is reported to it too (notified), as another writer's.
  const again = await a.send({ op: 'authorize', nwid, address: member });
  const deadline = Date.now() + 5000;
  let changes: string[] = [];
  while (Date.now() < deadline) {
    changes = (await b.send({ op: 'changes' })).changes!;
    if (changes.includes(`externalChange ${nwid} ${again.revision}`)) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(changes.includes(`externalChange ${nwid} ${again.revision}`), changes.join('; '));
});

test('kill -9 of one process during first requests loses nothing it acknowledged, and the other goes on serving', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const [a, b] = await twoProcesses(t, url);
  const { nwid } = await a.send({ op: 'create', settings: { private: false, v4AssignMode: 'zt', ipPools: ['10.7.0.0/20'] } });
  const acknowledged = new Map<string, string[]>();
  const pending = Array.from({ length: 400 }, (_, i) =>
    a.request(nwid!, address(i)).then((reply) => {
      if (reply.code === ResultCode.OK) acknowledged.set(address(i), reply.ips!);
    }),
  );
  // Kill once some requests were acknowledged, while others are in flight.
  while (acknowledged.size < 40) await new Promise((resolve) => setTimeout(resolve, 5));
  a.kill();
  await a.exited;
  void Promise.allSettled(pending);
  assert.ok(acknowledged.size < 400, 'the kill came during the writes');
  const stored = await query<{ nodeid: string; ipint: string }>(
    url, `SELECT nodeid, ipint FROM ipassignment WHERE networkid = $1`, [nwid],
  );
  const held = new Map(stored.map((row) => [row.nodeid, Number(row.ipint)]));
  for (const [member, ips] of acknowledged) {
    const ip = held.get(member);
    assert.notEqual(ip, undefined, `acknowledged member ${member} is stored`);
    assert.deepEqual(ips, [`${ip! >>> 24}.${(ip! >>> 16) & 255}.${(ip! >>> 8) & 255}.${ip! & 255}/20`]);
  }
  // The other process serves the same members (same addresses) and new ones.
  for (const [member, ips] of [...acknowledged].slice(0, 10)) {
    const reply = await b.request(nwid!, member);
    assert.equal(reply.code, ResultCode.OK);
    assert.deepEqual(reply.ips, ips);
  }
  assert.equal((await b.request(nwid!, address(1000))).code, ResultCode.OK);
});

test('a closed master and storage keep nothing alive: the process exits by itself', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const child = new MasterProcess(url);
  t.after(() => child.kill());
  await child.ready;
  const { nwid } = await child.send({ op: 'create', settings: { private: false } });
  assert.equal((await child.request(nwid!, address(1))).code, ResultCode.OK);
  assert.deepEqual(await child.send({ op: 'close' }), { closed: true });
  child.child.stdin!.end();
  const timer = new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 5000).unref());
  assert.equal(await Promise.race([child.exited, timer]), 0);
});

test('a PostgreSQL restart during requests: INTERNAL_SERVER_ERROR with a reason, admin calls reject typed, then serving again on its own', { skip }, async (t) => {
  const server = startPostgres({ port: 55_500 + (process.pid % 400) });
  t.after(() => server.stop());
  const storage = await openPostgresStorage({ connectionString: server.url });
  t.after(() => storage.close());
  const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), { validateIdentities: false, signingWorkers: 0 });
  t.after(() => master.close());
  const nwid = await master.createNetwork({ private: false, v4AssignMode: 'zt', ipPools: ['10.6.0.0/24'] });
  assert.equal((await master.doNetworkConfigRequest({ identity: memberIdentity(address(1)), nwid })).code, ResultCode.OK);

  server.down();
  const during = await Promise.all([1, 2, 3].map((i) => master.doNetworkConfigRequest({ identity: memberIdentity(address(i)), nwid })));
  for (const reply of during) {
    assert.equal(reply.code, ResultCode.INTERNAL_SERVER_ERROR);
    assert.match(reply.error!, /unavailable/i);
  }
  await assert.rejects(master.updateNetwork(nwid, { name: 'x' }), (error: { code?: unknown }) => error.code === 'ERR_STORAGE_UNAVAILABLE');

  server.up();
  const deadline = Date.now() + 10_000;
  let reply = await master.doNetworkConfigRequest({ identity: memberIdentity(address(2)), nwid });
  while (reply.code !== ResultCode.OK && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    reply = await master.doNetworkConfigRequest({ identity: memberIdentity(address(2)), nwid });
  }
  assert.equal(reply.code, ResultCode.OK);
  await master.updateNetwork(nwid, { name: 'after' });
  assert.equal((await master.getNetwork(nwid))!.name, 'after');
});

test('requests while another master keeps changing the network all answer OK: none reads a revision that moves under it', { skip }, async (t) => {
  const url = await freshPostgresDatabase(t);
  const identity = Identity.fromString(TEST_IDENTITIES[0]!);
  const stores = [await openPostgresStorage({ connectionString: url }), await openPostgresStorage({ connectionString: url })];
  t.after(() => Promise.all(stores.map((store) => store.close())));
  const [serving, admin] = stores.map((store) => createNetconfMaster(store, identity, { validateIdentities: false, signingWorkers: 0 }));
  t.after(() => Promise.all([serving!.close(), admin!.close()]));
  const nwid = await admin!.createNetwork({ private: false, v4AssignMode: 'zt', ipPools: ['10.5.0.0/22'] });
  let changing = true;
  const changes = (async () => {
    for (let i = 0; changing; i++) await admin!.updateNetwork(nwid, { multicastLimit: 10 + (i % 50) });
  })();
  const replies = [];
  for (let round = 0; round < 6; round++) {
    replies.push(...(await Promise.all(
      Array.from({ length: 25 }, (_, i) => serving!.doNetworkConfigRequest({ identity: memberIdentity(address(round * 25 + i)), nwid })),
    )));
  }
  changing = false;
  await changes;
  for (const reply of replies) assert.equal(reply.code, ResultCode.OK, reply.error);
});
