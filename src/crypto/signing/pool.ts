/**
 * C25519 signatures (protocol.md §3) made on worker threads, so that a burst of fresh netconfs (every
 * member asking after a revision change) neither blocks the event loop nor leaves a core idle.
 *
 * In Node, worker threads sign with the backend chosen at the time: OpenSSL for `native`, noble
 * imported into the worker for `noble`. Signatures asked for in one turn of the event loop travel
 * to a worker together; a lone signature, with nothing else waiting, is made on the calling thread,
 * where it is quicker than a round trip. In browsers, WebCrypto's Ed25519 signs
 * (webcrypto-signing.ts). Otherwise (no workers wanted, workers starting, failed or closed) every
 * signature is made on the calling thread. Every worker's signature with each backend is checked
 * against the calling thread's before batches go to it: the bytes are always those of `Identity.sign`.
 */
import type * as WorkerThreads from 'node:worker_threads';
import { equalBytes } from '@noble/curves/utils.js';
import { InvalidArgumentError } from '../errors.js';
import { nodeBuiltin } from './node-builtin.js';
import { Identity, privateKeyOf } from './identity.js';
import { C25519_SIGNATURE_BYTES, checkSignaturePair, writeSignatureHex } from './c25519.js';
import { currentSigningBackend, ed25519SeedToPkcs8, type SigningBackendName } from './signing-backend.js';
import { findSubtle, WebCryptoSigningPool } from './webcrypto-signing.js';
import { scheduleSoon } from '../schedule-soon.js';

export interface SigningPoolOptions {
  /**
   * Worker threads (default: the number of cores minus one, at least 1, at most 4). 0 signs
   * everything on the calling thread.
   */
  workers?: number;
  /**
   * WebCrypto's Ed25519 (see webcrypto-signing.ts): `auto` (default) where there are no worker
   * threads, as in browsers; `always` instead of worker threads; `never`.
   */
  webCrypto?: 'auto' | 'always' | 'never';
}

/** Where the signatures of a pool were made. */
export interface SigningCounts {
  byWorkers: number;
  byWebCrypto: number;
  inline: number;
}

export interface SignOptions {
  /**
   * Whether other signatures may be asked for in this turn of the event loop (default true). With
   * false, a caller that knows it is alone has the signature made at once on the calling thread,
   * skipping the turn the pool waits to gather a batch.
   */
  mayBatch?: boolean;
}

export interface SigningPool {
  /** The identity's 96-byte C25519 signature of `message`. */
  sign(message: Uint8Array, options?: SignOptions): Promise<Uint8Array>;
  /**
   * Signs `first`, writes that signature's 192 hex digits into `second` at `firstSignatureAt`, then
   * signs `second`: a certificate and the signed text that carries it, in one trip to a worker.
   * Resolves to both signatures; `second` then holds the digits.
   */
  signPair(first: Uint8Array, second: Uint8Array, firstSignatureAt: number, options?: SignOptions): Promise<[Uint8Array, Uint8Array]>;
  /** Where the signatures so far were made. */
  readonly counts: Readonly<SigningCounts>;
  /** Stops the workers; later signatures are made on the calling thread. */
  close(): Promise<void>;
}

// Small batches that leave as soon as they are full keep a worker signing while this thread builds
// the next configs; one batch per turn of the event loop made them take turns instead.
const MAX_BATCH = 16;
const MAX_BATCHES_PER_WORKER = 4;
const MAX_DEFAULT_WORKERS = 4;

// CommonJS source of a worker. It receives the key once (PKCS#8 for OpenSSL, the seed for noble,
// and the URLs of the noble modules when they could be resolved), then batches of messages laid end
// to end, and answers each batch with 96 bytes per message: Ed25519(SHA-512(m)[0..32]) ‖ SHA-512(m)[0..32],
// signed by the backend the batch names. A message whose `links` entry is not -1 first gets the
// previous message's signature written into it at that offset, as hex (signPair). Its noble
// signing is the main thread's (signing-backend.ts: RFC 8032 §5.1.6 with the expanded key kept);
// the self-check and the tests hold both to Identity.sign.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const key = crypto.createPrivateKey({ key: Buffer.from(workerData.pkcs8), format: 'der', type: 'pkcs8' });
const nativeSha512 = typeof crypto.hash === 'function'
  ? (m) => crypto.hash('sha512', m, 'buffer')
  : (m) => crypto.createHash('sha512').update(m).digest();
