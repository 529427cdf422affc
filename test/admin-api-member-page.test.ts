/**
 * The member list's paging and filters (`offset`, `limit`, `authorized`, `q`): read page by page in
 * the database on every engine (`master.pageMembers`), and answered by the admin API's
 * /unstable member listing without ever reading the whole network.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdminApi } from '../src/index.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { InvalidArgumentError } from '../src/errors.js';
import { createNetconfMaster } from '../src/master/index.js';
import { call, type MemberKey, type MembersSeenPage, type NetconfStore, type NetconfStoreReader } from '../src/master/store.js';
import { forEachEngine, SQLJS } from './support/engines.js';
import { ids, masterIdentity } from './admin-api-helpers.js';

/** 40 members: addresses 0a000000NN; every third authorized; names "Host NN" (upper case H). */
async function seeded(store: NetconfStore) {
  const master = createNetconfMaster(store, masterIdentity, { random: deterministicRandom('member-page'), signingWorkers: 0, memberExpiryInterval: 0 });
  const nwid = await master.createNetwork({ name: 'paged' });
  const addresses = Array.from({ length: 40 }, (_, i) => `0a000000${String(i).padStart(2, '0')}`);
  await master.deauthorizeMembers(nwid, addresses);
  await master.authorizeMembers(nwid, addresses.filter((_, i) => i % 3 === 0));
  for (const [i, address] of addresses.entries()) await master.setMemberName(nwid, address, `Host ${String(i).padStart(2, '0')}`);
  return { master, nwid, addresses };
}

forEachEngine((engine) => {
  test('pages follow address order; the counts are of the whole network whatever the filters', async () => {
    const { master, nwid, addresses } = await seeded(await engine.open());
    const first = await master.pageMembers(nwid, { limit: 15 });
    assert.deepEqual(first.members.map((m) => m.address), addresses.slice(0, 15));
    assert.equal(first.total, 40);
    assert.equal(first.authorized, 14);
    const third = await master.pageMembers(nwid, { offset: 30, limit: 15 });
    assert.deepEqual(third.members.map((m) => m.address), addresses.slice(30));
    assert.equal(third.members[0]!.name, 'Host 30', 'each member answered in full');
    const all = await master.listMembers(nwid);
    assert.deepEqual((await master.pageMembers(nwid, { limit: 1000 })).members, all, 'a page holds what listMembers holds for the same members');
    assert.equal((await master.pageMembers(nwid)).members.length, 40, 'the default limit (100) covers a small network');
  });

  test('filters: authorized or waiting, and a search on the address or the name ignoring ASCII case', async () => {
    const { master, nwid, addresses } = await seeded(await engine.open());
    const waiting = await master.pageMembers(nwid, { authorized: false, limit: 5 });
    assert.deepEqual(waiting.members.map((m) => m.address), [1, 2, 4, 5, 7].map((i) => addresses[i]));
    assert.equal(waiting.total, 40);
    const authorized = await master.pageMembers(nwid, { authorized: true, offset: 2, limit: 2 });
    assert.deepEqual(authorized.members.map((m) => m.address), [6, 9].map((i) => addresses[i]));
    assert.deepEqual((await master.pageMembers(nwid, { search: 'A0000003' })).members.map((m) => m.address), addresses.slice(30, 40));
    assert.deepEqual((await master.pageMembers(nwid, { search: 'hOsT 1' })).members.map((m) => m.name), Array.from({ length: 10 }, (_, i) => `Host 1${i}`));
    assert.deepEqual((await master.pageMembers(nwid, { search: 'host 2', authorized: true })).members.map((m) => m.name), ['Host 21', 'Host 24', 'Host 27']);
    assert.deepEqual((await master.pageMembers(nwid, { search: '%' })).members, [], 'no pattern characters: % is searched as it is');
    assert.deepEqual((await master.pageMembers(nwid, { search: 'nobody' })).members, []);
    await master.setMemberName(nwid, addresses[7]!, 'lab_pc\\7');
    assert.deepEqual((await master.pageMembers(nwid, { search: '_' })).members.map((m) => m.name), ['lab_pc\\7'], '_ is searched as it is');
    assert.deepEqual((await master.pageMembers(nwid, { search: 'C\\' })).members.map((m) => m.name), ['lab_pc\\7'], 'so is a backslash');
  });

  test('limit 0 answers the counts only; bad paging is refused before anything is read', async () => {
    const { master, nwid } = await seeded(await engine.open());
    assert.deepEqual(await master.pageMembers(nwid, { limit: 0 }), { members: [], total: 40, authorized: 14 });
    await assert.rejects(master.pageMembers(nwid, { offset: -1 }), InvalidArgumentError);
    await assert.rejects(master.pageMembers(nwid, { limit: 1.5 }), InvalidArgumentError);
    await assert.rejects(master.pageMembers('ffffffffff000001'), /no network|not found/i);
  });
});

