/** The admin service's join token, expiry, prune and audit routes: scopes, bodies, the secret once. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Dictionary } from '../src/protocol/dictionary.js';
import { ResultCode } from '../src/master/index.js';
import { ids, READ_TOKEN, served, START } from './admin-api-helpers.js';

type Served = Awaited<ReturnType<typeof served>>;
let s: Served;
before(async () => {
  s = await served();
});
after(async () => {
  await s.close();
});

const DAY = 86_400_000;

test('a join token made through the service admits a member; its secret is in the creating answer only', async () => {
  const nwid = (await s.call('POST', '/controller/network', { body: {} })).body.id;
  const created = await s.call('POST', `/unstable/controller/network/${nwid}/token`, { body: { name: 'ci', maxUses: '3', expiresAt: START + DAY } });
  assert.equal(created.status, 200, created.text);
  const { id, token } = created.body;
  const secret = token.slice(id.length + 1);
  const peer = ids[1]!.publicOnly();
  const reply = await s.master.doNetworkConfigRequest({ identity: peer, nwid, metaData: new Dictionary({ a: `token:${token}` }) });
  assert.equal(reply.code, ResultCode.OK);

  const listed = await s.call('GET', `/unstable/controller/network/${nwid}/token`, { token: READ_TOKEN });
  assert.deepEqual(listed.body, { data: [{ id, name: 'ci', createdAt: START, expiresAt: START + DAY, maxUses: 3, uses: 1, revoked: false }] });
  const member = await s.call('GET', `/controller/network/${nwid}/member/${peer.address}`);
  assert.equal(member.body.lastAuthorizedCredentialType, 'token');
  assert.equal(member.body.lastAuthorizedCredential, id);

  const revoked = await s.call('DELETE', `/unstable/controller/network/${nwid}/token/${id.toUpperCase()}`);
  assert.equal(revoked.status, 200, revoked.text);
  assert.equal(revoked.body.revoked, true);
  const audit = await s.call('GET', `/unstable/controller/network/${nwid}/audit`, { token: READ_TOKEN });
  assert.deepEqual(audit.body.data.map((e: { actor: string; action: string }) => [e.actor, e.action]), [
    ['root', 'networkCreated'], ['root', 'joinTokenCreated'], [`token:${id}`, 'memberAuthorized'], ['root', 'joinTokenRevoked'],
  ]);
  const everything = [listed.text, member.text, revoked.text, audit.text, (await s.call('GET', '/metrics')).text, (await s.call('GET', '/unstable/controller/audit')).text];
  for (const text of everything) assert.ok(!text.includes(secret));
});

test('a read token may list but not create, revoke, prune or set a policy', async () => {
  const nwid = (await s.call('POST', '/controller/network', { body: {} })).body.id;
  for (const [method, path] of [
    ['POST', `/unstable/controller/network/${nwid}/token`],
    ['DELETE', `/unstable/controller/network/${nwid}/token/0123456789abcdef`],
    ['POST', `/unstable/controller/network/${nwid}/prune`],
    ['POST', `/unstable/controller/network/${nwid}/expiry`],
    ['DELETE', `/unstable/controller/network/${nwid}/expiry`],
  ] as const) {
    assert.equal((await s.call(method, path, { token: READ_TOKEN, body: { notSeenFor: DAY } })).status, 403, `${method} ${path}`);
  }
  assert.deepEqual((await s.call('GET', `/unstable/controller/network/${nwid}/token`)).body, { data: [] });
});

test('bad bodies and unknown tokens or networks get 400 and 404, nothing changed', async () => {
  const nwid = (await s.call('POST', '/controller/network', { body: {} })).body.id;
  for (const body of [{ maxUses: 0 }, { maxUses: 'many' }, { name: 5 }, { expiresAt: -2 }]) {
    const answer = await s.call('POST', `/unstable/controller/network/${nwid}/token`, { body });
    assert.equal(answer.status, 400, JSON.stringify(body));
  }
  assert.equal((await s.call('POST', '/unstable/controller/network/8056c2e21c00ffff/token', { body: {} })).status, 404);
  assert.equal((await s.call('DELETE', `/unstable/controller/network/${nwid}/token/0123456789abcdef`)).status, 404);
  assert.equal((await s.call('POST', `/unstable/controller/network/${nwid}/prune`, { body: { notSeenFor: DAY, action: 'ban' } })).status, 400);
  assert.equal((await s.call('GET', `/unstable/controller/network/${nwid}/audit?since=yesterday`)).status, 400);
  assert.deepEqual((await s.call('GET', `/unstable/controller/network/${nwid}/token`)).body, { data: [] });
});

test('an expiry policy is set, read and removed; prune answers what went', async () => {
  const nwid = (await s.call('POST', '/controller/network', { body: {} })).body.id;
  const peer = ids[2]!.publicOnly();
  await s.call('POST', `/controller/network/${nwid}/member/${peer.address}`, { body: { authorized: true } });
  assert.equal((await s.master.doNetworkConfigRequest({ identity: peer, nwid })).code, ResultCode.OK);
  const set = await s.call('POST', `/unstable/controller/network/${nwid}/expiry`, { body: { notSeenFor: 30 * DAY, action: 'delete' } });
  assert.deepEqual(set.body, { policy: { notSeenFor: 30 * DAY, action: 'delete' } });
  assert.deepEqual((await s.call('GET', `/unstable/controller/network/${nwid}/expiry`)).body, set.body);
  assert.deepEqual((await s.call('DELETE', `/unstable/controller/network/${nwid}/expiry`)).body, { policy: null });
  s.tick(2 * DAY);
  const pruned = await s.call('POST', `/unstable/controller/network/${nwid}/prune`, { body: { notSeenFor: DAY, dryRun: true } });
  assert.deepEqual(pruned.body, { nwid, action: 'deauthorize', addresses: [peer.address], forgottenNodes: [], dryRun: true });
  const audit = await s.call('GET', `/unstable/controller/audit?member=${peer.address}&limit=5`);
  assert.ok(audit.body.data.every((entry: { address: string }) => entry.address === peer.address));
});
