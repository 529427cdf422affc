/**
 * The scale figures of issue 5: request latency and memory with 1,000 and with 1,000,000 members
 * (private networks of 100 authorized members each, bulk-loaded), measured side by side.
 *
 *   npm run bench:scale [networks] [iterations]    1,000 members against networks × 100 (default
 *                                                   10,000), each setup visited `iterations` times (default 3,000)
 *
 * Each kind of request is compared with the same kind at the other scale, the member in the same
 * state at both, so that only the database's size differs:
 * - fresh: a member served before asks after a revision change (the steady state: every member of
 *   a network asks again after each administrative change);
 * - first: a bulk-loaded member's first request (also records its reported revision and stores
 *   its first cached netconf);
 * - join: a newcomer's first config (node, member and address claimed) once it is authorized; the
 *   first request after that revision change, it also builds the network's per-revision parts.
 * Between requests the event loop turns, as a server's does between packets; the batched
 * statistics and netconf write that runs then is timed on its own ("deferred").
 */
import { performance } from 'node:perf_hooks';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { createNetconfMaster, ResultCode, type NetconfMaster } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import type { SqlNetconfStore } from '../src/storage/sql/sql-store.js';
import { fmt, log, percentile, syntheticIdentity } from './bench-common.js';

export const MEMBERS_PER_NETWORK = 100;
export const REQUEST_KINDS = ['fresh', 'first', 'join'] as const;
/** The request kinds, and the batched write that follows each request. */
export const MEASURED = [...REQUEST_KINDS, 'deferred'] as const;
export type Measured = (typeof MEASURED)[number];
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface Latency {
  samples: number;
  p50: number;
  p99: number;
}

export interface ScaleSetup {
  members: number;
  networkCount: number;
  storage: SqlNetconfStore;
  master: NetconfMaster;
  networks: string[];
  /** Per network, the identities of its first bulk-loaded members (all of them on a small setup). */
  sample: Map<string, Identity[]>;
  populateS: number;
  rssMB: number;
  heapMB: number;
}

export interface ScaleFigures {
  members: number;
  networkCount: number;
  populateS: number;
  rssMB: number;
  heapMB: number;
  dbMB: number;
  latency: Record<Measured, Latency>;
}

/** Members whose identities a setup keeps, per network: all on a small setup, a few on a large one. */
function keptPerNetwork(networkCount: number): number {
  return networkCount <= 10 ? MEMBERS_PER_NETWORK : 3;
}

