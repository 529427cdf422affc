/**
 * `npm run bench:postgres`: the PostgreSQL storage measured beside sql.js, in one run, printed and
 * written into docs/benchmarks.md (its "PostgreSQL" section, between the bench:postgres markers).
 *
 * 1. Request rates: fresh, cached and not-newer requests with 1 and 2 master processes on one
 *    PostgreSQL database, and with 1 process on a durable sql.js file (sql.js holds one writer).
 * 2. Scale: p50/p99 latency of a member's first request (a join: an address claimed, a netconf
 *    signed), a cached request and a not-newer request at a small, a middle and a large member
 *    count, the members bulk-loaded through SQL (INSERT ... SELECT FROM generate_series, in
 *    batches); and the master process's RSS after serving at each count.
 * 3. Migration: a SQLite image of --migrate members (a node, a member and an IPv4 address each,
 *    every tenth an IPv6 address too) copied into PostgreSQL and back (`copySqliteImageToPostgres`,
 *    `sqliteImageFromPostgres`, what `zt-netconf-master migrate` runs), and a tenth of it, whose
 *    ratio tells whether the time grows linearly.
 *
 *   npm run bench:postgres                              rates (1,000 members), scale 1,000 / 100,000 / 10,000,000
 *   npm run bench:postgres -- --large 1000000           a smaller large count (bounded run time)
 *   npm run bench:postgres -- --members 500 --rounds 1 --middle 10000 --large 100000 --no-write   a smoke test
 *   npm run bench:postgres -- --url postgresql://...    an existing server (a database is created per figure)
 *   npm run bench:postgres -- --migrate 0               without the migration figures (default 100,000 members)
 *
 * Without --url a throwaway server is started (initdb and pg_ctl in a temp folder, as the tests do).
 * Every master runs in a child process of its own (this script with --worker), so processes, not
 * just connections, share the database, and RSS is the master's alone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { createNetconfMaster, ResultCode, type NetconfMaster } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import { openPostgresStorage } from '../src/storage/postgres/open.js';
import { copySqliteImageToPostgres, sqliteImageFromPostgres } from '../src/storage/postgres/sqlite-image.js';
import { createMemoryPersistence } from '../src/storage/sqljs/persistence/memory.js';
import { startPostgres, type PostgresServer } from '../test/support/postgres-server.js';
import { fmt, log, median, percentile, syntheticIdentity } from './bench-common.js';

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  /** Members in the request-rate figures. */
  members: number;
  /** Rounds of the request-rate figures (the median is kept). */
  rounds: number;
  /** Requests kept in flight in a fresh round, over all processes. */
  inFlight: number;
  /** Member counts of the scale figures. */
  small: number;
  middle: number;
  large: number;
  /** Members measured at each count (their first, cached and not-newer requests). */
  sample: number;
  /** Members of the migrated image (0: no migration figures). */
  migrate: number;
  url: string | undefined;
  write: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string, fallback: number): number => {
    const index = argv.indexOf(`--${name}`);
    if (index === -1) return fallback;
    const parsed = Number(argv[index + 1]);
    if (!Number.isInteger(parsed) || parsed < (name === 'migrate' ? 0 : 1)) throw new Error(`--${name} needs a positive integer`);
    return parsed;
  };
  const urlIndex = argv.indexOf('--url');
  return {
    members: value('members', 1_000),
    rounds: value('rounds', 3),
    inFlight: value('in-flight', 64),
    small: value('small', 1_000),
    middle: value('middle', 100_000),
    large: value('large', 10_000_000),
    sample: value('sample', 1_000),
    migrate: value('migrate', 100_000),
    url: urlIndex === -1 ? undefined : argv[urlIndex + 1],
    write: !argv.includes('--no-write'),
  };
}

// ---------------------------------------------------------------------------------------------
// The master process (a child of this script)

type Engine = 'postgres' | 'sqljs';
type Expected = 'OK' | 'OK_BUT_NOT_NEWER' | 'ACCESS_DENIED';

type Command =
  | { op: 'open'; engine: Engine; location: string }
  | { op: 'createNetwork'; private: boolean }
  | { op: 'authorize'; nwid: string; addresses: string[] }
  | { op: 'touch'; nwid: string }
  | { op: 'revision'; nwid: string }
  | { op: 'round'; nwid: string; identities: string[]; haveRevision: string; expected: Expected; inFlight: number }
  | { op: 'rss' }
  | { op: 'close' };

