/**
 * Deterministic mode: `npx tsx examples/deterministic.ts` prints exactly the same bytes on every
 * run and every machine — network IDs, timestamps, identities, signatures, whole signed configs.
 *
 * Three things make a master reproducible:
 *   - `createNetconfMaster(storage, identity, { now, random })`: the clock (config `ts`, signature
 *     times, firstSeen/lastSeen, creationTime) and the random bytes (new network numbers);
 *   - `Identity.generate({ random })`: the same random bytes give the same identity;
 *   - `TEST_IDENTITIES`: published, ready-made identities (no proof of work to wait for).
 * Ed25519 signatures are deterministic by design, so fixed inputs give fixed signatures.
 *
 * Use this for tests, fixtures and reproducing bug reports — never for a real network: the keys
 * of TEST_IDENTITIES are public, and `deterministicRandom` is not a secure generator.
 */
import { createHash } from 'node:crypto';
import {
  Identity,
  NetworkConfig,
  createNetconfMaster,
  encodeNetworkConfigOk,
  openSqlJsStorage,
} from '../src/index.js';
import { TEST_IDENTITIES, deterministicRandom } from '../src/testing/index.js';

/** A clock that starts at a fixed moment and advances one second each time it is read. */
function steppingClock(startMs: number): () => number {
  let next = startMs;
  return () => {
    const now = next;
    next += 1000;
    return now;
  };
}

const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
const member = await Identity.generate({ random: deterministicRandom('deterministic example member') });
console.log(`master identity:  ${masterIdentity.toString(false)}`);
console.log(`member generated: ${member.toString(false)}`);

const storage = await openSqlJsStorage();
const master = createNetconfMaster(storage, masterIdentity, {
  now: steppingClock(Date.UTC(2015, 6, 1)), // 2015-07-01T00:00:00Z
  random: deterministicRandom('deterministic example master'),
});

const nwid = await master.createNetwork({
  name: 'fixture',
  private: true,
  v4AssignMode: 'zt',
  ipPools: ['10.77.0.0/16'],
  v6AssignMode: 'rfc4193',
});
const second = await master.createNetwork({ name: 'second' });
console.log(`network IDs:      ${nwid} ${second}`);
console.log(`creation time:    ${(await master.getNetwork(nwid))!.creationTime}`);

await master.authorizeMember(nwid, member.address);
const reply = await master.doNetworkConfigRequest({ fromAddr: '192.0.2.1/9993', identity: member, nwid });
const netconf = reply.netconf!;
const config = NetworkConfig.fromDictionary(netconf);
const payload = encodeNetworkConfigOk(nwid, netconf);

console.log(`config timestamp: ${config.timestamp} (revision ${config.revision})`);
console.log(`static IPs:       ${config.staticIps.join(', ')}`);
console.log(`certificate:      ${config.com!.toString()}`);
console.log(`signed config (${netconf.toBytes().length} bytes):`);
console.log(netconf.toString().trimEnd().replace(/^/gm, '  '));
console.log(`OK payload SHA-256: ${createHash('sha256').update(payload).digest('hex')}`);
console.log(`backup SHA-256:     ${createHash('sha256').update(await master.backup()).digest('hex')}`);

await storage.close();