/** Inserts `membersPerNetwork` authorized members with IPv4 assignments into each network, in big transactions. */
async function populate(
  store: SqlNetconfStore,
  networks: string[],
  masterAddress: bigint,
): Promise<Map<string, Identity[]>> {
  const sample = new Map<string, Identity[]>();
  const kept = keptPerNetwork(networks.length);
  let nodeCounter = 0x2000000000n;
  const batch = 50;
  for (let n = 0; n < networks.length; n += batch) {
    const slice = networks.slice(n, n + batch);
    await store.engine.write((writer) => {
      for (const [offset, nwid] of slice.entries()) {
        const index = n + offset + 1; // the pool of the network at this position: 10.(index>>8).(index&255).0/24
        const identities: Identity[] = [];
        for (let m = 0; m < MEMBERS_PER_NETWORK; m++) {
          let address = nodeCounter++;
          while (address >> 32n === masterAddress >> 32n) address = nodeCounter++;
          const hex = address.toString(16).padStart(10, '0');
          const identityText = `${hex}:0:${bytesToHex(randomBytes(64))}`;
          writer.run('INSERT INTO Node (id, identity, lastAt, lastSeen, firstSeen) VALUES (?, ?, NULL, 1, 1)', [hex, identityText]);
          writer.run(
            'INSERT INTO Member (networkId, nodeId, authorized, activeBridge, authorizedAt) VALUES (?, ?, 1, 0, 1)',
            [nwid, hex],
          );
          const ip = (((10 << 24) | (((index >> 8) & 0xff) << 16) | ((index & 0xff) << 8)) >>> 0) + 1 + m;
          const text = `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
          // The last two are left without an address: their first config assigns one.
          if (m < MEMBERS_PER_NETWORK - 2) {
            writer.run(
              'INSERT INTO IpAssignment (networkId, nodeId, ip, ipNetmaskBits, ipVersion, ipInt) VALUES (?, ?, ?, 24, 4, ?)',
              [nwid, hex, text, ip],
            );
          }
          if (m < kept) identities.push(Identity.fromString(identityText));
        }
        sample.set(nwid, identities);
      }
    });
    if (n > 0 && n % 2000 === 0) log(`  populated ${n}/${networks.length} networks`);
  }
  return sample;
}

/** A master with `networkCount` private networks of 100 authorized members, bulk-loaded in memory. */
export async function buildScale(networkCount: number, masterIdentity: Identity): Promise<ScaleSetup> {
  const storage = await openSqlJsStorage();
  let clock = 1_800_000_000_000;
  const master = createNetconfMaster(storage, masterIdentity, { validateIdentities: false, now: () => clock++ });
  const started = performance.now();
  const networks: string[] = [];
  for (let i = 0; i < networkCount; i++) {
    const index = i + 1;
    const pool = `10.${(index >> 8) & 0xff}.${index & 0xff}.0/24`;
    networks.push(await master.createNetwork({ name: `net-${i}`, private: true, v4AssignMode: 'zt', ipPools: [pool] }));
    if (i > 0 && i % 2000 === 0) log(`  created ${i}/${networkCount} networks`);
  }
  const sample = await populate(storage, networks, masterIdentity.addressValue);
  const populateS = (performance.now() - started) / 1000;
  const memory = process.memoryUsage();
  return {
    members: networkCount * MEMBERS_PER_NETWORK,
    networkCount,
    storage,
    master,
    networks,
    sample,
    populateS,
    rssMB: memory.rss / 2 ** 20,
    heapMB: memory.heapUsed / 2 ** 20,
  };
}

/** One turn of the event loop: what a server's loop does between two packets (batched statistics are written then). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const signatures = (master: NetconfMaster) => {
  const { byWorkers, byWebCrypto, inline } = master.signatureCounts;
  return byWorkers + byWebCrypto + inline;
};

/**
 * Times a request, which must make a new netconf (two signatures: COM and dictionary), then the
 * turn of the event loop after it, which writes its batched statistics and netconf.
 */
async function timed(master: NetconfMaster, identity: Identity, nwid: string, into: number[], deferred: number[]): Promise<void> {
  const signedBefore = signatures(master);
  let start = performance.now();
  const reply = await master.doNetworkConfigRequest({ fromAddr: null, identity, nwid });
  into.push(performance.now() - start);
  if (reply.code !== ResultCode.OK) throw new Error(`scale request failed: ${reply.code} ${reply.error ?? ''}`);
  if (signatures(master) - signedBefore !== 2) throw new Error('a measured request did not make a new netconf');
  start = performance.now();
  await nextTurn();
  deferred.push(performance.now() - start);
}

/**
 * Request latencies on each setup, measured in turns (one iteration on each, alternating which goes
 * first) so that every setup sees the machine at the same speed: on these VMs the speed drifts
 * over minutes, which measuring one setup after the other took for a difference in scale.
 * Iteration i visits network (i × 7919) mod count: on the large setup, a different network each time.
 */
export async function measureScale(setups: ScaleSetup[], requests: number): Promise<ScaleFigures[]> {
  const networkAt = (setup: ScaleSetup, i: number) => setup.networks[(i * 7919) % setup.networks.length]!;
  const samples = setups.map(() => ({ fresh: [] as number[], first: [] as number[], join: [] as number[], deferred: [] as number[] }));

  // Members 0 and 1 of every network visited are served once beforehand: "fresh" is a member's
  // request after a revision change, the same at both scales.
  const warmed = setups.map(() => new Set<string>());
  for (let i = 0; i < requests; i++) {
    for (const [k, setup] of setups.entries()) {
      const nwid = networkAt(setup, i);
      if (warmed[k]!.has(nwid)) continue;
      warmed[k]!.add(nwid);
      for (const identity of setup.sample.get(nwid)!.slice(0, 2)) {
        await setup.master.doNetworkConfigRequest({ fromAddr: null, identity, nwid });
      }
    }
    await nextTurn();
  }

  const visits = setups.map(() => new Map<string, number>());
  let joinAddress = 0x3000000000n;
  for (let i = 0; i < requests; i++) {
    const order = i % 2 === 0 ? setups.map((_, k) => k) : setups.map((_, k) => setups.length - 1 - k);
    const newcomer = syntheticIdentity(joinAddress++);
    // A bulk-loaded member never served yet, if every setup still has one on this iteration's network.
    const firstContacts = setups.map((setup, k) => {
      const nwid = networkAt(setup, i);
      const visit = visits[k]!.get(nwid) ?? 0;
      visits[k]!.set(nwid, visit + 1);
      return setup.sample.get(nwid)![2 + visit];
    });
    const measureFirst = firstContacts.every((identity) => identity !== undefined);
    for (const k of order) {
      const setup = setups[k]!;
      const { master } = setup;
      const nwid = networkAt(setup, i);
      // The newcomer is denied (private network), then authorized: the revision changes.
      await master.doNetworkConfigRequest({ fromAddr: null, identity: newcomer, nwid });
      await master.authorizeMember(nwid, newcomer.address);
      await nextTurn();
      await timed(master, newcomer, nwid, samples[k]!.join, samples[k]!.deferred);
      await timed(master, setup.sample.get(nwid)![i % 2]!, nwid, samples[k]!.fresh, samples[k]!.deferred);
      if (measureFirst) await timed(master, firstContacts[k]!, nwid, samples[k]!.first, samples[k]!.deferred);
    }
  }

  return setups.map((setup, k) => {
    const pages = setup.storage.engine.read((reader) =>
      reader.get<{ size: number }>('SELECT page_count * page_size AS size FROM pragma_page_count(), pragma_page_size()'),
    )!;
    const latency = Object.fromEntries(
      MEASURED.map((kind) => {
        const values = samples[k]![kind];
        return [kind, { samples: values.length, p50: percentile(values, 50), p99: percentile(values, 99) }];
      }),
    ) as Record<Measured, Latency>;
    return {
      members: setup.members,
      networkCount: setup.networkCount,
      populateS: setup.populateS,
      rssMB: setup.rssMB,
      heapMB: setup.heapMB,
      dbMB: Number(pages.size) / 2 ** 20,
      latency,
    };
  });
}

/** Builds the 1,000-member and the large setup, measures both, closes them. */
export async function scaleFigures(largeNetworks: number, requests: number, masterIdentity: Identity): Promise<[ScaleFigures, ScaleFigures]> {
  log(`scale: ${fmt(10 * MEMBERS_PER_NETWORK)} members...`);
  const small = await buildScale(10, masterIdentity);
  log(`scale: ${fmt(largeNetworks * MEMBERS_PER_NETWORK)} members...`);
  const large = await buildScale(largeNetworks, masterIdentity);
  log(`scale: ${fmt(requests)} iterations on both, in turns...`);
  const figures = (await measureScale([small, large], requests)) as [ScaleFigures, ScaleFigures];
  for (const setup of [small, large]) {
    await setup.master.close();
    await setup.storage.close();
  }
  return figures;
}

/** The largest ratio large ÷ small of the p99 latencies, over the kinds of request. */
export function worstP99Ratio([small, large]: [ScaleFigures, ScaleFigures]): { kind: RequestKind; ratio: number } {
  const ratios = REQUEST_KINDS.map((kind) => ({ kind, ratio: large.latency[kind].p99 / small.latency[kind].p99 }));
  return ratios.reduce((worst, entry) => (entry.ratio > worst.ratio ? entry : worst));
}

export function scaleTable(figures: ScaleFigures[]): string[] {
  const header = MEASURED.map((kind) => `${kind} p50 ms | ${kind} p99 ms`).join(' | ');
  return [
    `| members | networks | ${header} | RSS MB | heap MB | database MB | load s |`,
    `|---|---|${MEASURED.map(() => '---|---|').join('')}---|---|---|---|`,
    ...figures.map((f) => {
      const cells = MEASURED.map((kind) => `${fmt(f.latency[kind].p50, 3)} | ${fmt(f.latency[kind].p99, 3)}`).join(' | ');
      return `| ${fmt(f.members)} | ${fmt(f.networkCount)} | ${cells} | ${fmt(f.rssMB)} | ${fmt(f.heapMB)} | ${fmt(f.dbMB)} | ${fmt(f.populateS, 1)} |`;
    }),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const networks = Number(process.argv[2] ?? 10_000);
  const requests = Number(process.argv[3] ?? 3_000);
  const figures = await scaleFigures(networks, requests, Identity.fromString(TEST_IDENTITIES[0]!));
  console.log(scaleTable(figures).join('\n'));
  const [small, large] = figures;
  console.log(MEASURED.map((kind) => `${kind} p99 ratio ${fmt(large.latency[kind].p99 / small.latency[kind].p99, 2)}`).join(', '));
}
