import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { Dictionary } from '../src/protocol/dictionary.js';
import { createNetconfMaster, ResultCode, type NetconfMasterOptions, type NetworkChangeEvent } from '../src/master/index.js';
import type { NetconfStore } from '../src/master/store.js';
import { forEachEngine, SQLJS, type Engine } from './support/engines.js';
import { InvalidArgumentError, NotFoundError } from '../src/errors.js';

const ids = TEST_IDENTITIES.map((text) => Identity.fromString(text));
const masterIdentity = ids[0]!;
const [alice, bob, carol] = [ids[1]!.publicOnly(), ids[2]!.publicOnly(), ids[3]!.publicOnly()];
const START = 1_800_000_000_000;
const HOUR = 3600_000;

async function setupOn<S extends NetconfStore>(engine: Engine<S>, options: NetconfMasterOptions = {}) {
  const storage = await engine.open();
  let clock = START;
  const master = createNetconfMaster(storage, masterIdentity, {
    now: () => clock,
    random: deterministicRandom('join-tokens'),
    memberExpiryInterval: 0,
    ...options,
  });
  return { storage, master, tick: (ms: number) => (clock += ms), now: () => clock };
}

const withToken = (token: string) => new Dictionary({ a: `token:${token}` });

/** An identity with any key (the master is told not to check proofs of work). */
function fabricated(index: number): Identity {
  const address = (0x1000000000 + index).toString(16).padStart(10, '0');
  return Identity.fromString(`${address}:0:${bytesToHex(deterministicRandom(`node-${index}`)(64))}`);
}

