/**
 * Waits for persistence at a million members on durable file storage (run through
 * `npm run bench:persistence -- --members N`; see bench-persistence.ts):
 *
 * 1. Bytes per active member: in memory, members of some networks ask for their configs (each
 *    stores a signed netconf); the database grows by so many bytes per member served.
 * 2. The database goes to a file; for each way of making snapshots (on the calling thread, then in
 *    a child process) a copy is opened and for `seconds` admin writes (a member renamed, each
 *    acknowledged after its sync) and config requests run together. Every admin write, every
 *    request and every stall of the event loop is timed; the snapshot threshold is lowered
 *    (`--ratio`, of the database size) so that snapshots fall inside the run.
 * 3. Opening after a crash: the files of the child-process run are copied as a kill -9 leaves them
 *    (no close, the log not compacted) and opened; then again with a log of `--crash-log-mb`,
 *    from which the replay rate and the open time at the default threshold follow.
 */
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { createNetconfMaster, ResultCode, type NetconfMaster } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import type { SqlNetconfStore } from '../src/storage/sql/sql-store.js';
import type { SqlJsEngine } from '../src/storage/sqljs/commit.js';
import { buildScale, MEMBERS_PER_NETWORK } from './bench-scale.js';
import { fmt, log, percentile } from './bench-common.js';

export interface WaitFigures {
  mode: string;
  seconds: number;
  adminWrites: number;
  requests: number;
  admin: { p99: number; p999: number; max: number };
  request: { p99: number; p999: number; max: number };
  /** Longest event-loop stall seen by a 5 ms timer, ms. */
  maxStallMs: number;
  /** The largest the log file grew to (what a crash at the worst moment leaves to replay), MB. */
  maxLogMB: number;
  snapshots: number;
}

function spread(values: number[]) {
  return { p99: percentile(values, 99), p999: percentile(values, 99.9), max: values.reduce((a, b) => Math.max(a, b), 0) };
}

const engineOf = (storage: SqlNetconfStore) => storage.engine as SqlJsEngine;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function dbBytes(storage: SqlNetconfStore): number {
  const row = storage.engine.read((reader) =>
    reader.get<{ size: number }>('SELECT page_count * page_size AS size FROM pragma_page_count(), pragma_page_size()'),
  )!;
  return Number(row.size);
}

/** Members of `networks` networks ask for their configs; bytes the database grew by per member. */
async function bytesPerActiveMember(storage: SqlNetconfStore, master: NetconfMaster, networks: string[], sample: Map<string, Identity[]>) {
  const before = dbBytes(storage);
  const netconfBytes = { total: 0, count: 0 };
  let served = 0;
  for (const nwid of networks) {
    for (const identity of sample.get(nwid)!) {
      const reply = await master.doNetworkConfigRequest({ fromAddr: null, identity, nwid });
      if (reply.code !== ResultCode.OK) throw new Error(`request failed: ${reply.code}`);
      served++;
    }
    await nextTurn();
  }
  await storage.engine.flush();
  const after = dbBytes(storage);
  const stored = storage.engine.read((reader) =>
    reader.get<{ n: number; total: number }>('SELECT count(*) AS n, sum(length(cachedNetconf)) AS total FROM Member WHERE cachedNetconf IS NOT NULL'),
  )!;
  netconfBytes.total = Number(stored.total ?? 0);
  netconfBytes.count = Number(stored.n);
  return {
    served,
    grewPerMember: (after - before) / served,
    storedNetconfPerMember: netconfBytes.count > 0 ? netconfBytes.total / netconfBytes.count : 0,
  };
}

