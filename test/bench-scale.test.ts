import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { buildScale, measureScale, REQUEST_KINDS } from '../scripts/bench-scale.js';

// The scale benchmark compares like with like only if every measured request makes a new netconf
// on both setups (measureScale throws otherwise) and each kind is timed as often on both.
test('the scale benchmark times new netconfs of every kind on both setups', async () => {
  const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
  const setups = [await buildScale(10, masterIdentity), await buildScale(30, masterIdentity)];
  try {
    const iterations = 40;
    const [small, large] = await measureScale(setups, iterations);
    for (const figures of [small!, large!]) {
      assert.equal(figures.latency.fresh.samples, iterations);
      assert.equal(figures.latency.join.samples, iterations);
      // The large setup keeps one unserved member per network: 30 networks, so 30 first requests.
      assert.equal(figures.latency.first.samples, 30);
      assert.equal(figures.latency.deferred.samples, iterations * 2 + 30);
      for (const kind of REQUEST_KINDS) assert.ok(figures.latency[kind].p99 >= figures.latency[kind].p50);
    }
    assert.equal(small!.members, 1_000);
    assert.equal(large!.members, 3_000);
  } finally {
    for (const setup of setups) {
      await setup.master.close();
      await setup.storage.close();
    }
  }
});
