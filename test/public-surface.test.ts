/**
 * What each entry point exposes, checked on the sources (test/package-consumer.test.ts checks the
 * published package): the root holds no test helpers, `testing` holds exactly them, and `storage`
 * is types only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as root from '../src/index.js';
import * as testing from '../src/testing/index.js';
import * as storage from '../src/storage/interface.js';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';

test('the testing entry point exports the published test identities and the seeded generator, nothing else', () => {
  assert.deepEqual(Object.keys(testing).sort(), ['TEST_IDENTITIES', 'deterministicRandom']);
  assert.equal(testing.TEST_IDENTITIES, TEST_IDENTITIES);
  assert.equal(testing.deterministicRandom, deterministicRandom);
});

test('the root exports the library without its test helpers', () => {
  const names = Object.keys(root);
  assert.ok(!names.includes('TEST_IDENTITIES'));
  assert.ok(!names.includes('deterministicRandom'));
  assert.equal(root.Identity, Identity);
  assert.equal(typeof root.createNetconfMaster, 'function');
  assert.equal(typeof root.openSqlJsStorage, 'function');
  assert.equal(new root.WasmNotFoundError('/x/sql-wasm.wasm').code, 'ERR_WASM_NOT_FOUND');
});

test('the storage entry point holds the interface types and only the drivers of the master\'s work', () => {
  assert.deepEqual(Object.keys(storage).sort(), ['call', 'runAsync', 'runSync']);
});