/** Admin writes and requests together for `seconds` on a file database opened with `compaction`. */
async function measureWaits(
  path: string,
  mode: string,
  compaction: { minLogBytes?: number; logToSnapshotRatio?: number; offThreadFromBytes?: number },
  seconds: number,
  networks: string[],
  sample: Map<string, Identity[]>,
  masterIdentity: Identity,
): Promise<WaitFigures> {
  const storage = await openSqlJsStorage({ path, compaction, onWarning: (error) => log(`  warning: ${error.message}`) });
  const master = createNetconfMaster(storage, masterIdentity, { validateIdentities: false });
  const adminTimes: number[] = [];
  const requestTimes: number[] = [];
  let maxStallMs = 0;
  let last = performance.now();
  const stallTimer = setInterval(() => {
    const now = performance.now();
    maxStallMs = Math.max(maxStallMs, now - last - 5);
    last = now;
  }, 5);
  let maxLogBytes = 0;
  const logTimer = setInterval(() => {
    maxLogBytes = Math.max(maxLogBytes, statSync(`${path}-log`).size);
  }, 50);
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const snapshotsBefore = engineOf(storage).counters!.snapshots;
  const end = performance.now() + seconds * 1000;
  let k = 0;
  const pick = () => {
    const nwid = networks[(k++ * 7919) % networks.length]!;
    const members = sample.get(nwid)!;
    return { nwid, identity: members[k % members.length]! };
  };
  const admin = (async () => {
    let i = 0;
    while (performance.now() < end) {
      const { nwid, identity } = pick();
      const t = performance.now();
      await master.setMemberName(nwid, identity.address, `renamed ${i++}`);
      adminTimes.push(performance.now() - t);
      await sleep(2);
    }
  })();
  const requests = (async () => {
    while (performance.now() < end) {
      const { nwid, identity } = pick();
      const t = performance.now();
      const reply = await master.doNetworkConfigRequest({ fromAddr: null, identity, nwid });
      requestTimes.push(performance.now() - t);
      if (reply.code !== ResultCode.OK) throw new Error(`request failed: ${reply.code}`);
      await nextTurn();
    }
  })();
  await Promise.all([admin, requests]);
  clearInterval(stallTimer);
  clearInterval(logTimer);
  histogram.disable();
  await storage.engine.flush();
  const figures: WaitFigures = {
    mode,
    seconds,
    adminWrites: adminTimes.length,
    requests: requestTimes.length,
    admin: spread(adminTimes),
    request: spread(requestTimes),
    maxStallMs: Math.max(maxStallMs, histogram.max / 1e6 - 5),
    snapshots: engineOf(storage).counters!.snapshots - snapshotsBefore,
    maxLogMB: maxLogBytes / 2 ** 20,
  };
  await master.close();
  return Object.assign(figures, { storage });
}

/**
 * Copies the database files as a kill -9 would leave them, closes the running engine (so that
 * nothing else runs meanwhile), and times opening the copy.
 */
async function openAfterCrash(storage: SqlNetconfStore, path: string, dir: string, name: string) {
  await storage.engine.flush();
  const copy = join(dir, `${name}-after-crash.db`);
  copyFileSync(path, copy);
  copyFileSync(`${path}-log`, `${copy}-log`);
  await storage.close();
  const logMB = statSync(`${copy}-log`).size / 2 ** 20;
  const t = performance.now();
  const reopened = await openSqlJsStorage({ path: copy, compaction: { minLogBytes: 2 ** 40 } });
  const openS = (performance.now() - t) / 1000;
  engineOf(reopened).discard();
  rmSync(copy, { force: true });
  rmSync(`${copy}-log`, { force: true });
  rmSync(`${copy}.lock`, { force: true });
  return { logMB, openS };
}