const signNative = (digest) => crypto.sign(null, digest, key);
let noble = null; // loaded with the first batch that asks for it
const loadNoble = () => workerData.nobleUrls === null
  ? Promise.reject(new Error('the noble modules could not be located'))
  : Promise.all(workerData.nobleUrls.map((url) => import(url))).then(([{ ed25519 }, { sha512 }, { bytesToNumberLE }, { concatBytes }]) => {
      const { Fn, BASE } = ed25519.Point;
      const { prefix, scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(workerData.seed);
      const toScalar = (bytes) => Fn.create(bytesToNumberLE(sha512(bytes)));
      return {
        sha512,
        sign: (digest) => {
          const r = toScalar(concatBytes(prefix, digest));
          const R = BASE.multiply(r).toBytes();
          return concatBytes(R, Fn.toBytes(Fn.create(r + toScalar(concatBytes(R, pointBytes, digest)) * scalar)));
        },
      };
    });
const native = { sha512: nativeSha512, sign: signNative };
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const writeHex = (into, at, signature) => {
  for (let i = 0; i < 96; i++) {
    into[at + 2 * i] = HEX_DIGITS[signature[i] >>> 4];
    into[at + 2 * i + 1] = HEX_DIGITS[signature[i] & 15];
  }
};
parentPort.on('message', async ({ id, backend, bytes, ends, links }) => {
  try {
    const signer = backend === 'noble' ? await (noble ??= loadNoble()) : native;
    const out = new Uint8Array(96 * ends.length);
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      const message = bytes.subarray(start, ends[i]);
      if (links[i] >= 0) writeHex(message, links[i], out.subarray(96 * (i - 1), 96 * i));
      const digest = signer.sha512(message).subarray(0, 32);
      out.set(signer.sign(digest), 96 * i);
      out.set(digest, 96 * i + 64);
      start = ends[i];
    }
    parentPort.postMessage({ id, out }, [out.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) });
  }
});
`;

/** The modules a worker signs with when the noble backend is chosen. */
const NOBLE_MODULES = ['@noble/curves/ed25519.js', '@noble/hashes/sha2.js', '@noble/curves/utils.js', '@noble/hashes/utils.js'];

/** Where the noble modules are, for a worker to import them; null where that cannot be known (bundles). */
function nobleModuleUrls(): string[] | null {
  try {
    const meta = import.meta as { resolve?: (specifier: string) => string };
    if (typeof meta.resolve !== 'function') return null;
    return NOBLE_MODULES.map((specifier) => import.meta.resolve(specifier));
  } catch {
    return null;
  }
}

interface JobBase {
  readonly message: Uint8Array;
  /** The pool's own test signature, not a caller's. */
  readonly selfCheck?: true;
  readonly reject: (error: unknown) => void;
}

interface SingleJob extends JobBase {
  readonly second?: undefined;
  readonly resolve: (signature: Uint8Array) => void;
}

/** signPair: `second` is signed after `message`, with that signature's hex written in at `firstSignatureAt`. */
interface PairJob extends JobBase {
  readonly second: Uint8Array;
  readonly firstSignatureAt: number;
  readonly resolve: (signatures: [Uint8Array, Uint8Array]) => void;
}

type Job = SingleJob | PairJob;

/** The signatures a job asks for. */
const signatureCount = (job: Job): number => (job.second === undefined ? 1 : 2);

/** Hands a job its signatures, read from `out` at `at` (96 bytes each, in order). */
function settle(job: Job, out: Uint8Array, at: number): void {
  const first = out.slice(at, at + C25519_SIGNATURE_BYTES);
  if (job.second === undefined) {
    job.resolve(first);
    return;
  }
  writeSignatureHex(job.second, job.firstSignatureAt, first);
  job.resolve([first, out.slice(at + C25519_SIGNATURE_BYTES, at + 2 * C25519_SIGNATURE_BYTES)]);
}

interface PoolWorker {
  readonly thread: WorkerThreads.Worker;
  /** Batches sent and not yet answered, by batch id. */
  readonly inFlight: Map<number, { backend: SigningBackendName; jobs: Job[] }>;
}

type WorkerThreadsModule = typeof WorkerThreads;

function loadWorkerThreads(): WorkerThreadsModule | null {
  const module = nodeBuiltin<WorkerThreadsModule>('node:worker_threads');
  return module !== null && typeof module.Worker === 'function' ? module : null;
}

function defaultWorkerCount(): number {
  const os = nodeBuiltin<{ availableParallelism?: () => number }>('node:os');
  const cores = os?.availableParallelism?.() ?? 1;
  return Math.min(MAX_DEFAULT_WORKERS, Math.max(1, cores - 1));
}


/** A pool signing with `identity`, which must hold its private key. */
export function createSigningPool(identity: Identity, options: SigningPoolOptions = {}): SigningPool {
  if (!(identity instanceof Identity)) throw new InvalidArgumentError('a signing pool needs an Identity');
  const privateKey = privateKeyOf(identity);
  if (privateKey === null) throw new InvalidArgumentError(`identity ${identity.address} holds no private key`);
  const workerCount = options.workers ?? defaultWorkerCount();
  if (!Number.isSafeInteger(workerCount) || workerCount < 0) {
    throw new InvalidArgumentError(`workers must be a non-negative integer, got ${String(options.workers)}`);
  }
  const webCrypto = options.webCrypto ?? 'auto';
  if (webCrypto !== 'auto' && webCrypto !== 'always' && webCrypto !== 'never') {
    throw new InvalidArgumentError(`webCrypto must be 'auto', 'always' or 'never', got ${String(options.webCrypto)}`);
  }
  const workerThreads = loadWorkerThreads();
  const subtle = webCrypto === 'never' ? null : findSubtle();
  if (subtle !== null && (webCrypto === 'always' || workerThreads === null) && workerCount > 0) {
    return new WebCryptoSigningPool(identity, privateKey, subtle);
  }
  return new WorkerSigningPool(identity, privateKey, workerCount, workerThreads);
}

type CheckState = 'unchecked' | 'checking' | 'passed' | 'failed';

class WorkerSigningPool implements SigningPool {
  readonly counts: SigningCounts = { byWorkers: 0, byWebCrypto: 0, inline: 0 };
  readonly #queue: Job[] = [];
  readonly #workers: PoolWorker[] = [];
  #dispatchScheduled = false;
  #nextBatchId = 0;
  /** 'none': not started yet; 'running'; 'off': every signature is made on the calling thread. */
  #threads: 'none' | 'running' | 'off';
  /** Whether the workers' signatures with each backend matched the calling thread's. */
  readonly #checks: Record<SigningBackendName, CheckState>;
  readonly #nobleUrls = nobleModuleUrls();
  readonly #share = new IdleShare();

  constructor(
    private readonly identity: Identity,
    private readonly privateKey: Uint8Array,
    private readonly workerCount: number,
    private readonly workerThreads: WorkerThreadsModule | null,
  ) {
    this.#threads = workerCount === 0 || workerThreads === null ? 'off' : 'none';
    this.#checks = { native: 'unchecked', noble: this.#nobleUrls === null ? 'failed' : 'unchecked' };
  }

  sign(message: Uint8Array, options?: SignOptions): Promise<Uint8Array> {
    if (!(message instanceof Uint8Array)) {
      return Promise.reject(new InvalidArgumentError('a message to sign must be a Uint8Array'));
    }
    if (this.#threads === 'off' || options?.mayBatch === false) {
      try {
        return Promise.resolve(this.#signInline(message));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => this.#enqueue({ message, resolve, reject }));
  }

  signPair(first: Uint8Array, second: Uint8Array, firstSignatureAt: number, options?: SignOptions): Promise<[Uint8Array, Uint8Array]> {
    const refusal = checkSignaturePair(first, second, firstSignatureAt);
    if (refusal !== null) return Promise.reject(refusal);
    if (this.#threads === 'off' || options?.mayBatch === false) {
      try {
        return Promise.resolve(this.#signPairInline(first, second, firstSignatureAt));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => this.#enqueue({ message: first, second, firstSignatureAt, resolve, reject }));
  }

  #enqueue(job: Job): void {
    this.#queue.push(job);
    // A full batch leaves at once, so that the worker signs while this thread goes on. Anything
    // else waits for the next turn of the event loop: signing here at once could keep this
    // thread from ever turning it, and from hearing the workers.
    if (this.#queue.length >= MAX_BATCH && this.#workersSign()) this.#dispatch();
    else if (!this.#dispatchScheduled) {
      this.#dispatchScheduled = true;
      scheduleSoon(() => {
        this.#dispatchScheduled = false;
        this.#dispatch();
      });
    }
  }

  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    this.#threads = 'off';
    for (const worker of workers) this.#queue.unshift(...this.#takeBack(worker));
    this.#drainInline();
    await Promise.all(workers.map((worker) => worker.thread.terminate()));
  }

  #signInline(message: Uint8Array): Uint8Array {
    this.counts.inline++;
    return this.identity.sign(message);
  }

  #signPairInline(first: Uint8Array, second: Uint8Array, firstSignatureAt: number): [Uint8Array, Uint8Array] {
    const signature = this.#signInline(first);
    writeSignatureHex(second, firstSignatureAt, signature);
    return [signature, this.#signInline(second)];
  }

  #runInline(job: Job): void {
    try {
      if (job.second === undefined) job.resolve(this.#signInline(job.message));
      else job.resolve(this.#signPairInline(job.message, job.second, job.firstSignatureAt));
    } catch (error) {
      job.reject(error);
    }
  }

  /** Whether a batch sent now would be signed by a worker. */
  #workersSign(): boolean {
    return this.#threads === 'running' && this.#checks[currentSigningBackend().name] === 'passed';
  }

  #dispatch(): void {
    const backend = currentSigningBackend().name;
    const check = this.#checks[backend];
    const busy = this.#workers.some((worker) => worker.inFlight.size > 0);
    // A lone signature with no worker busy: quicker here than a round trip to a worker.
    if (this.#threads !== 'running' || check !== 'passed' || (this.#queue.length === 1 && !busy)) {
      if (this.#queue.length > 1 && check === 'unchecked') {
        if (this.#threads === 'none') this.#start();
        if (this.#threads === 'running') this.#selfCheck(backend);
      }
      this.#drainInline();
      return;
    }
    for (;;) {
      if (this.#queue.length === 0) return;
      let target: PoolWorker | undefined;
      for (const worker of this.#workers) {
        if (worker.inFlight.size < MAX_BATCHES_PER_WORKER && (target === undefined || worker.inFlight.size < target.inFlight.size)) {
          target = worker;
        }
      }
      if (target === undefined) return; // every worker is full: answers will dispatch the rest
      const batch = this.#queue.splice(0, MAX_BATCH);
      // A worker that already has work would leave this thread waiting: it signs a share itself.
      const share = target.inFlight.size > 0 ? this.#share.current() : 0;
      const mine = batch.length > share ? batch.splice(batch.length - share) : [];
      this.#send(target, batch, backend);
      for (const job of mine) this.#runInline(job);
    }
  }

  #drainInline(): void {
    for (const job of this.#queue.splice(0)) this.#runInline(job);
  }

  #send(worker: PoolWorker, jobs: Job[], backend: SigningBackendName): void {
    let count = 0;
    let length = 0;
    for (const job of jobs) {
      count += signatureCount(job);
      length += job.message.length + (job.second?.length ?? 0);
    }
    const ends = new Uint32Array(count);
    const links = new Int32Array(count);
    const bytes = new Uint8Array(length);
    let i = 0;
    let at = 0;
    for (const job of jobs) {
      bytes.set(job.message, at);
      ends[i] = at += job.message.length;
      links[i++] = -1;
      if (job.second !== undefined) {
        bytes.set(job.second, at);
        ends[i] = at += job.second.length;
        links[i++] = job.firstSignatureAt;
      }
    }
    const id = this.#nextBatchId++;
    worker.inFlight.set(id, { backend, jobs });
    worker.thread.ref(); // an answer is awaited: keep the process alive for it
    worker.thread.postMessage({ id, backend, bytes, ends, links }, [bytes.buffer, ends.buffer, links.buffer]);
  }

  #start(): void {
    const { Worker } = this.workerThreads!;
    const workerData = {
      pkcs8: ed25519SeedToPkcs8(this.privateKey.subarray(32, 64)),
      seed: this.privateKey.slice(32, 64),
      nobleUrls: this.#nobleUrls,
    };
    for (let i = 0; i < this.workerCount; i++) {
      let thread: WorkerThreads.Worker;
      try {
        thread = new Worker(WORKER_SOURCE, { eval: true, workerData });
      } catch {
        break;
      }
      const worker: PoolWorker = { thread, inFlight: new Map() };
      thread.unref();
      thread.on('message', (answer: WorkerAnswer) => this.#answered(worker, answer));
      thread.on('error', () => this.#failed(worker));
      thread.on('exit', () => this.#failed(worker));
      this.#workers.push(worker);
    }
    this.#threads = this.#workers.length > 0 ? 'running' : 'off';
  }

  /**
   * Each worker signs a test pair with `backend` (signPair's way, which also covers single
   * signatures); every one must match the calling thread's signatures.
   */
  #selfCheck(backend: SigningBackendName): void {
    this.#checks[backend] = 'checking';
    const first = new TextEncoder().encode(`zt-netconf-master signing pool self-test (${backend})`);
    const prefix = 'signature of the first: ';
    const second = new TextEncoder().encode(`${prefix}${'_'.repeat(2 * C25519_SIGNATURE_BYTES)} (${backend})`);
    const digitsAt = prefix.length;
    const expectedSecond = second.slice();
    const expected = this.identity.sign(first);
    writeSignatureHex(expectedSecond, digitsAt, expected);
    const expectedPair = [expected, this.identity.sign(expectedSecond)];
    let waiting = this.#workers.length;
    for (const worker of this.#workers) {
      const check: PairJob = {
        message: first,
        second: second.slice(),
        firstSignatureAt: digitsAt,
        selfCheck: true,
        resolve: (signatures) => {
          if (this.#checks[backend] !== 'checking') return;
          if (!signatures.every((signature, i) => equalBytes(signature, expectedPair[i]!))) this.#checks[backend] = 'failed';
          else if (--waiting === 0) this.#checks[backend] = 'passed';
        },
        reject: () => {
          if (this.#checks[backend] === 'checking') this.#checks[backend] = 'failed';
        },
      };
      this.#send(worker, [check], backend);
    }
  }

  #answered(worker: PoolWorker, { id, out }: WorkerAnswer): void {
    const batch = worker.inFlight.get(id);
    if (batch === undefined) return;
    worker.inFlight.delete(id);
    if (worker.inFlight.size === 0) worker.thread.unref();
    if (out === undefined) {
      // The worker could not sign with this backend (the noble modules would not load there): it
      // is signed here from now on, this batch too.
      this.#checks[batch.backend] = 'failed';
      for (const job of batch.jobs) if (job.selfCheck === true) job.reject(new Error('a worker could not sign'));
      this.#queue.unshift(...batch.jobs.filter((job) => job.selfCheck !== true));
      this.#dispatch();
      return;
    }
    let at = 0;
    for (const job of batch.jobs) {
      const count = signatureCount(job);
      if (job.selfCheck !== true) this.counts.byWorkers += count;
      settle(job, out, at);
      at += count * C25519_SIGNATURE_BYTES;
    }
    if (this.#queue.length > 0) this.#dispatch();
  }

  /** A worker that failed or exited: what it held is signed here; the pool goes on without it. */
  #failed(worker: PoolWorker): void {
    const index = this.#workers.indexOf(worker);
    if (index < 0) return;
    this.#workers.splice(index, 1);
    this.#queue.unshift(...this.#takeBack(worker));
    if (this.#workers.length === 0) this.#threads = 'off';
    if (this.#threads === 'off') this.#drainInline();
    else this.#dispatch();
  }

  /** The callers' jobs a worker holds (a self-check it held fails). */
  #takeBack(worker: PoolWorker): Job[] {
    const jobs = [...worker.inFlight.values()].flatMap((batch) => batch.jobs);
    worker.inFlight.clear();
    worker.thread.unref();
    for (const job of jobs) if (job.selfCheck === true) job.reject(new Error('the worker stopped'));
    return jobs.filter((job) => job.selfCheck !== true);
  }
}

const BUSY_ENOUGH = 0.97;

/**
 * How many signatures of a batch bound for a busy worker the calling thread makes itself: one more
 * every 50 ms while it was idle more than 3 % of the time, one fewer while it was not, up to half
 * a batch. Under a burst, when the workers are the bottleneck, the calling thread's spare time
 * signs too. Measured with 64 fresh requests in flight on 2 cores: noble +30 % over no share;
 * native +15 % with the 3 % threshold over 10 %, which left the calling thread idle a tenth of the
 * time while requests waited for the worker.
 */
class IdleShare {
  #value = 0;
  #since = loopUtilization?.();
  #at = 0;

  current(): number {
    if (loopUtilization === undefined) return 0;
    const now = Date.now();
    if (now - this.#at >= 50) {
      const busy = loopUtilization(this.#since).utilization;
      this.#since = loopUtilization();
      this.#at = now;
      this.#value = busy < BUSY_ENOUGH ? Math.min(this.#value + 1, MAX_BATCH / 2) : Math.max(this.#value - 1, 0);
    }
    return this.#value;
  }
}

type LoopUtilization = { utilization: number; idle: number; active: number };
const loopUtilization = (globalThis as { performance?: { eventLoopUtilization?: (since?: LoopUtilization) => LoopUtilization } })
  .performance?.eventLoopUtilization?.bind(globalThis.performance);

interface WorkerAnswer {
  id: number;
  /** 96 bytes per message; absent when the batch could not be signed (`error` says why). */
  out?: Uint8Array;
  error?: string;
}
