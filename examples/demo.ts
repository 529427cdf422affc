/**
 * A guided tour of a netconf master, all in memory: `npm run demo`.
 *
 * A master serves one private and one public network. Members ask for their configuration; the
 * administrator authorizes and de-authorizes them; each member checks what it received the way a
 * real node would (signature, certificate, agreement with other members' certificates).
 */
import {
  CertificateOfMembership,
  Identity,
  NetworkConfig,
  ResultCode,
  createNetconfMaster,
  encodeNetworkConfigOk,
  openSqlJsStorage,
  type NetworkConfigReply,
} from '../src/index.js';
import { TEST_IDENTITIES } from '../src/testing/index.js';

const RESULT_NAMES = Object.fromEntries(Object.entries(ResultCode).map(([name, code]) => [code, name]));

function heading(text: string): void {
  console.log(`\n== ${text} ==`);
}

function say(text: string): void {
  console.log(`   ${text}`);
}

// Published TEST-ONLY identities, so the demo needs no proof of work. A real master makes its own
// with `await Identity.generate()` (a few seconds) and keeps the secret safe.
const testIdentity = (index: number): Identity => Identity.fromString(TEST_IDENTITIES[index]!);
const masterIdentity = testIdentity(0);
// A member's node keeps its private key; the master only ever sees the public part.
const members = {
  alice: testIdentity(1).publicOnly(),
  bob: testIdentity(2).publicOnly(),
  carol: testIdentity(3).publicOnly(),
};
type MemberName = keyof typeof members;

/** What each member last accepted, as its node would keep it. */
const received = new Map<string, NetworkConfig>();

heading('The master');
say(`identity address ${masterIdentity.address} (every network ID it creates starts with it)`);
const storage = await openSqlJsStorage(); // in memory: nothing is written to disk
const master = createNetconfMaster(storage, masterIdentity);

const lab = await master.createNetwork({
  name: 'lab',
  description: 'private: members need authorization',
  private: true,
  v4AssignMode: 'zt',
  ipPools: ['10.147.17.0/24'],
  v6AssignMode: 'rfc4193',
});
const cafe = await master.createNetwork({
  name: 'cafe',
  description: 'public: anyone may join',
  private: false,
  v4AssignMode: 'zt',
  ipPools: ['10.200.0.0/16'],
});
say(`created private network "lab"  ${lab}  pool 10.147.17.0/24, IPv6 rfc4193`);
say(`created public network  "cafe" ${cafe}  pool 10.200.0.0/16`);
say(
  `members-to-be: ${Object.entries(members)
    .map(([name, identity]) => `${name} ${identity.address}`)
    .join(', ')}`,
);

/** A member asks for a config and checks the answer as its node would. */
async function request(who: MemberName, nwid: string): Promise<NetworkConfigReply> {
  const key = `${who}@${nwid}`;
  const reply = await master.doNetworkConfigRequest({
    fromAddr: '198.51.100.7/9993',
    identity: members[who],
    nwid,
    haveRevision: received.get(key)?.revision ?? 0n,
  });
  const network = nwid === lab ? 'lab' : nwid === cafe ? 'cafe' : nwid;
  say(`${who} asks for "${network}" -> ${RESULT_NAMES[reply.code]}`);
  if (reply.code === ResultCode.OK && reply.netconf) {
    const signedByMaster = reply.netconf.verify(masterIdentity);
    const config = NetworkConfig.fromDictionary(reply.netconf);
    const comVerified = config.com ? config.com.verify(masterIdentity) : null;
    const payloadBytes = encodeNetworkConfigOk(nwid, reply.netconf).length;
    say(`   name "${config.name}", revision ${config.revision}, issued to ${config.issuedTo}`);
    say(`   addresses ${config.staticIps.join(', ') || '(none)'}`);
    say(`   signature by master verified: ${signedByMaster ? 'yes' : 'NO'}`);
    say(
      `   certificate of membership: ${
        comVerified === null ? 'none (public network)' : comVerified ? 'verified' : 'INVALID'
      }`,
    );
    say(`   OK payload for the wire: ${payloadBytes} bytes`);
    received.set(key, config);
  }
  return reply;
}

function certificateOf(who: MemberName, nwid: string): CertificateOfMembership | null {
  return received.get(`${who}@${nwid}`)?.com ?? null;
}

function showAgreement(a: MemberName, b: MemberName, nwid: string): void {
  const comA = certificateOf(a, nwid);
  const comB = certificateOf(b, nwid);
  if (!comA || !comB) return;
  const agree = comA.agreesWith(comB) && comB.agreesWith(comA);
  say(
    `certificates of ${a} (revision ${comA.revision}) and ${b} (revision ${comB.revision}) agree: ` +
      `${agree ? 'yes, they may talk' : 'NO, they may not talk'}`,
  );
}

heading('A private network turns strangers away');
await request('alice', lab);
const pending = await master.getMember(lab, members.alice.address);
say(`the master recorded alice as a member waiting for authorization (authorized: ${pending?.authorized})`);

heading('The administrator authorizes alice and bob');
await master.authorizeMember(lab, members.alice.address);
await master.authorizeMember(lab, members.bob.address);
say(
  `network revision is now ${(await master.getNetwork(lab))?.revision} (alice's authorization raised it by one; ` +
    `bob, authorized before he asked, changes no one's config)`,
);
await request('alice', lab);
await request('bob', lab);
showAgreement('alice', 'bob', lab);

heading('Asking again without changes costs nothing');
await request('alice', lab);

heading('A public network lets anyone in');
await request('carol', cafe);
await request('alice', cafe);

heading('Unknown networks and impostors');
const unknownNetwork = `${masterIdentity.address}ffffff`; // this master's prefix, never created
await request('carol', unknownNetwork);
const impostor = Identity.fromString(`${members.alice.address}:0:${TEST_IDENTITIES[2]!.split(':')[2]}`);
const impostorReply = await master.doNetworkConfigRequest({ fromAddr: null, identity: impostor, nwid: lab });
say(`someone claiming alice's address with another key -> ${RESULT_NAMES[impostorReply.code]}`);

heading('The administrator de-authorizes bob');
await master.deauthorizeMember(lab, members.bob.address);
const labAfter = await master.getNetwork(lab);
say(
  `revision jumped to ${labAfter?.revision} (by the certificate max delta ${labAfter?.comRevisionMaxDelta} + 1)`,
);
say(`members to send NETWORK_CONFIG_REFRESH: ${(await master.membersToRefresh(lab)).join(', ') || '(none)'}`);
await request('bob', lab);
await request('alice', lab);
showAgreement('alice', 'bob', lab);

heading('What each member holds now');
for (const [key, config] of received) {
  const [who] = key.split('@');
  say(
    `${who!.padEnd(6)} ${config.name.padEnd(5)} revision ${String(config.revision).padStart(2)}  ` +
      `${config.staticIps.join(', ') || '(no addresses)'}`,
  );
}

await storage.close();
console.log('\nDone. Next: README.md for the API, docs/operations.md for running a master.');
