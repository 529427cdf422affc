import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Identity } from '../src/crypto/identity.js';
import { chooseSigningBackend } from '../src/crypto/signing/backend.js';
import { createSigningPool } from '../src/crypto/signing/pool.js';
import { WebCryptoSigningPool, type Ed25519Subtle } from '../src/crypto/signing/webcrypto.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { InvalidArgumentError } from '../src/errors.js';

const signer = Identity.fromString(TEST_IDENTITIES[0]!);
const signerPrivateKey = () => hexToBytes(signer.toString(true).split(':')[3]!);
const messages = (count: number, salt: number): Uint8Array[] =>
  Array.from({ length: count }, (_, i) => Uint8Array.from({ length: (i * 37) % 900 }, (_, j) => (i * 31 + j * 7 + salt) & 0xff));

async function signedAlike(pool: { sign(message: Uint8Array): Promise<Uint8Array> }, batch: Uint8Array[]): Promise<void> {
  const signatures = await Promise.all(batch.map((message) => pool.sign(message)));
  signatures.forEach((signature, i) => assert.equal(bytesToHex(signature), bytesToHex(signer.sign(batch[i]!))));
}

/**
 * Signs bursts of `burst` messages, each checked, until a worker has taken a batch: the first are
 * signed on the calling thread while the worker starts and passes its self-check.
 */
