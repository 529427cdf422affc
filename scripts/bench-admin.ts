/**
 * Administration cost against network size (npm run bench:admin [-- file]):
 * - a rename (setMemberName) in a network of 100,000 members: goal ≤ 5 ms;
 * - authorizing 10,000 waiting members: in one call (authorizeMembers) and one by one: goal ≤ 2 s;
 * - de-authorizing them in one call;
 * - the admin API's member list (GET /unstable/controller/network/<nwid>/member through the Fetch
 *   handler) at 100,000 members: the first page (limit 100), a search, the members waiting: goal
 *   < 50 ms, and memory that does not grow with the network (RSS and heap before and after, with
 *   listMembers, which reads the whole network, for comparison).
 * A 'change' listener is attached, as a host would, without reading the refresh lists.
 * With `file`, the storage is a durable file in a temporary folder (each call waits for its sync).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { createAdminApi } from '../src/admin-api/index.js';
import { createNetconfMaster } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import { fmt, log, median, percentile } from './bench-common.js';

const BIG_NETWORK = 100_000;
const WAITING = 10_000;
const RENAMES = 200;

const onFile = process.argv.includes('file');
const dir = onFile ? mkdtempSync(join(tmpdir(), 'bench-admin-')) : null;
const storage = await openSqlJsStorage(dir === null ? {} : { path: join(dir, 'netconf.db') });
const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), { validateIdentities: false });
let changeEvents = 0;
master.subscribe(() => changeEvents++);

const address = (i: number) => (0x1000000000 + i).toString(16);

/**
 * Members as requests would leave them, written in one statement batch (no request signs anything):
 * named `host-<i>`, and with `nodes`, each with a node row (identity, last seen) as a request writes.
 */
async function addMembers(nwid: string, count: number, authorized: boolean, nodes = false): Promise<string[]> {
  const addresses = Array.from({ length: count }, (_, i) => address(i));
  const identityTail = `:0:${'ab'.repeat(64)}`;
  await storage.engine.write((w) => {
    for (const [i, member] of addresses.entries()) {
      w.run(`INSERT INTO Member (networkId, nodeId, authorized, clientReportedRevision, name) VALUES (?, ?, ?, 1, ?)`, [
        nwid, member, authorized ? 1 : 0, `host-${i}`,
      ]);
      if (nodes) {
        w.run(`INSERT OR IGNORE INTO Node (id, identity, lastAt, lastSeen, firstSeen) VALUES (?, ?, '198.51.100.7/9993', ?, ?)`, [
          member, member + identityTail, 1_800_000_000_000 + i, 1_800_000_000_000,
        ]);
      }
    }
  });
  return addresses;
}

