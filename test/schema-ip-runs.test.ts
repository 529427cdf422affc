/**
 * The runs of held IPv4 addresses (schema version 3): kept by triggers for every writer, and
 * answering "the first free address at or after a candidate" in one lookup, however long the run.
 */
import { test } from 'node:test';
import { readWith, transactWith } from './support/store-calls.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import initSqlJs from 'sql.js';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { createNetconfMaster, ResultCode } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import type { SqlNetconfStore } from '../src/storage/sql/sql-store.js';

const NWID = 'aaaaaaaaaa000001';
const SEED = new URL('./fixtures/netconf-2015-original.db', import.meta.url);
const BASE = 10 * 2 ** 24; // 10.0.0.0

function ipText(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** The member holding host number `host` (one address each). */
const holder = (host: number) => host.toString(16).padStart(10, '0');

function insert(store: SqlNetconfStore, hosts: number[]): Promise<void> {
  return transactWith(store, (tx) => {
    for (const host of hosts) tx.insertAssignment(NWID, holder(host), { family: 4, address: BigInt(BASE + host), bits: 8 });
  });
}

function remove(store: SqlNetconfStore, hosts: number[]): Promise<void> {
  return transactWith(store, (tx) => {
    for (const host of hosts) tx.deleteAssignments(NWID, holder(host));
  });
}

function runs(store: SqlNetconfStore): Array<[number, number]> {
  return store.engine
    .read((reader) => reader.all<{ first: number; last: number }>('SELECT first, last FROM IpRun WHERE networkId = ? ORDER BY first', [NWID]))
    .map((row) => [Number(row.first) - BASE, Number(row.last) - BASE]);
}

function expectedRuns(held: Set<number>): Array<[number, number]> {
  const sorted = [...held].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const value of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] === value - 1) last[1] = value;
    else out.push([value, value]);
  }
  return out;
}

test('property: after any inserts and deletes, IpRun holds exactly the maximal runs of held addresses', async () => {
  const store = await openSqlJsStorage();
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ add: fc.boolean(), hosts: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 12 }) }), {
        maxLength: 12,
      }),
      async (steps) => {
        await transactWith(store, (tx) => tx.deleteNetwork(NWID)); // its addresses with it
        const held = new Set<number>();
        for (const step of steps) {
          if (step.add) {
            const fresh = step.hosts.filter((host) => !held.has(host));
            await insert(store, fresh);
            fresh.forEach((host) => held.add(host));
          } else {
            await remove(store, step.hosts);
            step.hosts.forEach((host) => held.delete(host));
          }
          assert.deepEqual(runs(store), expectedRuns(held));
        }
      },
    ),
    { numRuns: 60 },
  );
  await store.close();
});

test('a hand edit that rewrites an address in place rebuilds the runs', async () => {
  const store = await openSqlJsStorage();
  await insert(store, [1, 2, 3, 10]);
  await store.engine.write((writer) => {
    writer.run('UPDATE IpAssignment SET ipInt = ?, ip = ? WHERE networkId = ? AND ipInt = ?', [BASE + 4, ipText(BASE + 4), NWID, BASE + 10]);
  });
  assert.deepEqual(runs(store), [[1, 4]]);
  await store.close();
});

test('the first free address after a long run of held ones is one lookup away', async () => {
  const store = await openSqlJsStorage();
  const block = Array.from({ length: 20_000 }, (_, i) => 1 + i);
  await insert(store, block);
  assert.deepEqual(runs(store), [[1, 20_000]]);
  const firstFree = (from: number) =>
    readWith(store, (reader) => reader.firstFreeAddress(NWID, 4, BigInt(BASE + from), BigInt(BASE + 2 ** 24 - 2)));
  assert.equal(await firstFree(1), BigInt(BASE + 20_001));
  assert.equal(await firstFree(12_345), BigInt(BASE + 20_001));
  assert.equal(await firstFree(20_001), BigInt(BASE + 20_001));
  assert.equal(await firstFree(30_000), BigInt(BASE + 30_000));
  // A run reaching the end of the range: nothing free in it.
  assert.equal((await readWith(store, (reader) => reader.firstFreeAddress(NWID, 4, BigInt(BASE + 5), BigInt(BASE + 20_000)))), null);
  await store.close();
});

test('a member whose first candidate falls inside a long run gets the address right after it', async () => {
  const store = await openSqlJsStorage();
  const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
  const master = createNetconfMaster(store, masterIdentity, { validateIdentities: false, now: () => 1_800_000_000_000 });
  const nwid = await master.createNetwork({ name: 'dense', private: false, v4AssignMode: 'zt', ipPools: ['10.0.0.0/8'] });
  const base = 10 * 2 ** 24;
  await transactWith(store, (tx) => {
    for (let host = 1; host <= 5_000; host++) {
      tx.insertAssignment(nwid, (0x4000000000 + host).toString(16), { family: 4, address: BigInt(base + host), bits: 8 });
    }
  });
  // Address low 24 bits = 0x000100 (256): its first candidate, 10.0.1.0, is inside the run 10.0.0.1–10.0.19.136.
  const member = Identity.fromString(`5000000100:0:${'ab'.repeat(64)}`);
  const reply = await master.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid });
  assert.equal(reply.code, ResultCode.OK);
  assert.equal(reply.netconf!.get('v4s'), `${ipText(base + 5_001)}/8`);
  await store.close();
});

test('the 2015 schema migrates to runs built from the addresses it already holds', async () => {
  const SQL = await initSqlJs();
  const legacy = new SQL.Database(readFileSync(SEED));
  for (const [node, ip] of [['1111111111', '10.1.0.5'], ['2222222222', '10.1.0.6'], ['3333333333', '10.1.0.7'], ['4444444444', '10.1.0.9']]) {
    legacy.run('INSERT INTO IpAssignment (networkId, nodeId, ip, ipNetmaskBits) VALUES (?, ?, ?, 16)', [NWID, node!, ip!]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ztnc-runs-'));
  const path = join(dir, 'netconf.db');
  writeFileSync(path, legacy.export());
  legacy.close();
  const store = await openSqlJsStorage({ path });
  const ten = 10 * 2 ** 24 + 2 ** 16 - BASE;
  assert.deepEqual(runs(store), [[ten + 5, ten + 7], [ten + 9, ten + 9]]);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