test('the admin API answers a member page without reading the whole network', async () => {
  const store = await SQLJS.open();
  const calls: string[] = [];
  const read = <T>(work: (reader: NetconfStoreReader) => Generator<unknown, T, unknown>) =>
    store.read((reader) =>
        work(new Proxy(reader, {
          get(target, name, receiver) {
            const value = Reflect.get(target, name, receiver);
            if (typeof value !== 'function') return value;
            return (...args: unknown[]) => {
              calls.push(String(name));
              return value.apply(target, args);
            };
          },
        })) as never,
    );
  const counted = new Proxy(store, {
    get(target, name) {
      if (name === 'read') return read;
      const value = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as NetconfStore;
  const { master, nwid, addresses } = await seeded(counted);
  const api = createAdminApi(master, { tokens: [{ name: 'root', token: 'pagetoken0123456789abcd', scope: 'admin' }] });
  const get = async (query: string) => {
    calls.length = 0;
    const response = await api.handle(new Request(`http://x/unstable/controller/network/${nwid}/member?${query}`, { headers: { 'X-ZT1-Auth': 'pagetoken0123456789abcd' } }));
    assert.equal(response.status, 200);
    return response.json();
  };
  const page = await get('offset=10&limit=5');
  assert.deepEqual(page.data.map((m: { id: string }) => m.id), addresses.slice(10, 15));
  assert.deepEqual(page.meta, { totalCount: 40, authorizedCount: 14 });
  assert.ok(!calls.includes('listMembers') && !calls.includes('listAssignments'), `read: ${calls.join(', ')}`);
  assert.equal(calls.filter((name) => name === 'getNode').length, 5, 'one node read per member of the page');
  const waiting = await get('authorized=false&q=HOST%200&limit=3');
  assert.deepEqual(waiting.data.map((m: { name: string }) => m.name), ['Host 01', 'Host 02', 'Host 04']);
  const listing = await get('');
  assert.equal(listing.data.length, 40, 'without limit every member is answered, as ZeroTier does');
  const bad = await api.handle(new Request(`http://x/unstable/controller/network/${nwid}/member?limit=-1`, { headers: { 'X-ZT1-Auth': 'pagetoken0123456789abcd' } }));
  assert.equal(bad.status, 400);
  api.close();
  await master.close();
  await store.close();
});

forEachEngine((engine) => {
  test('members seen since a time are counted in the database across networks, members of nodes never seen not among them', async () => {
    let now = 1_800_000_000_000;
    const master = createNetconfMaster(await engine.open(), masterIdentity, {
      random: deterministicRandom('members-seen'), signingWorkers: 0, memberExpiryInterval: 0, validateIdentities: false, now: () => now,
    });
    const [alice, bob] = [ids[1]!, ids[2]!];
    const open = await master.createNetwork({ name: 'open', private: false });
    const other = await master.createNetwork({ name: 'other', private: false });
    await master.authorizeMembers(other, ['0a00000001', '0a00000002']); // never seen
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid: open })).code, 0);
    assert.equal((await master.doNetworkConfigRequest({ identity: alice, nwid: other })).code, 0);
    now += 60_000;
    assert.equal((await master.doNetworkConfigRequest({ identity: bob, nwid: open })).code, 0);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the sightings' write
    assert.deepEqual(await master.countMembersSeen(now - 30_000), { members: 5, seen: 1 }, 'bob only');
    assert.deepEqual(await master.countMembersSeen(now - 60_000), { members: 5, seen: 3 }, "alice's two memberships and bob's");
    assert.deepEqual(await master.countMembersSeen(now + 1), { members: 5, seen: 0 });
    await assert.rejects(master.countMembersSeen(Number.NaN), InvalidArgumentError);
    await master.close();
  });
});

forEachEngine((engine) => {
  test('members seen are counted a page at a time on sql.js (at once where reads do not hold the thread): the pages add up to the whole, in key order', async () => {
    const store = await engine.open();
    const now = 1_800_000_000_000;
    const master = createNetconfMaster(store, masterIdentity, {
      random: deterministicRandom('members-seen-pages'), signingWorkers: 0, memberExpiryInterval: 0, validateIdentities: false, now: () => now,
    });
    const networks: string[] = [];
    for (const name of ['a', 'b', 'c']) networks.push(await master.createNetwork({ name, private: false }));
    const addresses = (n: number, base: number) => Array.from({ length: n }, (_, i) => (base + i).toString(16).padStart(10, '0'));
    await master.authorizeMembers(networks[0]!, addresses(7, 0x0a00000100));
    await master.authorizeMembers(networks[2]!, addresses(5, 0x0a00000200));
    for (const nwid of networks.slice(0, 2)) assert.equal((await master.doNetworkConfigRequest({ identity: ids[1]!, nwid })).code, 0);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the sightings' write
    const whole = await master.countMembersSeen(now - 1);
    assert.deepEqual(whole, { members: 14, seen: 2 });
    for (const limit of [1, 2, 3, 5, 13, 14, 15, 100]) {
      const total = { members: 0, seen: 0 };
      let after: MemberKey | null = null;
      const keys: string[] = [];
      for (let pages = 0; ; pages++) {
        assert.ok(pages <= 14, 'the pages come to an end');
        const from: MemberKey | null = after;
        const page: MembersSeenPage = await store.read(function* (reader) {
          return yield* call(reader.countMembersSeen(now - 1, from, limit));
        });
        if (engine === SQLJS) assert.ok(page.members <= limit, `a page of ${page.members} members for a limit of ${limit}`);
        total.members += page.members;
        total.seen += page.seen;
        if (page.next === null) break;
        assert.equal(page.members, limit, 'only the last page is short');
        keys.push(`${page.next.networkId}/${page.next.address}`);
        after = page.next;
      }
      assert.deepEqual(total, whole, `limit ${limit}`);
      assert.deepEqual(keys, [...keys].sort(), 'pages follow key order');
    }
    // Counting from a given key counts exactly the members after it (the oracle: every member's key).
    const every: string[] = [];
    for (const nwid of networks) for (const member of await master.listMembers(nwid)) every.push(`${nwid}/${member.address}`);
    every.sort();
    const middle = every[6]!;
    const [networkId, address] = middle.split('/') as [string, string];
    const rest = await store.read(function* (reader) {
      return yield* call(reader.countMembersSeen(now - 1, { networkId, address }, 100));
    });
    assert.equal(rest.members, every.length - 7);
    await master.close();
  });
});
