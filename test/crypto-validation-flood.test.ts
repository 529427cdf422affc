/**
 * A flood of new (forged) identities costs one memory-hard hash each. Those hashes run on the
 * signing workers, a few at a time per source address, so known members' requests keep their
 * latency meanwhile. Timings are compared with each other (ratios), never with fixed thresholds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { createNetconfMaster, ResultCode, type NetconfMaster } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';

const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
const known = TEST_IDENTITIES.slice(1, 5).map((text) => Identity.fromString(text).publicOnly());

/** Identities with any key at any address: they parse, and fail the proof of work. */
function forgedIdentities(count: number, seed: string): string[] {
  const random = deterministicRandom(seed);
  return Array.from({ length: count }, (_, i) => `${(0x2000000000 + i).toString(16)}:0:${bytesToHex(random(64))}`);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

async function knownRequest(master: NetconfMaster, nwid: string, i: number): Promise<number> {
  const [reply, ms] = await timed(() => master.doNetworkConfigRequest({ fromAddr: `198.51.100.${i % 4}/9993`, identity: known[i % known.length]!, nwid }));
  assert.equal(reply.code, ResultCode.OK);
  return ms;
}

test('during a flood of forged identities from one address, known members are answered as quickly as before it, and the forged are all denied', async (t) => {
  const storage = await openSqlJsStorage();
  const master = createNetconfMaster(storage, masterIdentity, { signingWorkers: 1 });
  try {
    const nwid = await master.createNetwork({ name: 'flooded', private: false });
    for (const identity of known) assert.equal((await master.doNetworkConfigRequest({ identity, nwid })).code, ResultCode.OK);
    // The worker loads while the first identities are validated here; the flood starts once it validates.
    for (const forged of forgedIdentities(200, 'warm-up')) {
      if (master.validationCounts.byWorkers > 0) break;
      assert.equal((await master.doNetworkConfigRequest({ identity: forged, nwid })).code, ResultCode.ACCESS_DENIED);
      await pause(20);
    }
    assert.ok(master.validationCounts.byWorkers > 0, 'the worker validates');

    // Known members' latency alone (a config change between rounds makes some need a fresh netconf).
    const quiet: number[] = [];
    for (let i = 0; i < 40; i++) {
      if (i % 10 === 0) await master.updateNetwork(nwid, { description: `quiet ${i}` });
      quiet.push(await knownRequest(master, nwid, i));
      await pause(5);
    }

    const flood = forgedIdentities(100, 'flood');
    const floodStart = performance.now();
    let floodMs = 0;
    const floodDone = Promise.all(
      flood.map((identity, i) => master.doNetworkConfigRequest({ fromAddr: `203.0.113.7/${10000 + i}`, identity, nwid })),
    ).then((replies) => {
      floodMs = performance.now() - floodStart;
      return replies;
    });
    const during: number[] = [];
    for (let i = 0; floodMs === 0; i++) {
      if (i % 10 === 0) await master.updateNetwork(nwid, { description: `flood ${i}` });
      during.push(await knownRequest(master, nwid, i));
      await pause(5); // members' traffic, not a busy loop competing with the worker for a core
    }
    const replies = await floodDone;
    assert.ok(replies.every((reply) => reply.code === ResultCode.ACCESS_DENIED), 'every forged identity is denied');
    for (const identity of flood.slice(0, 5)) assert.equal(await master.getMember(nwid, identity.slice(0, 10)), null);

    const quietMedian = median(quiet);
    const duringMedian = median(during);
    const duringWorst = Math.max(...during);
    const figures = `quiet median ${quietMedian.toFixed(2)} ms, flood median ${duringMedian.toFixed(2)} ms, worst ${duringWorst.toFixed(1)} ms, flood ${floodMs.toFixed(0)} ms, ${during.length} known requests`;
    t.diagnostic(figures);
    // The flood takes about 100 hashes' time; a known member waits for none of them.
    assert.ok(during.length >= 10, `known members were answered throughout the flood (${figures})`);
    assert.ok(duringWorst * 10 < floodMs, `no known request waited a tenth of the flood (${figures})`);
    assert.ok(duringMedian * 40 < floodMs, `the typical known request is far quicker than the flood (${figures})`);
    assert.ok(master.validationCounts.byWorkers >= flood.length, `the flood was hashed on the worker (${figures})`);
  } finally {
    await master.close();
    await storage.close();
  }
});

test('validations in flight are bounded per source IP (ports do not count), relayed requests share one bucket, other sources pass', async () => {
  const { ValidationGate } = await import('../src/master/validation-gate.js');
  const gate = new ValidationGate(2);
  const running = new Map<string, number>();
  const most = new Map<string, number>();
  const releases: Array<() => void> = [];
  const started: string[] = [];
  const run = (fromAddr: string | null, source: string) =>
    gate.run(fromAddr, async () => {
      started.push(source);
      running.set(source, (running.get(source) ?? 0) + 1);
      most.set(source, Math.max(most.get(source) ?? 0, running.get(source)!));
      await new Promise<void>((resolve) => releases.push(resolve));
      running.set(source, running.get(source)! - 1);
      return source;
    });
  const flood = Array.from({ length: 6 }, (_, i) => run(`203.0.113.7/${1000 + i}`, 'flood'));
  const relayed = Array.from({ length: 3 }, () => run(null, 'relayed'));
  const member = run('198.51.100.1/9993', 'member');
  await pause(0);
  assert.deepEqual(started, ['flood', 'flood', 'relayed', 'relayed', 'member'], 'two per source start; the rest wait their turn');
  while (releases.length > 0) {
    releases.shift()!();
    await pause(0);
  }
  assert.deepEqual(await Promise.all([...flood, ...relayed, member]), [...Array(6).fill('flood'), ...Array(3).fill('relayed'), 'member']);
  assert.deepEqual(Object.fromEntries(most), { flood: 2, relayed: 2, member: 1 });
  // A validation that fails passes its slot on too.
  const failing = gate.run('192.0.2.1/1', async () => {
    throw new Error('no');
  });
  await assert.rejects(failing, /no/);
  assert.equal(await gate.run('192.0.2.1/1', async () => 'after'), 'after');
});