interface RoundResult {
  ms: number;
  latencies: number[];
}

async function runWorker(): Promise<void> {
  let master: NetconfMaster | undefined;
  let close: (() => Promise<void>) | undefined;
  const identities = new Map<string, Identity>();
  const identityOf = (text: string): Identity => {
    let identity = identities.get(text);
    if (identity === undefined) identities.set(text, (identity = Identity.fromString(text)));
    return identity;
  };
  const handle = async (command: Command): Promise<unknown> => {
    switch (command.op) {
      case 'open': {
        const storage = command.engine === 'postgres'
          ? await openPostgresStorage({ connectionString: command.location })
          : await openSqlJsStorage({ path: command.location });
        master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), { validateIdentities: false });
        close = async () => {
          await master!.close();
          await storage.close();
        };
        return null;
      }
      case 'createNetwork':
        return master!.createNetwork({ name: 'bench', private: command.private, v4AssignMode: 'zt', ipPools: ['10.0.0.0/8'] });
      case 'authorize':
        for (let start = 0; start < command.addresses.length; start += 1000) {
          await master!.authorizeMembers(command.nwid, command.addresses.slice(start, start + 1000));
        }
        return null;
      case 'touch':
        await master!.updateNetwork(command.nwid, { description: `round ${randomBytes(4).toString('hex')}` });
        return null;
      case 'revision':
        return String((await master!.getNetwork(command.nwid))!.revision);
      case 'round': {
        const members = command.identities.map(identityOf);
        const expected = ResultCode[command.expected];
        const haveRevision = BigInt(command.haveRevision);
        const latencies: number[] = [];
        let next = 0;
        const client = async (): Promise<void> => {
          while (next < members.length) {
            const identity = members[next++]!;
            const start = performance.now();
            const reply = await master!.doNetworkConfigRequest({ fromAddr: '198.51.100.7/9993', identity, nwid: command.nwid, haveRevision });
            latencies.push(performance.now() - start);
            if (reply.code !== expected) throw new Error(`expected ${command.expected}, got code ${reply.code} ${reply.error ?? ''}`);
          }
        };
        const start = performance.now();
        await Promise.all(Array.from({ length: Math.max(1, command.inFlight) }, client));
        return { ms: performance.now() - start, latencies } satisfies RoundResult;
      }
      case 'rss':
        return process.memoryUsage().rss;
      case 'close':
        await close?.();
        return null;
    }
  };
  process.on('message', (message: { id: number; command: Command }) => {
    handle(message.command).then(
      (result) => process.send!({ id: message.id, result }),
      (error: unknown) => process.send!({ id: message.id, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
    );
  });
}

/** A master process, driven by messages. */
class MasterProcess {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #next = 0;

  constructor() {
    this.#child = fork(fileURLToPath(import.meta.url), ['--worker'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error !== undefined) pending?.reject(new Error(`master process: ${message.error}`));
      else pending?.resolve(message.result);
    });
    this.#child.on('exit', (code) => {
      for (const pending of this.#pending.values()) pending.reject(new Error(`master process exited (${code})`));
      this.#pending.clear();
    });
  }

  call<T>(command: Command): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#child.send({ id, command });
    });
  }

  async stop(): Promise<void> {
    await this.call({ op: 'close' }).catch(() => undefined);
    this.#child.kill();
  }
}

// ---------------------------------------------------------------------------------------------
// Databases

interface Place {
  engine: Engine;
  location: string;
}

class Databases {
  readonly #server: PostgresServer | null;
  readonly #url: string;
  readonly #folder = mkdtempSync(join(tmpdir(), 'ztnc-bench-pg-'));
  readonly #created: string[] = [];

  constructor(url: string | undefined) {
    this.#server = url === undefined ? startPostgres({ port: 56_000 + (process.pid % 500) }) : null;
    this.#url = url ?? this.#server!.url;
  }

