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