const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)} MB`;
/** RSS and heap after a collection when the process runs with --expose-gc. */
function memory(): { rss: number; heap: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed };
}

/** Wall-clock milliseconds; the CPU milliseconds of this process are logged too (the machine may be shared). */
async function timed<T>(fn: () => Promise<T>, label?: string): Promise<number> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  if (label !== undefined) log(`${label}: ${fmt(wall)} ms wall, ${fmt((used.user + used.system) / 1000)} ms CPU`);
  return wall;
}

log(`storage: ${onFile ? 'file' : 'memory'}`);

const big = await master.createNetwork({ name: 'big', private: true });
const bigMembers = await addMembers(big, BIG_NETWORK, true, true);
const renames: number[] = [];
const renameCpu = process.cpuUsage();
for (let i = 0; i < RENAMES; i++) {
  renames.push(await timed(() => master.setMemberName(big, bigMembers[(i * 7919) % BIG_NETWORK]!, `member ${i}`)));
}
const renameUsage = process.cpuUsage(renameCpu);
const renameCpuMs = (renameUsage.user + renameUsage.system) / 1000 / RENAMES;
log(
  `rename at ${fmt(BIG_NETWORK)} members: median ${fmt(median(renames), 3)} ms, p95 ${fmt(percentile(renames, 95), 3)} ms wall, ` +
    `${fmt(renameCpuMs, 3)} ms CPU each (goal ≤ 5 ms)`,
);

// The admin API's member list at BIG_NETWORK members, through the Fetch handler.
const TOKEN = 'benchbenchbench0123456789';
const api = createAdminApi(master, { tokens: [{ name: 'bench', token: TOKEN, scope: 'read' }] });
const PAGE_RUNS = 50;
async function listing(query: string): Promise<number> {
  const response = await api.handle(
    new Request(`http://127.0.0.1/unstable/controller/network/${big}/member?${query}`, { headers: { 'X-ZT1-Auth': TOKEN } }),
  );
  const body = (await response.json()) as { data: unknown[]; meta: { totalCount: number } };
  if (response.status !== 200 || body.meta.totalCount !== BIG_NETWORK) throw new Error(`unexpected answer ${response.status}`);
  return body.data.length;
}
log(`gc between memory readings: ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'yes' : 'no (run with node --expose-gc for steadier figures)'}`);
const pageQueries: [string, string][] = [
  ['first page (limit=100)', 'limit=100'],
  ['page at offset 50,000', 'offset=50000&limit=100'],
  ['search q=host-12 (many match)', 'q=host-12&limit=100'],
  ['search q=host-99999 (one matches: every name read)', 'q=host-99999&limit=100'],
  ['waiting members (authorized=false; none waits)', 'authorized=false&limit=100'],
  ['authorized members (authorized=true; all are)', 'authorized=true&limit=100'],
];
const memoryBefore = memory();
for (const [label, query] of pageQueries) {
  const times: number[] = [];
  let answered = 0;
  for (let i = 0; i < PAGE_RUNS; i++) {
    const start = performance.now();
    answered = await listing(query);
    times.push(performance.now() - start);
  }
  log(
    `GET member list at ${fmt(BIG_NETWORK)} members, ${label}: ${answered} members, median ${fmt(median(times), 2)} ms, ` +
      `p95 ${fmt(percentile(times, 95), 2)} ms (goal < 50 ms)`,
  );
}
const memoryAfter = memory();
log(
  `memory over ${fmt(PAGE_RUNS * pageQueries.length)} member-list requests: RSS ${mb(memoryBefore.rss)} → ${mb(memoryAfter.rss)}, ` +
    `heap ${mb(memoryBefore.heap)} → ${mb(memoryAfter.heap)}`,
);
const wholeStart = performance.now();
const everyone = await master.listMembers(big);
const wholeMs = performance.now() - wholeStart;
const memoryWhole = memory(); // `everyone` is still held here
log(
  `for comparison, listMembers (the whole network, as the list read it before): ${fmt(wholeMs)} ms for ${fmt(everyone.length)} members, ` +
    `RSS ${mb(memoryWhole.rss)}, heap ${mb(memoryWhole.heap)} while held`,
);
api.close();

const bulk = await master.createNetwork({ name: 'bulk', private: true });
const waiting = await addMembers(bulk, WAITING, false);
await timed(() => master.authorizeMembers(bulk, waiting), `authorizeMembers, ${fmt(WAITING)} waiting members in one call (goal ≤ 2,000 ms)`);
await timed(() => master.deauthorizeMembers(bulk, waiting), `deauthorizeMembers, ${fmt(WAITING)} members in one call`);

const single = await master.createNetwork({ name: 'one by one', private: true });
const waitingOne = await addMembers(single, WAITING, false);
await timed(async () => {
  for (const member of waitingOne) await master.authorizeMember(single, member);
}, `authorizeMember one by one, ${fmt(WAITING)} waiting members (goal ≤ 2,000 ms)`);
const revisions = await Promise.all([big, bulk, single].map(async (nwid) => (await master.getNetwork(nwid))!.revision));
log(`revisions: big ${revisions[0]}, bulk ${revisions[1]}, one by one ${revisions[2]}; change events ${fmt(changeEvents)}`);

await master.close();
await storage.close();
if (dir !== null) rmSync(dir, { recursive: true, force: true });
