/**
 * The admin API over real HTTP (serveAdminApi on 127.0.0.1, port 0, fetch): every route, the
 * fields with their defaults and lenient forms, ZeroTier's upsert semantics, revision rules,
 * authentication and scopes, limits and error bodies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ResultCode } from '../src/master/index.js';
import { ADMIN_TOKEN, READ_TOKEN, ids, masterIdentity, served } from './admin-api-helpers.js';

type Served = Awaited<ReturnType<typeof served>>;
const ADDRESS = masterIdentity.address;
const [alice, bob, carol] = [ids[1]!.publicOnly(), ids[2]!.publicOnly(), ids[3]!.publicOnly()];

let s: Served;
before(async () => {
  s = await served();
});
after(async () => {
  await s.close();
});

async function newNetwork(body: unknown = {}): Promise<string> {
  const answer = await s.call('POST', `/controller/network/${ADDRESS}______`, { body });
  assert.equal(answer.status, 200, answer.text);
  return answer.body.id as string;
}

function assertError(answer: { status: number; body: any }, status: number, code: string, mentions?: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.error, status);
  assert.equal(answer.body.code, code);
  assert.equal(typeof answer.body.description, 'string');
  if (mentions !== undefined) assert.ok(answer.body.description.includes(mentions), answer.body.description);
}

describe('authentication and scopes', () => {
  test('GET /health answers 200 without a token', async () => {
    const answer = await s.call('GET', '/health', { token: null });
    assert.equal(answer.status, 200);
  });

  test('a missing or wrong token gets 401 with the body {} on every other route', async () => {
    for (const path of ['/status', '/controller', '/controller/network', '/metrics', '/peer', '/openapi.json']) {
      const none = await s.call('GET', path, { token: null });
      assert.equal(none.status, 401, path);
      assert.deepEqual(none.body, {});
      const wrong = await s.call('GET', path, { token: 'not-the-token-at-all-xx' });
      assert.equal(wrong.status, 401, path);
      assert.deepEqual(wrong.body, {});
    }
    const prefix = await s.call('GET', '/status', { token: ADMIN_TOKEN.slice(0, -1) });
    assert.equal(prefix.status, 401, 'a prefix of a token is not the token');
  });

  test('the token is read from X-ZT1-Auth, the auth query parameter, or Authorization: Bearer', async () => {
    assert.equal((await s.call('GET', '/status', { token: ADMIN_TOKEN })).status, 200);
    assert.equal((await s.call('GET', `/status?auth=${ADMIN_TOKEN}`, { token: null })).status, 200);
    assert.equal(
      (await s.call('GET', '/status', { token: null, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status,
      200,
    );
  });

  test('the places are tried in ZeroTier\'s order: the header decides before the query and the bearer', async () => {
    const headerWrong = await s.call('GET', `/status?auth=${ADMIN_TOKEN}`, { token: 'wrong-wrong-wrong-wrong' });
    assert.equal(headerWrong.status, 401);
    const queryWrong = await s.call('GET', '/status?auth=wrong-wrong-wrong', {
      token: null,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(queryWrong.status, 401);
  });

  test('a read token may look but any change gets 403 with the JSON error body, and nothing changes', async () => {
    assert.equal((await s.call('GET', '/controller/network', { token: READ_TOKEN })).status, 200);
    const before = (await s.call('GET', '/controller/network')).body;
    for (const [method, path] of [
      ['POST', '/controller/network'],
      ['POST', `/controller/network/${ADDRESS}______`],
    ] as const) {
      assertError(await s.call(method, path, { token: READ_TOKEN, body: { name: 'x' } }), 403, 'ERR_FORBIDDEN', 'dashboard');
    }
    const nwid = await newNetwork({ name: 'kept' });
    assertError(await s.call('DELETE', `/controller/network/${nwid}`, { token: READ_TOKEN }), 403, 'ERR_FORBIDDEN');
    assertError(await s.call('POST', `/controller/network/${nwid}`, { token: READ_TOKEN, body: { name: 'y' } }), 403, 'ERR_FORBIDDEN');
    assert.equal((await s.call('GET', `/controller/network/${nwid}`)).body.name, 'kept');
    assert.deepEqual((await s.call('GET', '/controller/network')).body, [...before, nwid].sort());
  });

  test('no error body, header or metric ever carries a token', async () => {
    const texts = [
      (await s.call('GET', '/status', { token: 'wrong-wrong-wrong-wrong' })).text,
      (await s.call('POST', '/controller/network', { token: READ_TOKEN })).text,
      (await s.call('GET', '/metrics')).text,
      (await s.call('GET', '/status')).text,
    ];
    for (const text of texts) {
      assert.ok(!text.includes(ADMIN_TOKEN) && !text.includes(READ_TOKEN), text.slice(0, 200));
    }
  });
});

describe('status routes', () => {
  test('GET /status answers the address, the public identity, online, version and clock', async () => {
    const answer = await s.call('GET', '/status');
    assert.deepEqual(answer.body, {
      address: ADDRESS,
      publicIdentity: masterIdentity.toString(false),
      online: true,
      version: 'test',
      clock: s.now(),
    });
  });

  test('GET /controller answers apiVersion 4 and databaseReady', async () => {
    assert.deepEqual((await s.call('GET', '/controller')).body, {
      controller: true,
      apiVersion: 4,
      clock: s.now(),
      databaseReady: true,
    });
  });
});

describe('networks', () => {
  test('a network the API creates without rules accepts every Ethernet type, and its members\' netconfs say so (et 0)', async () => {
    const nwid = (await s.call('POST', '/controller/network', { body: { private: false } })).body.id;
    assert.deepEqual((await s.master.getNetwork(nwid))!.etherTypes, [0]);
    const reply = await s.master.doNetworkConfigRequest({ identity: ids[3]!, nwid, fromAddr: '198.51.100.8/9993' });
    assert.equal(reply.code, ResultCode.OK);
    assert.equal(reply.netconf!.get('et'), '0');
  });

  test('a new network answers every field with its default', async () => {
    const answer = await s.call('POST', '/controller/network', { body: {} });
    assert.equal(answer.status, 200);
    const nwid = answer.body.id;
    assert.match(nwid, /^[0-9a-f]{16}$/);
    assert.equal(nwid.slice(0, 10), ADDRESS);
    assert.deepEqual(answer.body, {
      id: nwid,
      nwid,
      objtype: 'network',
      name: '',
      description: '',
      private: true,
      enableBroadcast: true,
      allowPassiveBridging: false,
      multicastLimit: 32,
      multicastRates: [],
      comRevisionMaxDelta: 16,
      mtu: 2800,
      v4AssignMode: { zt: false },
      v6AssignMode: { zt: false, rfc4193: false, '6plane': false },
      routes: [],
      ipAssignmentPools: [],
      rules: [{ type: 'ACTION_ACCEPT' }],
      capabilities: [],
      tags: [],
      dns: [],
      creationTime: s.now(),
      revision: 1,
    });
    assert.deepEqual((await s.call('GET', `/controller/network/${nwid}`)).body, answer.body);
  });

  test('POST /controller/network/<address>______ creates a network; the address is read case-insensitively', async () => {
    const answer = await s.call('POST', `/controller/network/${ADDRESS.toUpperCase()}______`, { body: { name: 'upper' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.name, 'upper');
    assert.equal(answer.body.id.slice(0, 10), ADDRESS);
  });

  test('another master\'s address or prefix is refused with 400', async () => {
    assertError(await s.call('POST', '/controller/network/0123456789______', { body: {} }), 400, 'ERR_INVALID_ARGUMENT', '0123456789');
    assertError(await s.call('POST', '/controller/network/0123456789000001', { body: { name: 'x' } }), 400, 'ERR_INVALID_ARGUMENT');
  });

  test('GET /controller/network lists the IDs sorted; IDs in paths are case-insensitive and answered in lower case', async () => {
    const nwid = await newNetwork({ name: 'case' });
    const list = (await s.call('GET', '/controller/network')).body as string[];
    assert.deepEqual(list, [...list].sort());
    assert.ok(list.includes(nwid));
    const upper = await s.call('GET', `/controller/network/${nwid.toUpperCase()}`);
    assert.equal(upper.status, 200);
    assert.equal(upper.body.id, nwid);
  });

  test('POST changes only the keys present; arrays are replaced whole; unknown keys are ignored at every depth', async () => {
    const nwid = await newNetwork({
      name: 'partial',
      ipAssignmentPools: [{ ipRangeStart: '10.9.0.1', ipRangeEnd: '10.9.0.254' }, '10.8.0.0/24'],
    });
    const after = await s.call('POST', `/controller/network/${nwid}`, {
      body: {
        description: 'only this',
        somethingNew: { deep: true },
        ipAssignmentPools: [{ ipRangeStart: '10.7.0.1', ipRangeEnd: '10.7.0.126', flags: 1 }],
        rules: [{ type: 'ACTION_ACCEPT', comment: 'ignored' }],
      },
    });
    assert.equal(after.status, 200, after.text);
    assert.equal(after.body.name, 'partial');
    assert.equal(after.body.description, 'only this');
    assert.deepEqual(after.body.ipAssignmentPools, [{ ipRangeStart: '10.7.0.1', ipRangeEnd: '10.7.0.126' }]);
    assert.deepEqual(after.body.rules, [{ type: 'ACTION_ACCEPT' }]);
    assert.equal(after.body.somethingNew, undefined);
  });

  test('lenient forms: booleans as numbers and strings, integers as strings, the legacy v4AssignMode string', async () => {
    const nwid = await newNetwork();
    const answer = await s.call('POST', `/controller/network/${nwid}`, {
      body: {
        private: 'false',
        enableBroadcast: 0,
        allowPassiveBridging: 'True',
        multicastLimit: '64',
        comRevisionMaxDelta: '20',
        v4AssignMode: 'zt',
        v6AssignMode: { rfc4193: '1' },
        mtu: '2800',
      },
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.private, false);
    assert.equal(answer.body.enableBroadcast, false);
    assert.equal(answer.body.allowPassiveBridging, true);
    assert.equal(answer.body.multicastLimit, 64);
    assert.equal(answer.body.comRevisionMaxDelta, 20);
    assert.deepEqual(answer.body.v4AssignMode, { zt: true });
    assert.deepEqual(answer.body.v6AssignMode, { zt: false, rfc4193: true, '6plane': false });
    const back = await s.call('POST', `/controller/network/${nwid}`, { body: { private: 1, v4AssignMode: { zt: false } } });
    assert.equal(back.body.private, true);
    assert.deepEqual(back.body.v4AssignMode, { zt: false });
    assert.equal(back.body.multicastLimit, 64, 'untouched keys keep their values');
  });

  test('a body with one bad field changes nothing and answers 400 naming the field', async () => {
    const nwid = await newNetwork({ name: 'before' });
    const revision = (await s.call('GET', `/controller/network/${nwid}`)).body.revision;
    const cases: [unknown, string][] = [
      [{ name: 'after', mtu: 1000 }, 'mtu'],
      [{ name: 'after', mtu: 10001 }, 'mtu'],
      [{ name: 'after', routes: [{ target: 'ten/8', via: null }] }, 'routes.0.target'],
      [{ name: 'after', routes: [{ target: '10.0.0.0/8', via: 'fd00::1' }] }, 'routes.0.via'],
      [{ name: 'after', dns: { domain: 'lab', servers: ['not-an-ip'] } }, 'dns.servers.0'],
      [{ name: 'after', dns: ['lab'] }, 'dns'],
      [{ name: 'after', v6AssignMode: { '6plane': true } }, '6plane'],
      [{ name: 'after', v6AssignMode: 'sixplane' }, 'v6AssignMode'],
      [{ name: 'after', capabilities: [{ id: 1 }] }, 'capabilities'],
      [{ name: 'after', tags: [{ id: 1 }] }, 'tags'],
      [{ name: 'after', rules: [{ type: 'MATCH_IP_PROTOCOL', ipProtocol: 6 }, { type: 'ACTION_ACCEPT' }] }, 'rules.0'],
      [{ name: 'after', private: { yes: true } }, 'private'],
      [{ name: 'after', multicastLimit: 'many' }, 'multicastLimit'],
      [{ name: 'after', ipAssignmentPools: [{ ipRangeStart: '10.0.0.9', ipRangeEnd: '10.0.0.5' }] }, 'ipAssignmentPools.0'],
      [{ name: 'after', ipAssignmentPools: [{ ipRangeStart: '10.0.0.1', ipRangeEnd: 'fd00::9' }] }, 'ipAssignmentPools.0'],
      [{ name: 'after', ipAssignmentPools: [{ ipRangeStart: 'ten', ipRangeEnd: '10.0.0.9' }] }, 'ipAssignmentPools.0.ipRangeStart'],
      [{ name: 'x'.repeat(300) }, 'name'],
    ];
    for (const [body, field] of cases) {
      assertError(await s.call('POST', `/controller/network/${nwid}`, { body }), 400, 'ERR_INVALID_ARGUMENT', field);
    }
    const now = (await s.call('GET', `/controller/network/${nwid}`)).body;
    assert.equal(now.name, 'before');
    assert.equal(now.revision, revision);
  });

  test('the defaults of fields the model lacks are accepted as they are answered', async () => {
    const nwid = await newNetwork();
    const answer = await s.call('POST', `/controller/network/${nwid}`, {
      body: { mtu: 2800, routes: [], dns: [], capabilities: [], tags: [], v6AssignMode: { '6plane': false }, noSuchThing: 1 },
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.revision, 1, 'nothing members receive changed');
  });

  test('rules: accept-all and the Ethernet-type whitelist map to the netconf\'s types and back', async () => {
    const nwid = await newNetwork();
    const whitelist = [
      { type: 'MATCH_ETHERTYPE', not: true, or: false, etherType: 0x0806 },
      { type: 'MATCH_ETHERTYPE', not: 'true', etherType: '2048' },
      { type: 'ACTION_DROP' },
      { type: 'ACTION_ACCEPT' },
    ];
    const answer = await s.call('POST', `/controller/network/${nwid}`, { body: { rules: whitelist } });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body.rules, [
      { type: 'MATCH_ETHERTYPE', not: true, or: false, etherType: 0x0800 },
      { type: 'MATCH_ETHERTYPE', not: true, or: false, etherType: 0x0806 },
      { type: 'ACTION_DROP' },
      { type: 'ACTION_ACCEPT' },
    ]);
    assert.deepEqual((await s.master.getNetwork(nwid))!.etherTypes, [0x0800, 0x0806]);
    await s.call('POST', `/controller/network/${nwid}`, { body: { rules: [{ type: 'ACTION_ACCEPT' }] } });
    assert.deepEqual((await s.master.getNetwork(nwid))!.etherTypes, [0]);
  });

  test('pools: a range that is a CIDR block without its ends maps to the block, IPv6 included, and back', async () => {
    const nwid = await newNetwork({
      ipAssignmentPools: [
        { ipRangeStart: '192.168.5.1', ipRangeEnd: '192.168.5.254' },
        { ipRangeStart: 'fd00:1::1', ipRangeEnd: 'fd00:1::ffff:ffff:ffff:fffe' },
      ],
    });
    const network = (await s.master.getNetwork(nwid))!;
    assert.deepEqual(network.ipPools, ['192.168.5.0/24', 'fd00:0001:0000:0000:0000:0000:0000:0000/64']);
    assert.deepEqual((await s.call('GET', `/controller/network/${nwid}`)).body.ipAssignmentPools, [
      { ipRangeStart: '192.168.5.1', ipRangeEnd: '192.168.5.254' },
      { ipRangeStart: 'fd00:1::1', ipRangeEnd: 'fd00:1::ffff:ffff:ffff:fffe' },
    ]);
  });

  test('ztncui\'s easy setup (a pool with its on-link route, zt assignment) is accepted and the route is answered', async () => {
    const nwid = await newNetwork({ name: 'easy' });
    const answer = await s.call('POST', `/controller/network/${nwid}`, {
      body: {
        ipAssignmentPools: [{ ipRangeStart: '10.147.20.1', ipRangeEnd: '10.147.20.254' }],
        routes: [{ target: '10.147.20.0/24', via: null, flags: 0, metric: 0 }],
        v4AssignMode: { zt: true },
      },
    });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body.routes, [{ target: '10.147.20.0/24', via: null }]);
    const again = await s.call('POST', `/controller/network/${nwid}`, { body: { routes: answer.body.routes } });
    assert.equal(again.status, 200, 'the routes answered are accepted back');
    const gateway = await s.call('POST', `/controller/network/${nwid}`, {
      body: { routes: [...answer.body.routes, { target: '0.0.0.0/0', via: '10.147.20.1' }] },
    });
    assert.equal(gateway.status, 200, gateway.text);
    assert.deepEqual(gateway.body.routes, [{ target: '10.147.20.0/24', via: null }, { target: '0.0.0.0/0', via: '10.147.20.1' }]);
    assert.equal(gateway.body.revision, again.body.revision + 1, 'a new route raises the revision');
  });

  test('MTU, routes, DNS, both IPv6 modes and range pools are stored and answered as posted', async () => {
    const nwid = await newNetwork({ name: 'grown' });
    const answer = await s.call('POST', `/controller/network/${nwid}`, {
      body: {
        mtu: '1500',
        routes: [{ target: '10.0.0.0/8', via: null }, { target: 'fd00:1::/64' }],
        dns: { domain: 'lab.example', servers: ['10.0.0.53', 'FD00:1::53'] },
        v6AssignMode: { zt: true, rfc4193: true },
        ipAssignmentPools: [{ ipRangeStart: '10.0.0.5', ipRangeEnd: '10.0.0.9' }, { ipRangeStart: '10.0.1.1', ipRangeEnd: '10.0.1.254' }],
      },
    });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.mtu, 1500);
    assert.deepEqual(answer.body.routes, [{ target: '10.0.0.0/8', via: null }, { target: 'fd00:1::/64', via: null }]);
    assert.deepEqual(answer.body.dns, { domain: 'lab.example', servers: ['10.0.0.53', 'fd00:1::53'] });
    assert.deepEqual(answer.body.v6AssignMode, { zt: true, rfc4193: true, '6plane': false });
    assert.deepEqual(answer.body.ipAssignmentPools, [
      { ipRangeStart: '10.0.0.5', ipRangeEnd: '10.0.0.9' },
      { ipRangeStart: '10.0.1.1', ipRangeEnd: '10.0.1.254' },
    ]);
    const library = (await s.master.getNetwork(nwid))!;
    assert.equal(library.mtu, 1500);
    assert.deepEqual(library.ipPools, ['10.0.0.5-10.0.0.9', '10.0.1.0/24'], 'an exact CIDR range is kept as the CIDR');
    assert.equal(library.v6AssignMode, 'zt+rfc4193');
    const off = await s.call('POST', `/controller/network/${nwid}`, { body: { v6AssignMode: { rfc4193: false }, dns: [] } });
    assert.deepEqual(off.body.v6AssignMode, { zt: true, rfc4193: false, '6plane': false });
    assert.deepEqual(off.body.dns, []);
  });

  test('PUT is the same upsert as POST', async () => {
    const nwid = await newNetwork();
    const answer = await s.call('PUT', `/controller/network/${nwid}`, { body: { name: 'put' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.name, 'put');
  });

  test('concurrent POSTs to one network each change only their own keys', async () => {
    const nwid = await newNetwork();
    await Promise.all([
      s.call('POST', `/controller/network/${nwid}`, { body: { ipAssignmentPools: ['10.44.0.0/16'] } }),
      s.call('POST', `/controller/network/${nwid}`, { body: { name: 'both' } }),
      s.call('POST', `/controller/network/${nwid}`, { body: { v4AssignMode: { zt: true } } }),
    ]);
    const network = (await s.call('GET', `/controller/network/${nwid}`)).body;
    assert.equal(network.name, 'both');
    assert.deepEqual(network.v4AssignMode, { zt: true });
    assert.deepEqual(network.ipAssignmentPools, [{ ipRangeStart: '10.44.0.1', ipRangeEnd: '10.44.255.254' }]);
  });

  test('DELETE answers the deleted network; afterwards it is 404 with the error body', async () => {
    const nwid = await newNetwork({ name: 'doomed' });
    const answer = await s.call('DELETE', `/controller/network/${nwid}`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.name, 'doomed');
    assertError(await s.call('GET', `/controller/network/${nwid}`), 404, 'ERR_NOT_FOUND', nwid);
    assertError(await s.call('DELETE', `/controller/network/${nwid}`), 404, 'ERR_NOT_FOUND');
    const again = await s.call('POST', `/controller/network/${nwid}`, { body: { name: 'x' } });
    assert.equal(again.status, 200, 'a POST to an unknown ID on this master\'s prefix creates the network with that ID');
    assert.equal(again.body.id, nwid);
    assert.equal(again.body.name, 'x');
    assert.equal(again.body.revision, 1);
  });

  test('a malformed ID in a path is 400; an unknown route is 404', async () => {
    assertError(await s.call('GET', '/controller/network/xyz'), 400, 'ERR_INVALID_ARGUMENT');
    assertError(await s.call('GET', '/controller/network/0123456789abcdef/member/xyz'), 400, 'ERR_INVALID_ARGUMENT');
    assertError(await s.call('GET', '/no/such/route'), 404, 'ERR_NOT_FOUND');
  });
});

describe('members', () => {
  test('POST pre-authorizes a node that never asked; its fields answer their defaults', async () => {
    const nwid = await newNetwork();
    const address = alice.address;
    const answer = await s.call('POST', `/controller/network/${nwid}/member/${address.toUpperCase()}`, {
      body: { authorized: true },
    });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body, {
      id: address,
      address,
      nwid,
      objtype: 'member',
      authorized: true,
      activeBridge: false,
      noAutoAssignIps: false,
      ipAssignments: [],
      name: '',
      notes: '',
      capabilities: [],
      tags: [],
      identity: '',
      creationTime: s.now(),
      // A member answers its network's revision (pre-authorizing a node that never asked changes no config).
      revision: Number((await s.master.getNetwork(nwid))!.revision),
      lastAuthorizedTime: s.now(),
      lastDeauthorizedTime: 0,
      lastAuthorizedCredentialType: 'api',
      lastAuthorizedCredential: null,
      vMajor: -1,
      vMinor: -1,
      vRev: -1,
      vProto: -1,
      firstSeen: 0,
      lastSeen: 0,
      physicalAddress: null,
      online: false,
      clientReportedRevision: null,
    });
    assert.equal((await s.master.doNetworkConfigRequest({ identity: alice, nwid, fromAddr: '198.51.100.7/9993' })).code, ResultCode.OK);
    const seen = (await s.call('GET', `/controller/network/${nwid}/member/${address}`)).body;
    assert.equal(seen.identity, alice.toString(false));
    assert.equal(seen.physicalAddress, '198.51.100.7/9993');
    assert.equal(seen.online, true);
    assert.equal(seen.lastSeen, s.now());
    s.tick(10 * 60_000);
    assert.equal((await s.call('GET', `/controller/network/${nwid}/member/${address}`)).body.online, false);
  });

  test('GET .../member answers an object of address → revision', async () => {
    const nwid = await newNetwork();
    await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { authorized: true } });
    await s.call('POST', `/controller/network/${nwid}/member/${bob.address}`, { body: { authorized: 1 } });
    const answer = await s.call('GET', `/controller/network/${nwid}/member`);
    const revision = Number((await s.master.getNetwork(nwid))!.revision);
    assert.deepEqual(answer.body, { [alice.address]: revision, [bob.address]: revision });
  });

  test('a rename raises no revision; de-authorization jumps by the max delta + 1', async () => {
    const nwid = await newNetwork({ comRevisionMaxDelta: 10 });
    await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { authorized: true } });
    const revision = (await s.call('GET', `/controller/network/${nwid}`)).body.revision;
    const renamed = await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { name: 'laptop', notes: 'desk' } });
    assert.equal(renamed.body.name, 'laptop');
    assert.equal(renamed.body.notes, 'desk');
    assert.equal((await s.call('GET', `/controller/network/${nwid}`)).body.revision, revision);
    const removed = await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { authorized: 'false' } });
    assert.equal(removed.body.authorized, false);
    assert.equal(removed.body.lastDeauthorizedTime, s.now());
    assert.equal((await s.call('GET', `/controller/network/${nwid}`)).body.revision, revision + 11);
    assert.equal(removed.body.name, 'laptop', 'untouched keys keep their values');
  });

  test('ipAssignments: plain IPs and CIDRs in, plain IPs out; a plain IP inside a pool takes the pool\'s prefix', async () => {
    const nwid = await newNetwork({ ipAssignmentPools: ['10.20.0.0/16'] });
    const answer = await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, {
      body: { authorized: true, ipAssignments: ['10.20.0.5', '192.168.1.9/24', 'fd00::7'] },
    });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body.ipAssignments, ['10.20.0.5', '192.168.1.9', 'fd00::7']);
    const member = (await s.master.getMember(nwid, alice.address))!;
    assert.deepEqual([...member.ipAssignments].sort(), [
      '10.20.0.5/16',
      '192.168.1.9/24',
      'fd00:0000:0000:0000:0000:0000:0000:0007/128',
    ]);
    // Sending back what GET answered keeps each prefix.
    await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { ipAssignments: answer.body.ipAssignments } });
    assert.deepEqual((await s.master.getMember(nwid, alice.address))!.ipAssignments, member.ipAssignments);
    // Arrays are replaced whole.
    const fewer = await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { ipAssignments: ['10.20.0.6'] } });
    assert.deepEqual(fewer.body.ipAssignments, ['10.20.0.6']);
  });

  test('an address held by another member is 409 and the whole POST changes nothing', async () => {
    const nwid = await newNetwork();
    await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { ipAssignments: ['10.3.0.1'] } });
    const answer = await s.call('POST', `/controller/network/${nwid}/member/${bob.address}`, {
      body: { authorized: true, name: 'bob', ipAssignments: ['10.3.0.1'] },
    });
    assertError(answer, 409, 'ERR_CONFLICT', '10.3.0.1');
    assertError(await s.call('GET', `/controller/network/${nwid}/member/${bob.address}`), 404, 'ERR_NOT_FOUND');
  });

  test('a member body with one bad field changes nothing and names the field', async () => {
    const nwid = await newNetwork();
    await s.call('POST', `/controller/network/${nwid}/member/${carol.address}`, { body: { name: 'carol' } });
    const cases: [unknown, string][] = [
      [{ name: 'x', noAutoAssignIps: [1] }, 'noAutoAssignIps'],
      [{ name: 'x', ipAssignments: ['not-an-ip'] }, 'ipAssignments.0'],
      [{ name: 'x', ipAssignments: 'nope' }, 'ipAssignments'],
      [{ name: 'x', tags: [[1, 2]] }, 'tags'],
      [{ name: 'x', authorized: [] }, 'authorized'],
      [{ name: 'x'.repeat(200) }, 'name'],
      [{ name: 'x', ipAssignments: ['10.99.0.1/0'] }, 'ipAssignments.0'],
    ];
    for (const [body, field] of cases) {
      assertError(await s.call('POST', `/controller/network/${nwid}/member/${carol.address}`, { body }), 400, 'ERR_INVALID_ARGUMENT', field);
    }
    // More addresses than a 2015 node takes: the library's own limit code, as the master refuses it.
    const tooMany = { name: 'x', ipAssignments: Array.from({ length: 17 }, (_, i) => `10.99.0.${i + 1}`) };
    assertError(await s.call('POST', `/controller/network/${nwid}/member/${carol.address}`, { body: tooMany }), 400, 'ERR_LIMIT', 'ipAssignments');
    assert.equal((await s.call('GET', `/controller/network/${nwid}/member/${carol.address}`)).body.name, 'carol');
  });

  test('a member of a missing network is 404; DELETE answers the member; DELETE then POST brings it back unauthorized', async () => {
    assertError(await s.call('GET', `/controller/network/${ADDRESS}ffffff/member/${alice.address}`), 404, 'ERR_NOT_FOUND');
    assertError(await s.call('POST', `/controller/network/${ADDRESS}ffffff/member/${alice.address}`, { body: {} }), 404, 'ERR_NOT_FOUND');
    const nwid = await newNetwork();
    await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { authorized: true, name: 'a' } });
    const [deleted, posted] = await Promise.all([
      s.call('DELETE', `/controller/network/${nwid}/member/${alice.address}`),
      s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { name: 'again' } }),
    ]);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.address, alice.address);
    assert.equal(posted.status, 200, posted.text);
    const member = (await s.call('GET', `/controller/network/${nwid}/member/${alice.address}`)).body;
    assert.equal(member.name, 'again');
    assert.equal(member.authorized, deleted.body.authorized && posted.body.authorized);
    // Sequentially: a deleted member comes back unauthorized with what the POST says.
    await s.call('DELETE', `/controller/network/${nwid}/member/${alice.address}`);
    const back = await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { name: 'third' } });
    assert.equal(back.body.authorized, false);
    assert.equal(back.body.name, 'third');
  });

  test('activeBridge is read leniently and kept across unrelated POSTs', async () => {
    const nwid = await newNetwork();
    const answer = await s.call('POST', `/controller/network/${nwid}/member/${bob.address}`, { body: { activeBridge: 'true' } });
    assert.equal(answer.body.activeBridge, true);
    assert.equal((await s.call('POST', `/controller/network/${nwid}/member/${bob.address}`, { body: { notes: 'n' } })).body.activeBridge, true);
  });
});

describe('listings, peers and metrics', () => {
  test('/unstable/controller/network answers networks with member counts', async () => {
    const nwid = await newNetwork({ name: 'counted' });
    await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { authorized: true } });
    await s.call('POST', `/controller/network/${nwid}/member/${bob.address}`, { body: { name: 'waiting' } });
    const answer = (await s.call('GET', '/unstable/controller/network')).body;
    const listed = answer.data.find((network: any) => network.id === nwid);
    assert.deepEqual(listed.meta, { totalMemberCount: 2, authorizedMemberCount: 1 });
    assert.equal(listed.name, 'counted');
    assert.equal(answer.meta.networkCount, answer.data.length);
  });

  test('/unstable/.../member pages, filters waiting members and searches names and addresses', async () => {
    const nwid = await newNetwork();
    await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { authorized: true, name: 'Alpha' } });
    await s.call('POST', `/controller/network/${nwid}/member/${bob.address}`, { body: { name: 'bravo' } });
    await s.call('POST', `/controller/network/${nwid}/member/${carol.address}`, { body: { name: 'charlie' } });
    const all = (await s.call('GET', `/unstable/controller/network/${nwid}/member`)).body;
    assert.deepEqual(all.meta, { totalCount: 3, authorizedCount: 1 });
    const sorted = [alice.address, bob.address, carol.address].sort();
    assert.deepEqual(all.data.map((m: any) => m.address), sorted);
    const page = (await s.call('GET', `/unstable/controller/network/${nwid}/member?offset=1&limit=1`)).body;
    assert.deepEqual(page.data.map((m: any) => m.address), [sorted[1]]);
    const waiting = (await s.call('GET', `/unstable/controller/network/${nwid}/member?authorized=false`)).body;
    assert.deepEqual(waiting.data.map((m: any) => m.address).sort(), [bob.address, carol.address].sort());
    const found = (await s.call('GET', `/unstable/controller/network/${nwid}/member?q=alp`)).body;
    assert.deepEqual(found.data.map((m: any) => m.address), [alice.address]);
    const byAddress = (await s.call('GET', `/unstable/controller/network/${nwid}/member?q=${carol.address.slice(2, 8)}`)).body;
    assert.deepEqual(byAddress.data.map((m: any) => m.address), [carol.address]);
    assertError(await s.call('GET', `/unstable/controller/network/${nwid}/member?limit=-1`), 400, 'ERR_INVALID_ARGUMENT', 'limit');
  });

  test('/peer lists the nodes that asked, in ZeroTier\'s peer shape; an unknown peer is 404', async () => {
    const nwid = await newNetwork({ private: false });
    assert.equal((await s.master.doNetworkConfigRequest({ identity: carol, nwid, fromAddr: '203.0.113.9/9993' })).code, ResultCode.OK);
    const peers = (await s.call('GET', '/peer')).body as any[];
    assert.ok(Array.isArray(peers));
    const peer = peers.find((p) => p.address === carol.address);
    assert.deepEqual(peer, {
      address: carol.address,
      latency: -1,
      version: '-1.-1.-1',
      versionMajor: -1,
      versionMinor: -1,
      versionRev: -1,
      role: 'LEAF',
      paths: [{ address: '203.0.113.9/9993', active: true, expired: false, preferred: true, lastReceive: s.now() }],
    });
    assert.deepEqual((await s.call('GET', `/peer/${carol.address.toUpperCase()}`)).body, peer);
    assertError(await s.call('GET', '/peer/00000000aa'), 404, 'ERR_NOT_FOUND');
  });

  test('/metrics answers Prometheus text with the controller\'s names, and counts changes', async () => {
    const first = await s.call('GET', '/metrics');
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    for (const name of [
      'controller_network_count', 'controller_member_count', 'controller_network_change_count',
      'controller_member_change_count', 'controller_member_auth_count', 'controller_member_deauth_count',
      'controller_network_config_request', 'zt_netconf_signatures_total', 'zt_netconf_config_request_duration_seconds',
      'zt_netconf_members_online',
    ]) {
      assert.match(first.text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)![1]);
    const nwid = await newNetwork();
    await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { authorized: true } });
    await s.call('POST', `/controller/network/${nwid}/member/${alice.address}`, { body: { authorized: false } });
    const second = (await s.call('GET', '/metrics')).text;
    assert.equal(value(second, 'controller_member_auth_count'), value(first.text, 'controller_member_auth_count') + 1);
    assert.equal(value(second, 'controller_member_deauth_count'), value(first.text, 'controller_member_deauth_count') + 1);
    assert.equal(value(second, 'controller_network_count'), value(first.text, 'controller_network_count') + 1);
  });
});

describe('limits and bodies', () => {
  test('a body over 1 MiB gets 413 with the error body, and nothing is created', async () => {
    const before = (await s.call('GET', '/controller/network')).body.length;
    const answer = await s.call('POST', '/controller/network', { raw: JSON.stringify({ name: 'x', pad: 'y'.repeat(1024 * 1024) }) });
    assertError(answer, 413, 'ERR_LIMIT');
    assert.equal((await s.call('GET', '/controller/network')).body.length, before);
  });

  test('malformed JSON is 400 ERR_PARSE; a body that is not an object is 400; an empty body is {}', async () => {
    assertError(await s.call('POST', '/controller/network', { raw: '{"name":' }), 400, 'ERR_PARSE');
    assertError(await s.call('POST', '/controller/network', { raw: '[1,2]' }), 400, 'ERR_INVALID_ARGUMENT');
    const empty = await s.call('POST', '/controller/network', { raw: '' });
    assert.equal(empty.status, 200);
  });
});

test('GET /health answers 503 when the storage does not answer', async () => {
  const other = await served();
  await other.storage.close();
  const answer = await other.call('GET', '/health', { token: null });
  assert.equal(answer.status, 503);
  assert.equal(answer.body.code, 'ERR_UNAVAILABLE');
  await other.server.close();
  await other.master.close();
});