  #urlFor(database: string): string {
    return this.#url.replace(/^(postgres(?:ql)?:\/\/[^/?]*\/)[^?]*/, `$1${database}`);
  }

  async postgres(): Promise<Place> {
    const name = `zt_bench_${randomBytes(5).toString('hex')}`;
    await this.admin((client) => client.query(`CREATE DATABASE ${name}`));
    this.#created.push(name);
    return { engine: 'postgres', location: this.#urlFor(name) };
  }

  sqlJsFile(): Place {
    return { engine: 'sqljs', location: join(mkdtempSync(join(this.#folder, 'sqljs-')), 'netconf.db') };
  }

  async admin<T>(fn: (client: pg.Client) => Promise<T>, url = this.#url): Promise<T> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  async dispose(): Promise<void> {
    if (this.#server === null) {
      for (const name of this.#created) await this.admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
    } else {
      this.#server.stop();
    }
    rmSync(this.#folder, { recursive: true, force: true });
  }
}

/** PostgreSQL's version, and the settings that matter here. */
async function serverDescription(databases: Databases): Promise<string> {
  return databases.admin(async (client) => {
    const version = (await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v;
    const settings = (await client.query<{ name: string; value: string }>(
      `SELECT name, current_setting(name) AS value FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'max_connections') ORDER BY name`,
    )).rows.map((row) => `${row.name}=${row.value}`);
    return `PostgreSQL ${version} (${settings.join(', ')})`;
  });
}

// ---------------------------------------------------------------------------------------------
// Request rates

interface Rates {
  fresh: number;
  cached: number;
  notNewer: number;
}

function syntheticMembers(count: number, start: bigint): string[] {
  return Array.from({ length: count }, (_, i) => syntheticIdentity(start + BigInt(i) * 7919n).toString(false));
}

/** Splits `items` into `parts` interleaved shares. */
function split<T>(items: readonly T[], parts: number): T[][] {
  return Array.from({ length: parts }, (_, part) => items.filter((_, i) => i % parts === part));
}

/** Requests/s of one round, the members split between the processes, all processes at once. */
async function roundRate(processes: MasterProcess[], nwid: string, members: string[], haveRevision: string, expected: Expected, inFlight: number): Promise<number> {
  const shares = split(members, processes.length);
  const start = performance.now();
  await Promise.all(processes.map((process, i) => process.call<RoundResult>({
    op: 'round', nwid, identities: shares[i]!, haveRevision, expected, inFlight: Math.max(1, Math.floor(inFlight / processes.length)),
  })));
  return (members.length * 1000) / (performance.now() - start);
}

async function requestRates(place: Place, processCount: number, options: Options): Promise<Rates> {
  const processes = Array.from({ length: processCount }, () => new MasterProcess());
  try {
    for (const process of processes) await process.call({ op: 'open', engine: place.engine, location: place.location });
    const first = processes[0]!;
    const nwid = await first.call<string>({ op: 'createNetwork', private: true });
    const members = syntheticMembers(options.members, 0x1000000000n);
    // Their first requests make them members (denied: not yet authorized), then the first fresh
    // round claims their addresses and starts the signing workers; neither is measured.
    await roundRate(processes, nwid, members, '0', 'ACCESS_DENIED', options.inFlight);
    await first.call({ op: 'authorize', nwid, addresses: members.map((text) => text.slice(0, 10)) });
    await roundRate(processes, nwid, members, '0', 'OK', options.inFlight);
    const figures: Record<keyof Rates, number[]> = { fresh: [], cached: [], notNewer: [] };
    for (let round = 0; round < options.rounds; round++) {
      // A revision change made through one process; every process must serve the new revision.
      await first.call({ op: 'touch', nwid });
      figures.fresh.push(await roundRate(processes, nwid, members, '0', 'OK', options.inFlight));
      figures.cached.push(await roundRate(processes, nwid, members, '0', 'OK', processCount));
      const revision = await first.call<string>({ op: 'revision', nwid });
      // The first poll at the held revision records it (one small write each): not counted.
      await roundRate(processes, nwid, members, revision, 'OK_BUT_NOT_NEWER', processCount);
      figures.notNewer.push(await roundRate(processes, nwid, members, revision, 'OK_BUT_NOT_NEWER', processCount));
    }
    return { fresh: median(figures.fresh), cached: median(figures.cached), notNewer: median(figures.notNewer) };
  } finally {
    for (const process of processes) await process.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Scale

const BULK_BATCH = 500_000;

/**
 * Loads `count` authorized members (with their node rows and one IPv4 address each, from 10.0.0.1
 * up, marked as the master's own choice) into network `nwid`, through SQL on the server, in
 * batches. Filler members have no cached netconf (that is written when a member asks).
 */
async function bulkLoad(databases: Databases, url: string, nwid: string, count: number): Promise<number> {
  const started = performance.now();
  await databases.admin(async (client) => {
    // Row triggers off for this session: they would extend the one run of held addresses row by
    // row (an update of the same row per address, quadratic within a transaction). The run they
    // would have made is written once at the end; the filler raises no revision either way.
    await client.query(`SET session_replication_role = replica`);
    for (let from = 0; from < count; from += BULK_BATCH) {
      const to = Math.min(count, from + BULK_BATCH) - 1;
      await client.query('BEGIN');
      // Node addresses 0x2000000000 + i: never the measured members' (0x3000000000 up).
      await client.query(
        `INSERT INTO node (id, identity, lastat, lastseen, firstseen)
         SELECT lpad(to_hex(137438953472 + i), 10, '0'),
                lpad(to_hex(137438953472 + i), 10, '0') || ':0:' || md5(i::text) || md5((i + 1)::text) || md5((i + 2)::text) || md5((i + 3)::text),
                '198.51.100.7/9993', 1700000000000, 1700000000000
         FROM generate_series($1::bigint, $2::bigint) AS i`,
        [from, to],
      );
      await client.query(
        `INSERT INTO member (networkid, nodeid, authorized, authorizedat)
         SELECT $3, lpad(to_hex(137438953472 + i), 10, '0'), true, 1700000000000
         FROM generate_series($1::bigint, $2::bigint) AS i`,
        [from, to, nwid],
      );
      await client.query(
        `INSERT INTO ipassignment (networkid, nodeid, ipversion, ipint, ipnetmaskbits, automatic)
         SELECT $3, lpad(to_hex(137438953472 + i), 10, '0'), 4, 167772161 + i, 8, true
         FROM generate_series($1::bigint, $2::bigint) AS i`,
        [from, to, nwid],
      );
      await client.query('COMMIT');
      log(`    loaded ${fmt(to + 1)} of ${fmt(count)} members (${fmt((performance.now() - started) / 1000, 1)} s)`);
    }
    await client.query(`INSERT INTO iprun (networkid, ipversion, first, last) VALUES ($1, 4, 167772161, $2)`, [nwid, 167772161 + count - 1]);
    // A database in service has been vacuumed: without this, autovacuum's first pass over the
    // loaded tables (gigabytes at 10,000,000 members) and the hint bits the first reads write
    // would run during the measurement.
    await client.query('VACUUM (ANALYZE)');
  }, url);
  return (performance.now() - started) / 1000;
}

interface ScaleFigures {
  members: number;
  loadSeconds: number;
  databaseMB: number;
  join: { p50: number; p99: number };
  cached: { p50: number; p99: number };
  notNewer: { p50: number; p99: number };
  rssMB: number;
}

function spread(latencies: number[]): { p50: number; p99: number } {
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Slices each measured phase is cut into, run in turn at every member count. */
const SLICES = 20;

/** A loaded database with its master process, ready to be measured. */
interface Loaded {
  count: number;
  master: MasterProcess;
  location: string;
  nwid: string;
  loadSeconds: number;
}

async function loadCount(databases: Databases, count: number): Promise<Loaded> {
  const place = await databases.postgres();
  const master = new MasterProcess();
  await master.call({ op: 'open', engine: 'postgres', location: place.location });
  // Public: a newcomer's first request is served at once (claims an address, signs a netconf).
  const nwid = await master.call<string>({ op: 'createNetwork', private: false });
  const loadSeconds = await bulkLoad(databases, place.location, nwid, count);
  return { count, master, location: place.location, nwid, loadSeconds };
}

/**
 * Every count loaded first, each with its master process; then each phase (join, cached, not newer)
 * measured a slice of the sample at a time, every count in turn, so that the load of a shared
 * machine falls on all counts alike instead of on whichever count happened to run at a busy moment.
 */
async function scaleFigures(databases: Databases, counts: readonly number[], options: Options): Promise<ScaleFigures[]> {
  const loaded: Loaded[] = [];
  try {
    for (const count of counts) {
      log(`scale: loading ${fmt(count)} members`);
      loaded.push(await loadCount(databases, count));
    }
    const sample = syntheticMembers(options.sample, 0x3000000000n);
    const slices = split(sample, Math.min(SLICES, sample.length));
    const phase = async (haveRevision: (each: Loaded) => string, expected: Expected): Promise<number[][]> => {
      const latencies: number[][] = loaded.map(() => []);
      for (const slice of slices) {
        for (const [i, each] of loaded.entries()) {
          const round = await each.master.call<RoundResult>({
            op: 'round', nwid: each.nwid, identities: slice, haveRevision: haveRevision(each), expected, inFlight: 1,
          });
          latencies[i]!.push(...round.latencies);
        }
      }
      return latencies;
    };
    const join = await phase(() => '0', 'OK');
    const cached = await phase(() => '0', 'OK');
    const revisions = new Map<Loaded, string>();
    for (const each of loaded) revisions.set(each, await each.master.call<string>({ op: 'revision', nwid: each.nwid }));
    await phase((each) => revisions.get(each)!, 'OK_BUT_NOT_NEWER');
    const notNewer = await phase((each) => revisions.get(each)!, 'OK_BUT_NOT_NEWER');
    const figures: ScaleFigures[] = [];
    for (const [i, each] of loaded.entries()) {
      const rss = await each.master.call<number>({ op: 'rss' });
      const databaseMB = await databases.admin(async (client) =>
        Number((await client.query<{ size: string }>(`SELECT pg_database_size(current_database()) AS size`)).rows[0]!.size) / 1024 / 1024, each.location);
      figures.push({
        members: each.count, loadSeconds: each.loadSeconds, databaseMB,
        join: spread(join[i]!), cached: spread(cached[i]!), notNewer: spread(notNewer[i]!),
        rssMB: rss / 1024 / 1024,
      });
    }
    return figures;
  } finally {
    for (const each of loaded) await each.master.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Migration

interface MigrationFigures {
  members: number;
  /** Seconds into PostgreSQL and back out, at `members` and at a tenth of it. */
  into: number;
  out: number;
  intoTenth: number;
  outTenth: number;
}

/** A SQLite image of `count` members in one network (node, member, IPv4 address; every tenth an IPv6 address, chosen). */
async function migrationImage(count: number): Promise<Uint8Array> {
  const storage = await openSqlJsStorage({ persistence: createMemoryPersistence() });
  try {
    const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), { validateIdentities: false, signingWorkers: 0 });
    const nwid = await master.createNetwork({ name: 'migrated', v4AssignMode: 'zt', ipPools: ['10.0.0.0/8'] });
    await master.close();
    storage.engine.write((writer) => {
      for (let i = 0; i < count; i++) {
        const id = (0x2000000000 + i).toString(16).padStart(10, '0');
        writer.run(`INSERT INTO Node (id, identity, lastAt, lastSeen, firstSeen) VALUES (?, ?, '198.51.100.7/9993', 1700000000000, 1700000000000)`,
          [id, `${id}:0:${'ab'.repeat(64)}`]);
        writer.run(`INSERT INTO Member (networkId, nodeId, authorized, authorizedAt) VALUES (?, ?, 1, 1700000000000)`, [nwid, id]);
        const v4 = 0x0a000001 + i;
        writer.run(`INSERT INTO IpAssignment (networkId, nodeId, ip, ipNetmaskBits, ipVersion, ipInt, automatic) VALUES (?, ?, ?, 8, 4, ?, 1)`,
          [nwid, id, [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join('.'), v4]);
        if (i % 10 === 0) {
          writer.run(`INSERT INTO IpAssignment (networkId, nodeId, ip, ipNetmaskBits, ipVersion, ipInt, automatic) VALUES (?, ?, ?, 64, 6, NULL, 0)`,
            [nwid, id, `fd00::${(i / 10 + 1).toString(16)}`]);
        }
      }
    });
    return await storage.backup();
  } finally {
    await storage.close();
  }
}

/** Seconds to copy an image of `count` members into a fresh PostgreSQL database, and to read it back. */
async function migrationSeconds(databases: Databases, count: number): Promise<{ into: number; out: number }> {
  const image = await migrationImage(count);
  const place = await databases.postgres();
  const store = await openPostgresStorage({ connectionString: place.location });
  try {
    let started = performance.now();
    await copySqliteImageToPostgres(image, store);
    const into = (performance.now() - started) / 1000;
    started = performance.now();
    await sqliteImageFromPostgres(store);
    return { into, out: (performance.now() - started) / 1000 };
  } finally {
    await store.close();
  }
}

async function migrationFigures(databases: Databases, count: number): Promise<MigrationFigures> {
  const tenth = await migrationSeconds(databases, Math.max(1, Math.round(count / 10)));
  const full = await migrationSeconds(databases, count);
  return { members: count, into: full.into, out: full.out, intoTenth: tenth.into, outTenth: tenth.out };
}

// ---------------------------------------------------------------------------------------------
// Report

const BEGIN = '<!-- bench:postgres begin -->';
const END = '<!-- bench:postgres end -->';

function migrationReport(m: MigrationFigures | null): string[] {
  if (m === null) return [];
  const tenth = fmt(Math.round(m.members / 10));
  return [
    '',
    '### Migration',
    '',
    `A SQLite image of ${fmt(m.members)} members (a node, a member and an IPv4 address each, every tenth an IPv6`,
    'address too) copied into a fresh PostgreSQL database and read back into a SQLite image: what',
    '`zt-netconf-master migrate` runs after opening the file. Row triggers are off for the copy\'s own',
    'transaction and the runs of held addresses are written once at the end.',
    '',
    '| members | into PostgreSQL s | back to SQLite s |',
    '|---|---|---|',
    `| ${tenth} | ${fmt(m.intoTenth, 1)} | ${fmt(m.outTenth, 1)} |`,
    `| ${fmt(m.members)} | ${fmt(m.into, 1)} | ${fmt(m.out, 1)} |`,
    '',
    `Ten times the members: ${fmt(m.into / m.intoTenth, 1)} × the time into PostgreSQL, ${fmt(m.out / m.outTenth, 1)} × back (linear: 10).`,
  ];
}

function report(options: Options, server: string, rates: Record<string, Rates>, scale: ScaleFigures[], migration: MigrationFigures | null): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const rate = (key: string, field: keyof Rates) => (rates[key] === undefined ? 'n/a' : fmt(rates[key]![field]));
  const ms = (value: number) => fmt(value, 2);
  const [small, , large] = scale;
  const middle = scale[1]!;
  return [
    BEGIN,
    '## PostgreSQL',
    '',
    `\`npm run bench:postgres\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpu}, ${fmt(totalmem() / 1024 ** 3, 0)} GiB RAM,`,
    `Node ${process.version}, ${server}, a throwaway server on a unix socket unless --url.`,
    `Options: ${options.members} members, rounds: ${options.rounds} (median kept), ${options.inFlight} fresh requests in flight,`,
    `scale counts ${fmt(options.small)} / ${fmt(options.middle)} / ${fmt(options.large)} with ${fmt(options.sample)} measured members.`,
    'Every master runs in a process of its own; the signing backend is the default (`auto`).',
    '',
    '### Request rates (requests/s, all processes together)',
    '',
    'Fresh: after a revision change made through one process, every member asks (haveRevision 0), the',
    `members split between the processes, ${options.inFlight} requests in flight in all. Cached: each asks again.`,
    'Not newer: each asks at the revision it holds (its first such poll, which records it, not counted).',
    'sql.js runs on a durable file; it holds one writer process, so it has no 2-process figure.',
    '',
    '| storage | processes | fresh/s | cached/s | not-newer/s |',
    '|---|---|---|---|---|',
    `| sql.js, durable file | 1 | ${rate('sqljs-1', 'fresh')} | ${rate('sqljs-1', 'cached')} | ${rate('sqljs-1', 'notNewer')} |`,
    `| PostgreSQL | 1 | ${rate('postgres-1', 'fresh')} | ${rate('postgres-1', 'cached')} | ${rate('postgres-1', 'notNewer')} |`,
    `| PostgreSQL | 2 | ${rate('postgres-2', 'fresh')} | ${rate('postgres-2', 'cached')} | ${rate('postgres-2', 'notNewer')} |`,
    '',
    '### Latency and memory against the member count',
    '',
    'Members bulk-loaded through SQL (INSERT ... SELECT FROM generate_series, 500,000 rows a transaction,',
    'row triggers off and the run of held addresses written once: node, member and one IPv4 address each,',
    'no cached netconf; then `VACUUM (ANALYZE)`, included in the load time), then measured members ask one at a time:',
    'their first request (a join: an address claimed after the loaded block, a netconf signed and stored),',
    'again (cached), and at the revision they hold (not newer). Every count is loaded first, with a master',
    `process of its own; each phase then runs ${SLICES} slices of the measured members, every count in turn, so a`,
    'busy moment of the machine falls on all counts alike. RSS: each master process after serving.',
    '',
    '| members | load s | database MB | join p50 / p99 ms | cached p50 / p99 ms | not-newer p50 / p99 ms | master RSS MB |',
    '|---|---|---|---|---|---|---|',
    ...scale.map((s) =>
      `| ${fmt(s.members)} | ${fmt(s.loadSeconds, 1)} | ${fmt(s.databaseMB)} | ${ms(s.join.p50)} / ${ms(s.join.p99)} | ${ms(s.cached.p50)} / ${ms(s.cached.p99)} | ${ms(s.notNewer.p50)} / ${ms(s.notNewer.p99)} | ${fmt(s.rssMB)} |`),
    '',
    `Large ÷ small, p50 / p99: join ${fmt(large!.join.p50 / small!.join.p50, 2)} / ${fmt(large!.join.p99 / small!.join.p99, 2)}, ` +
      `cached ${fmt(large!.cached.p50 / small!.cached.p50, 2)} / ${fmt(large!.cached.p99 / small!.cached.p99, 2)}, ` +
      `not-newer ${fmt(large!.notNewer.p50 / small!.notNewer.p50, 2)} / ${fmt(large!.notNewer.p99 / small!.notNewer.p99, 2)} (target within 2 ×).`,
    `Master RSS at ${fmt(large!.members)} ÷ at ${fmt(middle.members)}: ${fmt(large!.rssMB / middle.rssMB, 2)} (target within 2 ×).`,
    ...migrationReport(migration),
    END,
  ].join('\n');
}

/** Puts `section` into docs/benchmarks.md in place of the previous one, or at the end. */
function writeSection(section: string): void {
  const file = new URL('../docs/benchmarks.md', import.meta.url);
  const text = readFileSync(file, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const updated = begin !== -1 && end > begin
    ? text.slice(0, begin) + section + text.slice(end + END.length)
    : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, updated);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const databases = new Databases(options.url);
  try {
    const server = await serverDescription(databases);
    log(`${server}`);
    const rates: Record<string, Rates> = {};
    for (const [engine, processes] of [['sqljs', 1], ['postgres', 1], ['postgres', 2]] as const) {
      const place = engine === 'sqljs' ? databases.sqlJsFile() : await databases.postgres();
      rates[`${engine}-${processes}`] = await requestRates(place, processes, options);
      const r = rates[`${engine}-${processes}`]!;
      log(`${engine}, ${processes} process(es): fresh ${fmt(r.fresh)}/s, cached ${fmt(r.cached)}/s, not-newer ${fmt(r.notNewer)}/s`);
    }
    const scale = await scaleFigures(databases, [options.small, options.middle, options.large], options);
    for (const figures of scale) {
      log(`scale ${fmt(figures.members)}: join p50 ${fmt(figures.join.p50, 2)} ms p99 ${fmt(figures.join.p99, 2)} ms, cached p50 ${fmt(figures.cached.p50, 2)} ms, not-newer p50 ${fmt(figures.notNewer.p50, 2)} ms, RSS ${fmt(figures.rssMB)} MB`);
    }
    let migration: MigrationFigures | null = null;
    if (options.migrate > 0) {
      log(`migration: ${fmt(options.migrate)} members`);
      migration = await migrationFigures(databases, options.migrate);
      log(`  into PostgreSQL ${fmt(migration.into, 1)} s (a tenth: ${fmt(migration.intoTenth, 1)} s), back ${fmt(migration.out, 1)} s (a tenth: ${fmt(migration.outTenth, 1)} s)`);
    }
    const section = report(options, server, rates, scale, migration);
    process.stdout.write(`${section}\n`);
    if (options.write) {
      writeSection(section);
      log('wrote the PostgreSQL section of docs/benchmarks.md');
    }
  } finally {
    await databases.dispose();
  }
}

if (process.argv.includes('--worker')) {
  void runWorker();
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
