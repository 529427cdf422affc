/**
 * `zt-netconf-master/testing`: deterministic helpers for tests, fixtures and demos. The identities'
 * private keys are published and the generator is seeded: never use either for a real network.
 */
export { TEST_IDENTITIES } from '../crypto/test-identities.js';
export { deterministicRandom } from '../crypto/deterministic-random.js';