forEachEngine((engine) => {
  const setup = (options?: NetconfMasterOptions) => setupOn(engine, options);

  test('a valid join token authorizes a new member of a private network at first contact and spends one use', async () => {
    const { master } = await setup();
    const nwid = await master.createNetwork({ name: 'ci' });
    const { id, token } = await master.createJoinToken(nwid, { name: 'ci runners', expiresAt: START + HOUR, maxUses: 10 });
    assert.match(id, /^[0-9a-f]{16}$/);
    assert.ok(token.startsWith(`${id}.`));

    const reply = await master.doNetworkConfigRequest({ identity: alice, nwid, metaData: withToken(token) });
    assert.equal(reply.code, ResultCode.OK);
    const member = await master.getMember(nwid, alice.address);
    assert.equal(member?.authorized, true);
    assert.equal(member?.authorizedAt, START);
    assert.equal(member?.lastAuthorizedCredentialType, 'token');
    assert.equal(member?.lastAuthorizedCredential, id);

    assert.deepEqual(await master.listJoinTokens(nwid), [
      { id, name: 'ci runners', createdAt: START, expiresAt: START + HOUR, maxUses: 10, uses: 1, revoked: false },
    ]);
  });

  test('the token may come as serialized metadata, bytes or text, like any request metadata', async () => {
    const { master } = await setup();
    const nwid = await master.createNetwork();
    const { token } = await master.createJoinToken(nwid);
    const asBytes = await master.doNetworkConfigRequest({ identity: alice, nwid, metaData: withToken(token).toBytes() });
    const asText = await master.doNetworkConfigRequest({ identity: bob, nwid, metaData: withToken(token).toString() });
    assert.equal(asBytes.code, ResultCode.OK);
    assert.equal(asText.code, ResultCode.OK);
    assert.equal((await master.listJoinTokens(nwid))[0]!.uses, 2);
  });

  test('a member already authorized spends nothing when it presents a token', async () => {
    const { master } = await setup();
    const nwid = await master.createNetwork();
    const { token } = await master.createJoinToken(nwid, { maxUses: 1 });
    await master.authorizeMember(nwid, alice.address);
    for (let i = 0; i < 3; i++) {
      assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid, metaData: withToken(token) })).code, ResultCode.OK);
    }
    assert.equal((await master.listJoinTokens(nwid))[0]!.uses, 0);
    const member = await master.getMember(nwid, alice.address);
    assert.equal(member?.lastAuthorizedCredentialType, 'api');
    assert.equal(member?.lastAuthorizedCredential, null);
    // The token still admits its one newcomer.
    assert.equal((await master.doNetworkConfigRequest({ identity: bob, nwid, metaData: withToken(token) })).code, ResultCode.OK);
  });

  test('an expired token is ACCESS_DENIED on the master\'s clock, and spends nothing', async () => {
    const { master, tick } = await setup();
    const nwid = await master.createNetwork();
    const { token } = await master.createJoinToken(nwid, { expiresAt: START + HOUR });
    tick(HOUR - 1);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid, metaData: withToken(token) })).code, ResultCode.OK);
    tick(1);
    const late = await master.doNetworkConfigRequest({ identity: bob, nwid, metaData: withToken(token) });
    assert.equal(late.code, ResultCode.ACCESS_DENIED);
    assert.equal((await master.getMember(nwid, bob.address))?.authorized, false);
    assert.equal((await master.listJoinTokens(nwid))[0]!.uses, 1);
  });

  test('a used-up, revoked, foreign, forged or malformed token is ACCESS_DENIED', async () => {
    const { master, tick } = await setup({ validateIdentities: false });
    const nwid = await master.createNetwork();
    const other = await master.createNetwork();
    const once = await master.createJoinToken(nwid, { maxUses: 1 });
    tick(1); // listed oldest first
    const revoked = await master.createJoinToken(nwid);
    const foreign = await master.createJoinToken(other);
    await master.revokeJoinToken(nwid, revoked.id);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid, metaData: withToken(once.token) })).code, ResultCode.OK);

    const forged = `${once.id}.${'0'.repeat(64)}`;
    const refused = [once.token, revoked.token, foreign.token, forged, 'not-a-token', ''];
    for (const [i, token] of refused.entries()) {
      const newcomer = fabricated(i);
      const reply = await master.doNetworkConfigRequest({ identity: newcomer, nwid, metaData: withToken(token) });
      assert.equal(reply.code, ResultCode.ACCESS_DENIED, `token #${i}`);
      assert.equal((await master.getMember(nwid, newcomer.address))?.authorized, false);
    }
    const tokens = await master.listJoinTokens(nwid);
    assert.deepEqual(tokens.map((t) => [t.id, t.uses, t.revoked]), [[once.id, 1, false], [revoked.id, 0, true]]);
    assert.equal((await master.listJoinTokens(other))[0]!.uses, 0);
  });

  test('a token never admits a member an administrator de-authorized or banned, and the token keeps its use', async () => {
    const { master } = await setup();
    const nwid = await master.createNetwork();
    const { token } = await master.createJoinToken(nwid);
    await master.authorizeMember(nwid, alice.address);
    await master.deauthorizeMember(nwid, alice.address);
    await master.deauthorizeMember(nwid, bob.address); // pre-banned: never asked
    for (const identity of [alice, bob]) {
      const reply = await master.doNetworkConfigRequest({ identity, nwid, metaData: withToken(token) });
      assert.equal(reply.code, ResultCode.ACCESS_DENIED);
      assert.equal((await master.getMember(nwid, identity.address))?.authorized, false);
    }
    assert.equal((await master.listJoinTokens(nwid))[0]!.uses, 0);
  });

  test('a member that asked without a token, then with one, is admitted: the revision rises and a change event tells', async () => {
    const { master } = await setup();
    const nwid = await master.createNetwork();
    const { id, token } = await master.createJoinToken(nwid);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid })).code, ResultCode.ACCESS_DENIED);
    const before = (await master.getNetwork(nwid))!.revision;
    const events: NetworkChangeEvent[] = [];
    master.subscribe((event) => events.push(event));

    const reply = await master.doNetworkConfigRequest({ identity: alice, nwid, metaData: withToken(token) });
    assert.equal(reply.code, ResultCode.OK);
    const after = (await master.getNetwork(nwid))!.revision;
    assert.equal(after, before + 1n);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(events.map((e) => [e.type, e.nwid, e.address, e.revision]), [['memberAuthorized', nwid, alice.address, after]]);
    const member = await master.getMember(nwid, alice.address);
    assert.equal(member?.lastAuthorizedCredential, id);
  });

  test('on a public network a token is not needed and not spent; the member is recorded as public', async () => {
    const { master } = await setup();
    const nwid = await master.createNetwork({ private: false });
    const { token } = await master.createJoinToken(nwid);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid, metaData: withToken(token) })).code, ResultCode.OK);
    assert.equal((await master.listJoinTokens(nwid))[0]!.uses, 0);
    assert.equal((await master.getMember(nwid, alice.address))?.lastAuthorizedCredentialType, 'public');
  });

  test('maxUses holds under concurrent requests: N uses admit exactly N newcomers', async () => {
    const { master } = await setup({ validateIdentities: false });
    const nwid = await master.createNetwork();
    const { token } = await master.createJoinToken(nwid, { maxUses: 5 });
    const newcomers = Array.from({ length: 16 }, (_, i) => fabricated(100 + i));
    const replies = await Promise.all(
      newcomers.map((identity) => master.doNetworkConfigRequest({ identity, nwid, metaData: withToken(token) })),
    );
    assert.equal(replies.filter((reply) => reply.code === ResultCode.OK).length, 5);
    assert.equal(replies.filter((reply) => reply.code === ResultCode.ACCESS_DENIED).length, 11);
    assert.equal((await master.listMembers(nwid)).filter((member) => member.authorized).length, 5);
    assert.equal((await master.listJoinTokens(nwid))[0]!.uses, 5);
  });

  test('the secret is shown once: absent from lists, audit entries, errors, events and the database image', async () => {
    const { master } = await setup();
    const nwid = await master.createNetwork();
    const { id, token } = await master.createJoinToken(nwid, { name: 'one-off', maxUses: 1 });
    const secret = token.slice(id.length + 1);
    const outputs: string[] = [];
    master.subscribe((event) => outputs.push(JSON.stringify(event, (_k, v) => (typeof v === 'bigint' ? String(v) : v))));
    master.on('warning', (event) => outputs.push(JSON.stringify(event)));
    outputs.push(JSON.stringify((await master.doNetworkConfigRequest({ identity: alice, nwid, metaData: withToken(token) })).error ?? ''));
    outputs.push(JSON.stringify((await master.doNetworkConfigRequest({ identity: bob, nwid, metaData: withToken(token) })).error ?? ''));
    await master.revokeJoinToken(nwid, id);
    outputs.push(JSON.stringify(await master.listJoinTokens(nwid)));
    outputs.push(JSON.stringify(await master.listAuditEntries()));
    outputs.push(JSON.stringify(await master.listMembers(nwid), (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    for (const call of [() => master.revokeJoinToken(nwid, token), () => master.revokeJoinToken(nwid, 'ffffffffffffffff')]) {
      await assert.rejects(call, (error: Error) => {
        outputs.push(error.message);
        return error instanceof InvalidArgumentError || error instanceof NotFoundError;
      });
    }
    for (const text of outputs) assert.ok(!text.includes(secret), text);

    const image = await master.backup();
    const haystack = Buffer.from(image);
    assert.equal(haystack.indexOf(Buffer.from(secret)), -1, 'the secret in hex');
    assert.equal(haystack.indexOf(Buffer.from(secret, 'hex')), -1, 'the secret as bytes');
    assert.notEqual(haystack.indexOf(Buffer.from(id)), -1, 'the token id is stored');
  });

  test('token options are checked before anything is written', async () => {
    const { master } = await setup();
    const nwid = await master.createNetwork();
    for (const options of [{ maxUses: 0 }, { maxUses: 1.5 }, { expiresAt: -1 }, { name: 'x'.repeat(129) }, { color: 'red' }] as never[]) {
      await assert.rejects(master.createJoinToken(nwid, options), InvalidArgumentError);
    }
    await assert.rejects(master.createJoinToken('8056c2e21c00ffff'), NotFoundError);
    await assert.rejects(master.revokeJoinToken(nwid, '0123456789abcdef'), NotFoundError);
    assert.deepEqual(await master.listJoinTokens(nwid), []);
  });

  test('revoking a token keeps the members it admitted', async () => {
    const { master } = await setup();
    const nwid = await master.createNetwork();
    const { id, token } = await master.createJoinToken(nwid);
    assert.equal((await master.doNetworkConfigRequest({ identity: carol, nwid, metaData: withToken(token) })).code, ResultCode.OK);
    await master.revokeJoinToken(nwid, id);
    await master.revokeJoinToken(nwid, id); // twice: nothing more
    assert.equal((await master.doNetworkConfigRequest({ identity: carol, nwid })).code, ResultCode.OK);
    assert.equal((await master.listAuditEntries({ nwid })).filter((entry) => entry.action === 'joinTokenRevoked').length, 1);
  });
});

// These read the SQLite file itself.
test('deleting a network deletes its tokens', async () => {
  const { master, storage } = await setupOn(SQLJS);
  const nwid = await master.createNetwork();
  await master.createJoinToken(nwid);
  await master.deleteNetwork(nwid);
  const rows = storage.engine.read((reader) => reader.all(`SELECT id FROM JoinToken`));
  assert.deepEqual(await rows, []);
});