async function untilWorkersSign(pool: ReturnType<typeof createSigningPool>, burst: number, pauseMs: number, failure: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let round = 0; pool.counts.byWorkers === 0; round++) {
    assert.ok(Date.now() < deadline, failure);
    await signedAlike(pool, messages(burst, round));
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

test('a burst is signed by the workers, byte for byte as Identity.sign', async () => {
  const pool = createSigningPool(signer, { workers: 1 });
  try {
    await untilWorkersSign(pool, 100, 20, 'the worker never took a batch');
    const before = pool.counts.byWorkers;
    await signedAlike(pool, messages(300, 99));
    assert.ok(pool.counts.byWorkers > before);
  } finally {
    await pool.close();
  }
});

test('a lone signature is made on the calling thread', async () => {
  const pool = createSigningPool(signer, { workers: 1 });
  try {
    for (let i = 0; i < 5; i++) await signedAlike(pool, messages(1, i));
    assert.deepEqual(pool.counts, { byWorkers: 0, byWebCrypto: 0, inline: 5 });
  } finally {
    await pool.close();
  }
});

test('workers: 0 signs everything on the calling thread', async () => {
  const none = createSigningPool(signer, { workers: 0 });
  await signedAlike(none, messages(50, 1));
  assert.deepEqual(none.counts, { byWorkers: 0, byWebCrypto: 0, inline: 50 });
  await none.close();
});

test('with the noble backend chosen, workers sign with noble, byte for byte as Identity.sign', async () => {
  const pool = createSigningPool(signer, { workers: 1, backend: 'noble' });
  try {
    await untilWorkersSign(pool, 20, 50, 'the worker never took a noble batch');
  } finally {
    await pool.close();
  }
});

test('closing with batches in flight still answers every signature correctly', async () => {
  const pool = createSigningPool(signer, { workers: 2 });
  await signedAlike(pool, messages(50, 5)); // starts the workers
  await new Promise((resolve) => setTimeout(resolve, 300));
  const batch = messages(400, 6);
  const pending = batch.map((message) => pool.sign(message));
  await new Promise((resolve) => setImmediate(resolve)); // let the batches leave
  await pool.close();
  const signatures = await Promise.all(pending);
  signatures.forEach((signature, i) => assert.equal(bytesToHex(signature), bytesToHex(signer.sign(batch[i]!))));
  await signedAlike(pool, messages(10, 7)); // after close: on the calling thread
});

test('bad arguments are refused with typed errors', async () => {
  assert.throws(() => createSigningPool(signer, { workers: -1 }), InvalidArgumentError);
  assert.throws(() => createSigningPool(signer, { webCrypto: 'sometimes' as never }), InvalidArgumentError);
  assert.throws(() => createSigningPool(signer, { backend: 'openssl' as never }), InvalidArgumentError);
  assert.throws(() => createSigningPool(signer, { memoryHardHash: 'fast' as never }), InvalidArgumentError);
  assert.throws(() => createSigningPool(Identity.fromString(signer.toString(false))), InvalidArgumentError);
  const pool = createSigningPool(signer, { workers: 0 });
  await assert.rejects(pool.sign('text' as never), InvalidArgumentError);
});

test('WebCrypto Ed25519 signs byte for byte as Identity.sign, unless the noble backend is chosen', async () => {
  const pool = createSigningPool(signer, { webCrypto: 'always' });
  await signedAlike(pool, messages(40, 11));
  assert.deepEqual(pool.counts, { byWorkers: 0, byWebCrypto: 40, inline: 0 });
  const noble = createSigningPool(signer, { webCrypto: 'always', backend: 'noble', workers: 0 });
  await signedAlike(noble, messages(3, 12));
  assert.equal(noble.counts.inline, 3);
  assert.equal(noble.counts.byWebCrypto, 0);
  await pool.close();
  await signedAlike(pool, messages(2, 13));
  assert.equal(pool.counts.inline, 2);
});

test('a WebCrypto whose signature differs from Identity.sign is never used', async () => {
  const lying: Ed25519Subtle = {
    importKey: async () => ({}),
    sign: async () => new Uint8Array(64).buffer,
  };
  const pool = new WebCryptoSigningPool(signerPrivateKey(), lying, chooseSigningBackend());
  await signedAlike(pool, messages(5, 14));
  assert.deepEqual(pool.counts, { byWorkers: 0, byWebCrypto: 0, inline: 5 });
  const missing: Ed25519Subtle = {
    importKey: async () => {
      throw new Error('Ed25519 is not supported');
    },
    sign: async () => new ArrayBuffer(0),
  };
  const fallback = new WebCryptoSigningPool(signerPrivateKey(), missing, chooseSigningBackend());
  await signedAlike(fallback, messages(2, 15));
  assert.equal(fallback.counts.inline, 2);
});

test('under unbroken load the workers still start and take over (the event loop keeps turning)', async () => {
  const pool = createSigningPool(signer, { workers: 1 });
  try {
    const message = new Uint8Array(300).fill(9);
    const deadline = Date.now() + 10_000;
    // No timer between rounds: the pool itself must let the workers' answers in.
    while (pool.counts.byWorkers === 0) {
      assert.ok(Date.now() < deadline, 'the workers never took over');
      await Promise.all(Array.from({ length: 64 }, () => pool.sign(message)));
    }
  } finally {
    await pool.close();
  }
});

type AnyPool = Pick<ReturnType<typeof createSigningPool>, 'sign' | 'signPair'>;

/** A certificate-like first message and a text with room for its signature's hex, at varying places. */
const pairs = (count: number, salt: number): Array<{ first: Uint8Array; second: Uint8Array; at: number }> =>
  messages(count, salt).map((first, i) => {
    const second = Uint8Array.from({ length: 192 + ((i * 53) % 700) }, (_, j) => (j * 13 + salt) & 0xff);
    return { first, second, at: (i * 29) % (second.length - 191) };
  });

/** signPair on each pair (with single signs in between), checked against Identity.sign done by hand. */
async function pairedAlike(pool: AnyPool, batch: ReturnType<typeof pairs>): Promise<void> {
  const expected = batch.map(({ first, second, at }) => {
    const signature = signer.sign(first);
    const carried = second.slice();
    carried.set(new TextEncoder().encode(bytesToHex(signature)), at);
    return { signature, carried, carriedSignature: signer.sign(carried) };
  });
  const results = await Promise.all(batch.map(({ first, second, at }) => pool.signPair(first, second, at)));
  const singles = messages(batch.length, 77);
  await signedAlike(pool, singles);
  results.forEach(([signature, carriedSignature], i) => {
    assert.equal(bytesToHex(signature), bytesToHex(expected[i]!.signature));
    assert.equal(bytesToHex(batch[i]!.second), bytesToHex(expected[i]!.carried), 'the second message holds the first signature');
    assert.equal(bytesToHex(carriedSignature), bytesToHex(expected[i]!.carriedSignature));
  });
}

test('signPair: the second message carries the first signature, byte for byte as signing them in turn (workers, inline, WebCrypto)', async () => {
  const pool = createSigningPool(signer, { workers: 1 });
  try {
    await untilWorkersSign(pool, 100, 20, 'the worker never took a batch');
    const before = pool.counts.byWorkers;
    await pairedAlike(pool, pairs(200, 1));
    assert.ok(pool.counts.byWorkers > before);
    const lone = pairs(1, 2)[0]!;
    const inlineBefore = pool.counts.inline;
    const workersBefore = pool.counts.byWorkers;
    await pool.signPair(lone.first, lone.second, lone.at);
    assert.equal(pool.counts.inline, inlineBefore + 2, 'a lone pair is two signatures on the calling thread');
    assert.equal(pool.counts.byWorkers, workersBefore);
  } finally {
    await pool.close();
  }
  const none = createSigningPool(signer, { workers: 0 });
  await pairedAlike(none, pairs(20, 3));
  assert.deepEqual(none.counts, { byWorkers: 0, byWebCrypto: 0, inline: 60 });
  const webCrypto = createSigningPool(signer, { webCrypto: 'always' });
  await pairedAlike(webCrypto, pairs(10, 4));
  assert.equal(webCrypto.counts.byWebCrypto, 30);
});

test('signPair refuses messages that are not bytes, or no room for the hex, and changes nothing', async () => {
  for (const pool of [createSigningPool(signer, { workers: 0 }), createSigningPool(signer, { webCrypto: 'always' })]) {
    const second = new Uint8Array(300).fill(7);
    for (const at of [-1, 1.5, 109, Number.NaN, '0' as never]) {
      await assert.rejects(pool.signPair(new Uint8Array(10), second, at), InvalidArgumentError);
    }
    await assert.rejects(pool.signPair('text' as never, second, 0), InvalidArgumentError);
    await assert.rejects(pool.signPair(new Uint8Array(10), [1, 2] as never, 0), InvalidArgumentError);
    assert.ok(second.every((byte) => byte === 7));
    assert.equal(pool.counts.inline + pool.counts.byWebCrypto, 0);
  }
});

test('closing with pairs in flight still answers every pair correctly, the second message carrying the first signature', async () => {
  const pool = createSigningPool(signer, { workers: 2 });
  await untilWorkersSign(pool, 100, 20, 'the workers never took a batch');
  const batch = pairs(300, 21);
  const expectedSeconds = batch.map(({ first, second, at }) => {
    const carried = second.slice();
    carried.set(new TextEncoder().encode(bytesToHex(signer.sign(first))), at);
    return carried;
  });
  const pending = batch.map(({ first, second, at }) => pool.signPair(first, second, at));
  await new Promise((resolve) => setImmediate(resolve)); // let the batches leave
  await pool.close();
  const results = await Promise.all(pending);
  results.forEach(([signature, carriedSignature], i) => {
    assert.equal(bytesToHex(signature), bytesToHex(signer.sign(batch[i]!.first)));
    assert.equal(bytesToHex(batch[i]!.second), bytesToHex(expectedSeconds[i]!));
    assert.equal(bytesToHex(carriedSignature), bytesToHex(signer.sign(expectedSeconds[i]!)));
  });
});
