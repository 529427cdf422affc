import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readWith } from './support/store-calls.js';
import fc from 'fast-check';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { NetworkConfig } from '../src/protocol/network-config.js';
import { createNetconfMaster, ResultCode, type IpPoolExhaustedEvent } from '../src/master/index.js';
import { findFreeAddress, firstCandidate } from '../src/master/ip-assignment.js';
import { firstFreeInRange, wrappingRanges } from '../src/protocol/free-range.js';
import { runSync } from '../src/master/store.js';
import { assignableRange, formatCidr, parseCidr, rfc4193Address, type Cidr } from '../src/protocol/ip.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import { forEachEngine } from './support/engines.js';
import { readPool } from '../src/master/settings.js';

/** A CIDR as the pool it makes (its range without the network and broadcast addresses). */
const asPool = (cidr: Cidr) => readPool(formatCidr(cidr));

const ids = TEST_IDENTITIES.map((text) => Identity.fromString(text));
const masterIdentity = ids[0]!;

/** An identity with an arbitrary key and the given address (for masters with validateIdentities: false). */
function fabricatedIdentity(address: bigint): Identity {
  const key = bytesToHex(deterministicRandom(`member ${address}`)(64));
  return Identity.fromString(`${address.toString(16).padStart(10, '0')}:0:${key}`);
}

/** The store's "first free address in [from, to]" over a set of held addresses. */
/** findFreeAddress over a store whose free-address lookup is `lookup`. */
function find(pool: Cidr, member: bigint, lookup: (family: 4 | 6, from: bigint, to: bigint) => bigint | null): bigint | null {
  return runSync(findFreeAddress({ firstFreeAddress: (_nwid, family, from, to) => lookup(family, from, to) }, 'network', asPool(pool), member));
}

function usedFrom(values: Iterable<bigint>) {
  const held = new Set(values);
  let calls = 0;
  const lookup = (_family: 4 | 6, from: bigint, to: bigint): bigint | null => {
    calls++;
    for (let candidate = from; candidate <= to; candidate++) if (!held.has(candidate)) return candidate;
    return null;
  };
  return { lookup, calls: () => calls };
}

/** The spec's order, one address at a time: candidate, following ones, wrapping, skipping network/broadcast. */
function naiveFree(pool: Cidr, member: bigint, used: Set<bigint>): bigint | null {
  const range = assignableRange(pool);
  if (range === null) return null;
  const size = range.last - range.first + 1n;
  let candidate = firstCandidate(asPool(pool), member);
  for (let i = 0n; i <= size + 2n; i++) {
    if (candidate >= range.first && candidate <= range.last && !used.has(candidate)) return candidate;
    candidate = candidate >= range.last ? range.first : candidate + 1n;
  }
  return null;
}

test('the first candidate is the pool network OR the member address low bits under the host mask', () => {
  assert.equal(formatCidr({ ...parseCidr('10.0.0.0/8'), address: firstCandidate(asPool(parseCidr('10.0.0.0/8')), 0xc60e885d9en) }), '10.136.93.158/8');
  assert.equal(firstCandidate(asPool(parseCidr('192.168.7.0/24')), 0x12345678abn), (192n << 24n) | (168n << 16n) | (7n << 8n) | 0xabn);
  const v6 = parseCidr('fd00:1:2:3::/64');
  assert.equal(firstCandidate(asPool(v6), 0x89e92ceee5n), v6.address | 0x89e92ceee5n);
});

test('network and broadcast addresses are skipped; the search wraps inside the pool', () => {
  const pool = parseCidr('10.0.0.0/24');
  const none = usedFrom([]);
  assert.equal(find(pool, 0x00n, none.lookup), parseCidr('10.0.0.1').address); // .0 → .1
  assert.equal(find(pool, 0xffn, none.lookup), parseCidr('10.0.0.1').address); // .255 → wrap to .1
  const crowded = usedFrom([0xfdn, 0xfen].map((h) => parseCidr('10.0.0.0').address | h));
  assert.equal(find(pool, 0xfdn, crowded.lookup), parseCidr('10.0.0.1').address);
  // A /16 pool: x.y.0.255 and x.y.1.0 are ordinary addresses (the reference skipped them).
  assert.equal(formatCidr({ ...parseCidr('10.5.0.0/16'), address: find(parseCidr('10.5.0.0/16'), 0x00ffn, none.lookup)! }), '10.5.0.255/16');
  assert.equal(formatCidr({ ...parseCidr('10.5.0.0/16'), address: find(parseCidr('10.5.0.0/16'), 0x0100n, none.lookup)! }), '10.5.1.0/16');
  const full = usedFrom([1n, 2n].map((h) => parseCidr('10.0.0.0').address | h));
  assert.equal(find(parseCidr('10.0.0.0/30'), 7n, full.lookup), null);
});

