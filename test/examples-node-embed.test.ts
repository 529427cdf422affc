/**
 * The node-embed example over loopback UDP: a host node embedding the master answers plain-framed
 * NETWORK_CONFIG_REQUEST payloads and pushes NETWORK_CONFIG_REFRESH after administrative changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from '../src/index.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { runNodeEmbedExample } from '../examples/node-embed/run.js';
import { Verb, decodeFrame, encodeFrame } from '../examples/node-embed/frame.js';
import { ParseError } from '../src/errors.js';

test('node-embed: denied until authorized, ERROR 3 for an unknown network, OK with a verified config, refresh after changes', async () => {
  const transcript = await runNodeEmbedExample();
  const master = Identity.fromString(TEST_IDENTITIES[0]!);
  assert.equal(transcript.masterAddress, master.address);
  assert.equal(transcript.nwid.slice(0, 10), master.address, 'network ID starts with the master address');

  const members = TEST_IDENTITIES.slice(1, 4).map((secret) => Identity.fromString(secret).address);
  assert.deepEqual(Object.keys(transcript.deniedCodes).sort(), [...members].sort());
  for (const code of Object.values(transcript.deniedCodes)) assert.equal(code, 7, 'ERROR 7: network access denied');
  assert.equal(transcript.unknownNetworkCode, 3, 'ERROR 3: object not found');

  // The member checked the signature before accepting; check the config's content here.
  const first = transcript.firstConfig;
  assert.equal(first.issuedTo, transcript.authorized);
  assert.equal(first.networkId, BigInt(`0x${transcript.nwid}`));
  assert.equal(first.isPrivate, true);
  assert.equal(first.name, 'embed-lab');
  assert.ok(first.com !== null, 'a private network config carries a certificate');
  assert.ok(first.com.verify(master), 'the certificate is signed by the master');
  assert.equal(first.com.issuedTo, transcript.authorized);
  assert.equal(first.staticIps.length, 1);
  assert.match(first.staticIps[0]!, /^10\.99\.0\.\d+\/24$/);

  // Refresh went to the authorized member only, after each change, and it fetched the new revision.
  assert.deepEqual(transcript.refreshedAfterAuthorize, [transcript.authorized]);
  assert.deepEqual(transcript.refreshedAfterChange, [transcript.authorized]);
  const second = transcript.configAfterChange;
  assert.ok(second.revision > first.revision);
  assert.equal(second.name, 'embed-lab-renamed');
  assert.equal(second.enableBroadcast, false);
  assert.deepEqual(second.staticIps, first.staticIps, 'the assigned address is kept');
  assert.ok(second.com !== null && second.com.agreesWith(first.com), 'a rename does not break agreement');
  assert.deepEqual(transcript.othersEventsAfterChange, [], 'unauthorized members get no refresh and no config');

  // The administration went over HTTP to the admin API served beside the UDP transport.
  assert.match(transcript.adminUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(transcript.adminRequests, [
    { method: 'POST', path: `/controller/network/${master.address}______`, status: 200 },
    { method: 'POST', path: `/controller/network/${transcript.nwid}/member/${transcript.authorized}`, status: 200 },
    { method: 'POST', path: `/controller/network/${transcript.nwid}`, status: 200 },
  ]);
});

test('node-embed frame: round trip and clear errors on malformed frames', () => {
  const identity = Identity.fromString(TEST_IDENTITIES[1]!).toString(false);
  const payload = new Uint8Array([1, 2, 3, 4]);
  const frame = encodeFrame({ verb: Verb.NETWORK_CONFIG_REQUEST, senderIdentity: identity, payload });
  assert.deepEqual(decodeFrame(frame), { verb: Verb.NETWORK_CONFIG_REQUEST, senderIdentity: identity, payload });
  assert.throws(() => decodeFrame(new Uint8Array([11, 0])), ParseError);
  assert.throws(() => decodeFrame(new Uint8Array([99, 0, 0])), ParseError, 'unknown verb');
  const truncated = frame.slice(0, 10);
  assert.throws(() => decodeFrame(truncated), ParseError, 'identity longer than the datagram');
});
