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
import { memoryHardHashJs } from '../src/crypto/memory-hard-hash-js.js';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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

test('a signature its caller knows alone is made at once, before the event loop turns', async () => {
  const pool = createSigningPool(signer, { workers: 1 });
  try {
    for (const [i, message] of messages(3, 5).entries()) {
      let turned = false;
      setImmediate(() => (turned = true));
      const signature = await pool.sign(message, { alone: true });
      assert.equal(turned, false, 'signed without waiting for a turn');
      assert.equal(bytesToHex(signature), bytesToHex(signer.sign(message)));
      const [first, second] = [message, new Uint8Array(300).fill(i)];
      const [firstSignature, secondSignature] = await pool.signPair(first, second, 10, { alone: true });
      assert.equal(turned, false, 'a pair too');
      assert.equal(bytesToHex(firstSignature), bytesToHex(signer.sign(first)));
      assert.equal(bytesToHex(secondSignature), bytesToHex(signer.sign(second)));
    }
    assert.deepEqual(pool.counts, { byWorkers: 0, byWebCrypto: 0, inline: 9 });
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

const identityVectors = JSON.parse(readFileSync(new URL('./vectors/crypto.json', import.meta.url), 'utf8')) as {
  identities: { known_good: string; known_bad: string };
};

/** Identities to validate: the test identities, the vectors' good and bad, and forged ones (any key, any address). */
const candidates = (): string[] => [
  ...TEST_IDENTITIES.map((text) => Identity.fromString(text).toString(false)),
  identityVectors.identities.known_good,
  identityVectors.identities.known_bad,
  ...Array.from({ length: 6 }, (_, i) => `${(0x1000000000 + i * 7919).toString(16)}:0:${bytesToHex(Uint8Array.from({ length: 64 }, (_, j) => (i * 17 + j * 3) & 0xff))}`),
];
const expectedVerdicts = (texts: string[]): boolean[] => texts.map((text) => Identity.fromString(text).locallyValidate({ memoryHardHash: 'js' }));

test('identities are validated on the workers, with the verdicts of Identity.locallyValidate', async () => {
  const texts = candidates();
  const expected = expectedVerdicts(texts);
  assert.deepEqual(expected.slice(0, 10), [true, true, true, true, true, true, true, true, true, false]);
  const pool = createSigningPool(signer, { workers: 1 });
  try {
    const deadline = Date.now() + 10_000;
    while (pool.validationCounts.byWorkers === 0) {
      assert.ok(Date.now() < deadline, 'the worker never validated');
      const verdicts = await Promise.all(texts.map((text) => pool.validateIdentity(Identity.fromString(text))));
      assert.deepEqual(verdicts, expected);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const verdicts = await Promise.all(texts.map((text) => pool.validateIdentity(Identity.fromString(text))));
    assert.deepEqual(verdicts, expected);
    assert.ok(pool.validationCounts.byWorkers >= texts.length);
  } finally {
    await pool.close();
  }
});

test('without workers, or with a hash function of the caller, identities are validated on the calling thread alike', async () => {
  const texts = candidates();
  const expected = expectedVerdicts(texts);
  const none = createSigningPool(signer, { workers: 0 });
  assert.deepEqual(await Promise.all(texts.map((text) => none.validateIdentity(Identity.fromString(text)))), expected);
  assert.deepEqual(none.validationCounts, { byWorkers: 0, inline: texts.length });
  let hashes = 0;
  const own = createSigningPool(signer, {
    workers: 1,
    memoryHardHash: (key) => {
      hashes++;
      return memoryHardHashJs(key);
    },
  });
  try {
    assert.deepEqual(await Promise.all(texts.map((text) => own.validateIdentity(Identity.fromString(text)))), expected);
    assert.deepEqual(own.validationCounts, { byWorkers: 0, inline: texts.length });
    assert.ok(hashes >= texts.length - 1, 'the function was used (a reserved address needs no hash)');
  } finally {
    await own.close();
  }
  await assert.rejects(none.validateIdentity('not an identity' as never), InvalidArgumentError);
});

test('bundled into one file with esbuild, where no worker file is found, the pool signs and validates on the calling thread with identical results', async (t) => {
  const { build } = await import('esbuild');
  const folder = mkdtempSync(join(tmpdir(), 'zt-signing-bundle-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const source = (file: string) => JSON.stringify(fileURLToPath(new URL(`../src/crypto/${file}`, import.meta.url)));
  const texts = candidates();
  const toSign = messages(40, 31);
  writeFileSync(
    join(folder, 'entry.ts'),
    `import { createSigningPool } from ${source('signing/pool.ts')};
import { Identity } from ${source('identity.ts')};
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const results = [];
for (const webCrypto of ['auto', 'never'] as const) {
  const pool = createSigningPool(Identity.fromString(${JSON.stringify(TEST_IDENTITIES[0])}), { workers: 2, webCrypto });
  const signatures = await Promise.all(${JSON.stringify(toSign.map((message) => Array.from(message)))}.map((m: number[]) => pool.sign(Uint8Array.from(m))));
  const verdicts = await Promise.all(${JSON.stringify(texts)}.map((text: string) => pool.validateIdentity(Identity.fromString(text))));
  results.push({ signatures: signatures.map(hex), verdicts, counts: pool.counts, validationCounts: pool.validationCounts });
  await pool.close();
}
console.log(JSON.stringify(results));
`,
  );
  const outfile = join(folder, 'bundle.mjs');
  await build({ entryPoints: [join(folder, 'entry.ts')], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'silent' });
  const { stdout } = await promisify(execFile)(process.execPath, [outfile]);
  type Result = { signatures: string[]; verdicts: boolean[]; counts: { byWorkers: number; byWebCrypto: number; inline: number }; validationCounts: unknown };
  const [automatic, calling] = JSON.parse(stdout) as [Result, Result];
  for (const result of [automatic, calling]) {
    assert.deepEqual(result.signatures, toSign.map((message) => bytesToHex(signer.sign(message))));
    assert.deepEqual(result.verdicts, expectedVerdicts(texts));
    assert.deepEqual(result.validationCounts, { byWorkers: 0, inline: texts.length });
    assert.equal(result.counts.byWorkers, 0);
  }
  // No worker threads: Node's WebCrypto signs where it can (as in browsers), else the calling thread.
  assert.equal(automatic.counts.byWebCrypto + automatic.counts.inline, toSign.length);
  assert.deepEqual(calling.counts, { byWorkers: 0, byWebCrypto: 0, inline: toSign.length });
});

test('a process whose pool started workers, and never closed it, still exits by itself', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'zt-signing-exit-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const source = (file: string) => JSON.stringify(new URL(`../src/crypto/${file}`, import.meta.url).href);
  const script = join(folder, 'idle.mts');
  writeFileSync(
    script,
    `import { createSigningPool } from ${source('signing/pool.ts')};
import { Identity } from ${source('identity.ts')};
const texts = ${JSON.stringify(TEST_IDENTITIES)};
const pool = createSigningPool(Identity.fromString(texts[0]), { workers: 1 });
// Until the worker has loaded, identities are validated here; then on the worker.
for (let round = 0; round < 400 && pool.validationCounts.byWorkers === 0; round++) {
  await Promise.all(texts.map((text) => pool.validateIdentity(Identity.fromString(text))));
  await new Promise((resolve) => setTimeout(resolve, 50));
}
console.log(JSON.stringify(await Promise.all(texts.map((text) => pool.validateIdentity(Identity.fromString(text))))), JSON.stringify(pool.validationCounts.byWorkers > 0));
`,
  );
  // A pool that kept the process alive would hit the timeout (the child is then killed).
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { timeout: 60_000, cwd: repoRoot });
  assert.equal(stdout.trim(), `${JSON.stringify(TEST_IDENTITIES.map(() => true))} true`, 'the worker validated, then the process ended');
});