test('property: the probe finds exactly the address the one-by-one search of the spec finds', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 22, max: 30 }),
      fc.bigInt({ min: 1n, max: (1n << 40n) - 1n }),
      fc.array(fc.integer({ min: 0, max: 1023 }), { maxLength: 600 }),
      (bits, member, usedHosts) => {
        const pool = parseCidr(`10.20.0.0/${bits}`);
        const mask = (1n << BigInt(32 - bits)) - 1n;
        const used = new Set(usedHosts.map((h) => pool.address | (BigInt(h) & mask)));
        const expected = naiveFree(pool, member, used);
        const actual = find(pool, member, usedFrom(used).lookup);
        assert.equal(actual, expected);
      },
    ),
    { numRuns: 150 },
  );
});

test('free-range: first gap, wrapping, and a full range', () => {
  const taken = (values: bigint[]) => (from: bigint, to: bigint, limit: number) =>
    values.filter((v) => v >= from && v <= to).slice(0, limit);
  assert.equal(firstFreeInRange(0n, 9n, taken([0n, 1n, 2n, 5n])), 3n);
  assert.equal(firstFreeInRange(0n, 2n, taken([0n, 1n, 2n])), null);
  // Wrapping: the ranges after the start, then before it, searched in turn.
  const wrapping = (first: bigint, last: bigint, start: bigint, values: bigint[]) => {
    for (const [from, to] of wrappingRanges(first, last, start)) {
      const found = firstFreeInRange(from, to, taken(values));
      if (found !== null) return found;
    }
    return null;
  };
  assert.equal(wrapping(0n, 9n, 8n, [8n, 9n, 0n]), 1n);
  assert.equal(wrapping(0n, 3n, 2n, [0n, 1n, 2n, 3n]), null);
  assert.deepEqual(wrappingRanges(0n, 9n, 0n), [[0n, 9n]]);
});

test('rfc4193: fd + nwid + 99 93 + address, /88', () => {
  assert.equal(
    formatCidr(rfc4193Address(0x8056c2e21c000001n, 0x89e92ceee5n)),
    'fd80:56c2:e21c:0000:0199:9389:e92c:eee5/88',
  );
});

test('the request-path lookups use indexes (query plans)', async () => {
  const storage = await openSqlJsStorage();
  const plan = (sql: string) =>
    storage.engine.read((r) => r.all(`EXPLAIN QUERY PLAN ${sql}`).map((row) => String(row.detail)).join(' | '));
  const checks: Array<[string, RegExp]> = [
    [`SELECT ipInt FROM IpAssignment WHERE networkId = 'a' AND ipInt BETWEEN 1 AND 2 ORDER BY ipInt LIMIT 5`, /USING (COVERING )?INDEX IpAssignment_networkId_ipInt/],
    [`SELECT ip FROM IpAssignment WHERE networkId = 'a' AND ipVersion = 6 AND ip BETWEEN 'a' AND 'b' ORDER BY ip LIMIT 5`, /USING (COVERING )?INDEX IpAssignment_networkId_ipVersion_ip/],
    [`SELECT nodeId FROM Member WHERE networkId = 'a' AND activeBridge = 1 AND authorized = 1 ORDER BY nodeId`, /USING (COVERING )?INDEX Member_networkId_activeBridge/],
    [`SELECT nodeId FROM Member WHERE networkId = 'a' AND authorized = 1 AND (clientReportedRevision IS NULL OR clientReportedRevision < 3)`, /INDEX Member_networkId_authorized_revision/],
    [`SELECT * FROM Member WHERE networkId = 'a' AND nodeId = 'b'`, /INDEX Member_networkId_nodeId/],
    [`SELECT * FROM IpAssignment WHERE networkId = 'a' AND nodeId = 'b'`, /INDEX IpAssignment_networkId_nodeId/],
    [`SELECT * FROM Node WHERE id = 'a'`, /PRIMARY KEY|USING INDEX sqlite_autoindex/],
  ];
  for (const [sql, expected] of checks) assert.match(plan(sql), expected, sql);
  await storage.close();
});

test('a range pool: the first candidate is the range start plus the member bits modulo its size, and a search is at most two index lookups', () => {
  const pool = readPool('10.0.0.10-10.255.255.200');
  const size = pool.last - pool.first + 1n;
  const member = 0xc60e885d9en;
  assert.equal(firstCandidate(pool, member), pool.first + ((member & 0xffffffffn) % size));
  // Every address from the candidate to the end is held: the search wraps once, never walks them.
  const candidate = firstCandidate(pool, member);
  let lookups = 0;
  const found = runSync(findFreeAddress({
    firstFreeAddress: (_nwid, _family, from, to) => {
      lookups++;
      return from >= candidate ? null : from <= to ? from : null;
    },
  }, 'network', pool, member));
  assert.equal(found, pool.first);
  assert.equal(lookups, 2);
  const v6 = readPool('fd00::100-fd00::1ff');
  assert.ok(firstCandidate(v6, member) >= v6.first && firstCandidate(v6, member) <= v6.last);
});

