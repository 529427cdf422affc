/**
 * `NetworkConfigReply` is a union discriminated by `code`: the type checker (run by `npm test`)
 * knows a netconf comes with OK and an error text with INTERNAL_SERVER_ERROR.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { createNetconfMaster, ResultCode, type NetworkConfigReply } from '../src/master/index.js';
import { forEachEngine } from './support/engines.js';

const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
const member = Identity.fromString(TEST_IDENTITIES[1]!).publicOnly();

/** What a host does with a reply; compiles only if the union narrows. */
function describe(reply: NetworkConfigReply): string {
  switch (reply.code) {
    case ResultCode.OK:
      return `netconf of ${reply.netconf.byteLength} bytes`;
    case ResultCode.INTERNAL_SERVER_ERROR:
      return `error: ${reply.error.toUpperCase()}`;
    default:
      // @ts-expect-error: no netconf comes with the other codes
      return reply.netconf.toString();
  }
}
forEachEngine((engine) => {
  test('after code === ResultCode.OK the netconf is a Dictionary, used without !', async () => {
    const storage = await engine.open();
    const master = createNetconfMaster(storage, masterIdentity);
    const nwid = await master.createNetwork({ private: false });
    const reply = await master.doNetworkConfigRequest({ identity: member, nwid });
    assert.equal(reply.code, ResultCode.OK);
    assert.match(describe(reply), /^netconf of \d+ bytes$/);
    const denied = await master.doNetworkConfigRequest({ identity: member, nwid: nwid.slice(0, 10) + 'ffffff' });
    assert.equal(denied.code, ResultCode.OBJECT_NOT_FOUND);
    assert.equal(denied.netconf, undefined);
    await storage.close();
  });
});