function argument(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

export async function runPersistenceScale(args: string[]): Promise<void> {
  const members = argument(args, 'members', 1_000_000);
  const seconds = argument(args, 'seconds', 60);
  const ratio = args.includes('--ratio') ? argument(args, 'ratio', 0.5) : undefined;
  const crashLogMB = argument(args, 'crash-log-mb', 16);
  const networkCount = Math.round(members / MEMBERS_PER_NETWORK);
  const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
  const dir = mkdtempSync(join(tmpdir(), 'ztnc-bench-scale-'));
  try {
    log(`persistence at scale: ${fmt(members)} members in memory...`);
    const setup = await buildScale(networkCount, masterIdentity);
    const bulkBytes = dbBytes(setup.storage);
    const active = await bytesPerActiveMember(setup.storage, setup.master, setup.networks.slice(0, 2000), setup.sample);
    log(`  ${fmt(bulkBytes / 2 ** 20)} MB bulk-loaded; ${active.served} members served`);
    const path = join(dir, 'netconf.db');
    writeFileSync(path, setup.storage.engine.exportImage());
    const networks = setup.networks;
    const sample = setup.sample;
    await setup.master.close();
    await setup.storage.close();
    const dbMB = statSync(path).size / 2 ** 20;

    let t = performance.now();
    const clean = await openSqlJsStorage({ path });
    const cleanOpenS = (performance.now() - t) / 1000;
    await clean.close();

    const results: WaitFigures[] = [];
    const crashes: { name: string; logMB: number; openS: number }[] = [];
    const modes = [
      ['none (control: the machine and the request path alone)', { minLogBytes: 2 ** 40 }],
      ['on the calling thread (before)', { logToSnapshotRatio: ratio, offThreadFromBytes: Infinity }],
      ['in a child process (now)', { logToSnapshotRatio: ratio }],
    ] as const;
    // --modes control,child runs only those (control, calling, child); all three by default.
    const chosen = args.includes('--modes') ? args[args.indexOf('--modes') + 1]!.split(',') : ['control', 'calling', 'child'];
    const keys = ['control', 'calling', 'child'];
    const unknown = chosen.filter((key) => !keys.includes(key));
    if (unknown.length > 0) throw new Error(`--modes: unknown ${unknown.join(', ')}; choose among ${keys.join(', ')}`);
    for (const [mode, compaction] of modes.filter((_, i) => chosen.includes(keys[i]!))) {
      const copy = join(dir, `run-${results.length}.db`);
      copyFileSync(path, copy);
      log(`  ${seconds} s of admin writes and requests, snapshots ${mode}...`);
      const figures = (await measureWaits(copy, mode, compaction, seconds, networks, sample, masterIdentity)) as WaitFigures & { storage: SqlNetconfStore };
      results.push(figures);
      if (mode === modes[2][0]) {
        crashes.push({ name: 'after the run (kill -9 state)', ...(await openAfterCrash(figures.storage, copy, dir, 'crash-run')) });
      } else {
        await figures.storage.close();
      }
      rmSync(copy, { force: true });
      rmSync(`${copy}-log`, { force: true });
      rmSync(`${copy}.lock`, { force: true });
    }

    // A log of crashLogMB, made of the same traffic, with no snapshot: the replay rate on open.
    log(`  a ${crashLogMB} MB log for the crash open...`);
    const copy = join(dir, 'crash-log.db');
    copyFileSync(path, copy);
    const storage = await openSqlJsStorage({ path: copy, compaction: { minLogBytes: 2 ** 40 } });
    const master = createNetconfMaster(storage, masterIdentity, { validateIdentities: false });
    let i = 0;
    while (statSync(`${copy}-log`).size < crashLogMB * 2 ** 20) {
      const nwid = networks[(i * 7919) % networks.length]!;
      const identity = sample.get(nwid)![i % sample.get(nwid)!.length]!;
      if (i % 4 === 0) await master.setMemberName(nwid, identity.address, `renamed ${i}`);
      await master.doNetworkConfigRequest({ fromAddr: null, identity, nwid });
      if (i++ % 64 === 0) await nextTurn();
    }
    await master.close();
    crashes.push({ name: `a log of ${crashLogMB} MB`, ...(await openAfterCrash(storage, copy, dir, 'crash-log')) });
    printScale({ members, dbMB, bulkBytes, active, cleanOpenS, ratio, results, crashes });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printScale(r: {
  members: number;
  dbMB: number;
  bulkBytes: number;
  active: { served: number; grewPerMember: number; storedNetconfPerMember: number };
  cleanOpenS: number;
  ratio: number | undefined;
  results: WaitFigures[];
  crashes: { name: string; logMB: number; openS: number }[];
}): void {
  const out = [
    `${fmt(r.members)} members, database ${fmt(r.dbMB)} MB (${fmt(r.bulkBytes / r.members)} bytes per bulk-loaded member)`,
    `active member: the database grew ${fmt(r.active.grewPerMember)} bytes per member served (${r.active.served}); stored netconf ${fmt(r.active.storedNetconfPerMember)} bytes`,
    `open, cleanly closed: ${fmt(r.cleanOpenS, 2)} s`,
    '',
    `snapshot threshold: ${r.ratio === undefined ? 'the default (min(16 MiB, 0.5 × database size))' : `${r.ratio} × database size`}`,
    '| snapshots made | s | admin writes | admin p99 ms | admin p99.9 ms | admin max ms | requests | request p99 ms | request p99.9 ms | request max ms | longest stall ms | snapshots | largest log MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.results.map(
      (f) =>
        `| ${f.mode} | ${f.seconds} | ${fmt(f.adminWrites)} | ${fmt(f.admin.p99, 1)} | ${fmt(f.admin.p999, 1)} | ${fmt(f.admin.max, 1)} | ${fmt(f.requests)} | ${fmt(f.request.p99, 2)} | ${fmt(f.request.p999, 1)} | ${fmt(f.request.max, 1)} | ${fmt(f.maxStallMs, 1)} | ${f.snapshots} | ${fmt(f.maxLogMB, 1)} |`,
    ),
    '',
    '| open after a crash | log MB | open s |',
    '|---|---|---|',
    ...r.crashes.map((c) => `| ${c.name} | ${fmt(c.logMB, 1)} | ${fmt(c.openS, 2)} |`),
  ];
  console.log(out.join('\n'));
}