forEachEngine((engine) => {
  test('a full /30 pool: the third member gets a config without v4s, a warning and an event', async () => {
    const storage = await engine.open();
    const master = createNetconfMaster(storage, masterIdentity, { now: () => 1_800_000_000_000 });
    const warnings: IpPoolExhaustedEvent[] = [];
    master.on('warning', (event) => {
      if (event.type === 'ipPoolExhausted') warnings.push(event);
    });
    const nwid = await master.createNetwork({ private: false, v4AssignMode: 'zt', ipPools: ['172.16.5.0/30'] });
    const got: string[] = [];
    for (const member of [ids[1]!, ids[2]!]) {
      const reply = await master.doNetworkConfigRequest({ identity: member, nwid });
      assert.equal(reply.code, ResultCode.OK);
      assert.equal(reply.warnings, undefined);
      got.push(...NetworkConfig.fromDictionary(reply.netconf!).staticIps);
    }
    assert.deepEqual(got.sort(), ['172.16.5.1/30', '172.16.5.2/30']);
    const third = await master.doNetworkConfigRequest({ identity: ids[3]!, nwid });
    assert.equal(third.code, ResultCode.OK);
    assert.equal(third.netconf!.has('v4s'), false);
    assert.equal(third.warnings?.length, 1);
    assert.match(third.warnings![0]!, /full/);
    assert.deepEqual(warnings.map((w) => [w.type, w.nwid, w.address, w.family]), [['ipPoolExhausted', nwid, ids[3]!.address, 4]]);
    // The same member keeps its address on later configs.
    await master.updateNetwork(nwid, { name: 'again' });
    const again = await master.doNetworkConfigRequest({ identity: ids[1]!, nwid });
    assert.ok(got.includes(NetworkConfig.fromDictionary(again.netconf!).staticIps[0]!));
    await storage.close();
  });

  test('IPv6 pools assign like IPv4; rfc4193 mode computes the address without storing it', async () => {
    const storage = await engine.open();
    const master = createNetconfMaster(storage, masterIdentity);
    const zt = await master.createNetwork({ private: false, v6AssignMode: 'zt', ipPools: ['fd00:aaaa::/64'] });
    const member = ids[4]!;
    const reply = await master.doNetworkConfigRequest({ identity: member, nwid: zt });
    const expected = formatCidr({ family: 6, address: parseCidr('fd00:aaaa::/64').address | member.addressValue, bits: 64 });
    assert.deepEqual(NetworkConfig.fromDictionary(reply.netconf!).staticIps, [expected]);
    assert.deepEqual((await master.getMember(zt, member.address))?.ipAssignments, [expected]);
    // Another member asking for the same place gets the next address.
    await master.setIpAssignments(zt, member.address, []);
    await master.authorizeMember(zt, ids[5]!.address);
    await master.setIpAssignments(zt, ids[5]!.address, [expected]);
    const next = await master.doNetworkConfigRequest({ identity: member, nwid: zt });
    assert.deepEqual(NetworkConfig.fromDictionary(next.netconf!).staticIps, [
      formatCidr({ family: 6, address: parseCidr(expected).address + 1n, bits: 64 }),
    ]);

    const ula = await master.createNetwork({ private: false, v6AssignMode: 'rfc4193' });
    const ulaReply = await master.doNetworkConfigRequest({ identity: member, nwid: ula });
    assert.deepEqual(NetworkConfig.fromDictionary(ulaReply.netconf!).staticIps, [
      formatCidr(rfc4193Address(BigInt('0x' + ula), member.addressValue)),
    ]);
    assert.deepEqual((await master.getMember(ula, member.address))?.ipAssignments, []);
    await storage.close();
  });

  test('500 concurrent first requests: every member gets a config and a different address', async () => {
    const storage = await engine.open();
    const master = createNetconfMaster(storage, masterIdentity, { validateIdentities: false });
    const nwid = await master.createNetwork({ private: false, v4AssignMode: 'zt', ipPools: ['10.77.0.0/22'] });
    // Addresses chosen so that many share the same first candidate in the pool.
    const members = Array.from({ length: 500 }, (_, i) => fabricatedIdentity(0x1000000000n + BigInt((i % 50) * 0x400 + i)));
    const replies = await Promise.all(members.map((identity) => master.doNetworkConfigRequest({ identity, nwid })));
    const addresses = replies.map((reply) => {
      assert.equal(reply.code, ResultCode.OK);
      const ips = NetworkConfig.fromDictionary(reply.netconf!).staticIps;
      assert.equal(ips.length, 1);
      return ips[0]!;
    });
    assert.equal(new Set(addresses).size, 500);
    const stored = [...(await readWith(storage, (r) => r.listAssignments(nwid))).values()].flat().map(formatCidr);
    assert.deepEqual(stored.sort(), [...addresses].sort());
    await storage.close();
  });
});
