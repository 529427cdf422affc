/** POST semantics when a member disappears between the read and the write (zero-ui's DELETE + POST). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminApi } from '../src/index.js';
import { NotFoundError } from '../src/errors.js';
import type { NetconfMaster } from '../src/master/index.js';
import { ids, served } from './admin-api-helpers.js';

test('a member deleted between the POST\'s read and its write comes back unauthorized with what the POST says', async () => {
  const s = await served();
  try {
    const nwid = await s.master.createNetwork({ name: 'race' });
    const address = ids[1]!.address;
    await s.master.authorizeMember(nwid, address);
    let raced = false;
    // The master as a concurrent DELETE would leave it: the member is gone when the write arrives.
    const racing: NetconfMaster = Object.create(s.master, {
      // The service acts through the master as its caller (for the audit trail): still this double.
      as: { value: () => racing },
      updateMember: {
        value: async (...args: Parameters<NetconfMaster['updateMember']>) => {
          if (!raced) {
            raced = true;
            await s.master.deleteMember(nwid, address);
            throw new NotFoundError(`network ${nwid} has no member ${address}`);
          }
          return s.master.updateMember(...args);
        },
      },
    });
    const api = createAdminApi(racing, { tokens: [{ name: 'root', token: 'race-token-0123456789', scope: 'admin' }] });
    const response = await api.handle(
      new Request(`http://x/controller/network/${nwid}/member/${address}`, {
        method: 'POST',
        headers: { 'X-ZT1-Auth': 'race-token-0123456789' },
        body: JSON.stringify({ name: 'back' }),
      }),
    );
    assert.equal(response.status, 200, await response.clone().text());
    const member = (await response.json()) as { name: string; authorized: boolean };
    assert.equal(raced, true);
    assert.equal(member.name, 'back');
    assert.equal(member.authorized, false);
    api.close();
  } finally {
    await s.close();
  }
});

test('a member POST is one master call (one transaction): every field at once, one revision raise', async () => {
  const s = await served();
  try {
    const nwid = await s.master.createNetwork({ name: 'one', v4AssignMode: 'zt', ipPools: ['10.3.0.0/24'] });
    const address = ids[1]!.address;
    const calls: string[] = [];
    const counting: NetconfMaster = Object.create(s.master, {
      ...Object.fromEntries(
        ['updateMember', 'authorizeMember', 'deauthorizeMember', 'setActiveBridge', 'setIpAssignments'].map((name) => [name, {
          value: (...args: unknown[]) => {
            calls.push(name);
            return (s.master as unknown as Record<string, (...a: unknown[]) => Promise<void>>)[name]!(...args);
          },
        }]),
      ),
      // The service acts as the calling token (master.as): keep counting there.
      as: { value: () => counting },
    });
    const api = createAdminApi(counting, { tokens: [{ name: 'root', token: 'one-token-0123456789', scope: 'admin' }] });
    const before = (await s.master.getNetwork(nwid))!.revision;
    const response = await api.handle(
      new Request(`http://x/controller/network/${nwid}/member/${address}`, {
        method: 'POST',
        headers: { 'X-ZT1-Auth': 'one-token-0123456789' },
        body: JSON.stringify({ authorized: true, activeBridge: 1, noAutoAssignIps: 'true', ipAssignments: ['10.3.0.9'], name: 'n', notes: 'm' }),
      }),
    );
    assert.equal(response.status, 200, await response.clone().text());
    const member = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(calls, ['updateMember']);
    assert.deepEqual(
      [member.authorized, member.activeBridge, member.noAutoAssignIps, member.ipAssignments, member.name, member.notes],
      [true, true, true, ['10.3.0.9'], 'n', 'm'],
    );
    assert.equal((await s.master.getNetwork(nwid))!.revision, before + 1n);
    assert.equal((await s.master.getMember(nwid, address))!.ipAssignments[0], '10.3.0.9/24', 'a plain IP in a CIDR pool takes its prefix');
    api.close();
  } finally {
    await s.close();
  }
});

test('a member\'s version from its request metadata is answered as vMajor… and in /peer', async () => {
  const s = await served();
  try {
    const nwid = await s.master.createNetwork({ name: 'versions', private: false });
    const { Dictionary } = await import('../src/protocol/dictionary.js');
    const reply = await s.master.doNetworkConfigRequest({
      identity: ids[2]!.publicOnly(), nwid, metaData: new Dictionary([['majv', '1'], ['minv', '0'], ['revv', '4']]),
    });
    assert.equal(reply.code, 0);
    const api = createAdminApi(s.master, { tokens: [{ name: 'root', token: 'version-token-0123456789', scope: 'admin' }] });
    const get = async (path: string) =>
      (await api.handle(new Request(`http://x${path}`, { headers: { 'X-ZT1-Auth': 'version-token-0123456789' } }))).json() as
        Promise<Record<string, unknown>>;
    const member = await get(`/controller/network/${nwid}/member/${ids[2]!.address}`);
    assert.deepEqual([member.vMajor, member.vMinor, member.vRev, member.vProto], [1, 0, 4, -1]);
    const peer = await get(`/peer/${ids[2]!.address}`);
    assert.deepEqual([peer.version, peer.versionMajor, peer.versionMinor, peer.versionRev], ['1.0.4', 1, 0, 4]);
    api.close();
  } finally {
    await s.close();
  }
});
