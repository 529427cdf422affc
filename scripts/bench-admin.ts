/**
 * Administration cost against network size (npm run bench:admin [-- file]):
 * - a rename (setMemberName) in a network of 100,000 members: goal ≤ 5 ms;
 * - authorizing 10,000 waiting members: in one call (authorizeMembers) and one by one: goal ≤ 2 s;
 * - de-authorizing them in one call.
 * A 'change' listener is attached, as a host would, without reading the refresh lists.
 * With `file`, the storage is a durable file in a temporary folder (each call waits for its sync).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
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

/** Members as requests would leave them, written in one statement batch (no request signs anything). */
async function addMembers(nwid: string, count: number, authorized: boolean): Promise<string[]> {
  const addresses = Array.from({ length: count }, (_, i) => address(i));
  await storage.engine.write((w) => {
    for (const member of addresses) {
      w.run(`INSERT INTO Member (networkId, nodeId, authorized, clientReportedRevision) VALUES (?, ?, ?, 1)`, [
        nwid, member, authorized ? 1 : 0,
      ]);
    }
  });
  return addresses;
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
const bigMembers = await addMembers(big, BIG_NETWORK, true);
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
