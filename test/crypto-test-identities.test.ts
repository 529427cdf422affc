import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { Identity } from '../src/crypto/identity.js';
import * as root from '../src/index.js';

test('the 8 test identities parse with private keys, are distinct, and pass the proof of work', () => {
  assert.equal(TEST_IDENTITIES.length, 8);
  const identities = TEST_IDENTITIES.map((text) => Identity.fromString(text));
  assert.equal(new Set(identities.map((identity) => identity.address)).size, 8);
  for (const [index, identity] of identities.entries()) {
    assert.equal(identity.hasPrivate, true);
    assert.equal(identity.toString(true), TEST_IDENTITIES[index]);
    assert.equal(identity.locallyValidate(), true, identity.address);
  }
  assert.ok(Object.isFrozen(TEST_IDENTITIES));
});

test('the package root offers the crypto layer without process-wide settings', () => {
  const exported = root as Record<string, unknown>;
  assert.equal(root.Identity, Identity);
  assert.equal(typeof root.memoryHardHash, 'function');
  assert.equal(typeof root.isNativeSigningAvailable, 'function');
  for (const gone of ['setSigningBackend', 'getSigningBackend', 'setMemoryHardHashImplementation', 'enableWasmMemoryHardHash']) {
    assert.equal(exported[gone], undefined, gone);
  }
});
