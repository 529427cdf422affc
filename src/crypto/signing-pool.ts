/**
 * C25519 signatures (protocol.md §3) made on worker threads, so that a burst of fresh netconfs (every
 * member asking after a revision change) neither blocks the event loop nor leaves a core idle.
 *
 * In Node, with the `native` backend in use, worker threads sign with OpenSSL. Signatures asked for
 * in one turn of the event loop travel to a worker together; a lone signature, with nothing else
 * waiting, is made on the calling thread, where it is quicker than a round trip. In browsers,
 * WebCrypto's Ed25519 signs (webcrypto-signing.ts). Everywhere else (the `noble` backend, no
 * workers wanted, workers not started yet or failed) every signature is made on the calling thread. A pool checks its first worker's signature against the
 * calling thread's before trusting it: the bytes are always those of `Identity.sign`.
 */
import type * as WorkerThreads from 'node:worker_threads';
import { InvalidArgumentError } from '../errors.js';
import { Identity, privateKeyOf } from './identity.js';
import { currentSigningBackend, ed25519SeedToPkcs8 } from './signing-backend.js';
import { findSubtle, WebCryptoSigningPool } from './webcrypto-signing.js';

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

// CommonJS source of a worker: it receives the PKCS#8 key once, then batches of messages laid end
// to end, and answers each batch with 96 bytes per message: Ed25519(SHA-512(m)[0..32]) ‖ SHA-512(m)[0..32].
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const key = crypto.createPrivateKey({ key: Buffer.from(workerData), format: 'der', type: 'pkcs8' });
const sha512 = typeof crypto.hash === 'function'
  ? (m) => crypto.hash('sha512', m, 'buffer')
  : (m) => crypto.createHash('sha512').update(m).digest();
parentPort.on('message', ({ id, bytes, ends }) => {
  const out = new Uint8Array(96 * ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const digest = sha512(bytes.subarray(start, ends[i])).subarray(0, 32);
    out.set(crypto.sign(null, digest, key), 96 * i);
    out.set(digest, 96 * i + 64);
    start = ends[i];
  }
  parentPort.postMessage({ id, out }, [out.buffer]);
});
`;

interface Job {
  readonly message: Uint8Array;
  /** The pool's own test signature, not a caller's. */
  readonly selfCheck?: true;
  readonly resolve: (signature: Uint8Array) => void;
  readonly reject: (error: unknown) => void;
}

interface PoolWorker {
  readonly thread: WorkerThreads.Worker;
  /** Batches sent and not yet answered, by batch id. */
  readonly inFlight: Map<number, Job[]>;
}

type WorkerThreadsModule = typeof WorkerThreads;

function loadWorkerThreads(): WorkerThreadsModule | null {
  const processObject = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const getBuiltinModule = processObject?.getBuiltinModule;
  if (typeof getBuiltinModule !== 'function') return null;
  try {
    const module = getBuiltinModule.call(processObject, 'node:worker_threads') as WorkerThreadsModule | undefined;
    return module && typeof module.Worker === 'function' ? module : null;
  } catch {
    return null;
  }
}

function defaultWorkerCount(): number {
  const os = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.(
    'node:os',
  ) as { availableParallelism?: () => number } | undefined;
  const cores = os?.availableParallelism?.() ?? 1;
  return Math.min(MAX_DEFAULT_WORKERS, Math.max(1, cores - 1));
}

const scheduleSoon: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0);

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

class WorkerSigningPool implements SigningPool {
  readonly counts: SigningCounts = { byWorkers: 0, byWebCrypto: 0, inline: 0 };
  readonly #queue: Job[] = [];
  readonly #workers: PoolWorker[] = [];
  #dispatchScheduled = false;
  #nextBatchId = 0;
  /** 'idle': no worker started; 'starting': checking the first one; 'ready'; 'off': inline only. */
  #state: 'idle' | 'starting' | 'ready' | 'off';

  constructor(
    private readonly identity: Identity,
    private readonly privateKey: Uint8Array,
    private readonly workerCount: number,
    private readonly workerThreads: WorkerThreadsModule | null,
  ) {
    this.#state = workerCount === 0 || workerThreads === null ? 'off' : 'idle';
  }

  sign(message: Uint8Array, options?: SignOptions): Promise<Uint8Array> {
    if (!(message instanceof Uint8Array)) {
      return Promise.reject(new InvalidArgumentError('a message to sign must be a Uint8Array'));
    }
    if (this.#state === 'off' || options?.mayBatch === false) {
      try {
        return Promise.resolve(this.#signInline(message));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ message, resolve, reject });
      // A full batch leaves at once, so that the worker signs while this thread goes on.
      if (this.#queue.length >= MAX_BATCH && this.#state === 'ready') this.#dispatch();
      else if (!this.#dispatchScheduled) {
        this.#dispatchScheduled = true;
        scheduleSoon(() => {
          this.#dispatchScheduled = false;
          this.#dispatch();
        });
      }
    });
  }

  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    this.#state = 'off';
    for (const worker of workers) this.#queue.unshift(...this.#retire(worker));
    this.#drainInline();
    await Promise.all(workers.map((worker) => worker.thread.terminate()));
  }

  #signInline(message: Uint8Array): Uint8Array {
    this.counts.inline++;
    return this.identity.sign(message);
  }

  #dispatch(): void {
    const native = currentSigningBackend().name === 'native';
    const usable = this.#state === 'ready' && native;
    const busy = this.#workers.some((worker) => worker.inFlight.size > 0);
    // A lone signature with no worker busy: quicker here than a round trip to a worker.
    if (!usable || (this.#queue.length === 1 && !busy)) {
      if (this.#state === 'idle' && native && this.#queue.length > 1) this.#start();
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
      this.#send(target, this.#queue.splice(0, MAX_BATCH));
    }
  }

  #drainInline(): void {
    for (const job of this.#queue.splice(0)) {
      try {
        job.resolve(this.#signInline(job.message));
      } catch (error) {
        job.reject(error);
      }
    }
  }

  #send(worker: PoolWorker, jobs: Job[]): void {
    const ends = new Uint32Array(jobs.length);
    let length = 0;
    jobs.forEach((job, i) => (ends[i] = length += job.message.length));
    const bytes = new Uint8Array(length);
    let at = 0;
    for (const job of jobs) {
      bytes.set(job.message, at);
      at += job.message.length;
    }
    const id = this.#nextBatchId++;
    worker.inFlight.set(id, jobs);
    worker.thread.ref(); // an answer is awaited: keep the process alive for it
    worker.thread.postMessage({ id, bytes, ends }, [bytes.buffer, ends.buffer]);
  }

  #start(): void {
    this.#state = 'starting';
    const { Worker } = this.workerThreads!;
    const pkcs8 = ed25519SeedToPkcs8(this.privateKey.subarray(32, 64));
    for (let i = 0; i < this.workerCount; i++) {
      let thread: WorkerThreads.Worker;
      try {
        thread = new Worker(WORKER_SOURCE, { eval: true, workerData: pkcs8 });
      } catch {
        this.#state = 'off';
        return;
      }
      const worker: PoolWorker = { thread, inFlight: new Map() };
      thread.unref();
      thread.on('message', (answer: { id: number; out: Uint8Array }) => this.#answered(worker, answer));
      thread.on('error', () => this.#failed(worker));
      thread.on('exit', () => this.#failed(worker));
      this.#workers.push(worker);
    }
    this.#selfCheck(this.#workers[0]!);
  }

  /** The first worker signs a test message; it must match the calling thread's signature exactly. */
  #selfCheck(worker: PoolWorker): void {
    const message = new TextEncoder().encode('zt-netconf-master signing pool self-test');
    const expected = this.identity.sign(message);
    const id = this.#nextBatchId++;
    const check: Job = {
      message,
      selfCheck: true,
      resolve: (signature) => {
        if (this.#state !== 'starting') return;
        if (sameBytes(signature, expected)) {
          this.#state = 'ready';
        } else {
          this.#state = 'off';
          void this.close();
        }
      },
      reject: noop,
    };
    worker.inFlight.set(id, [check]);
    worker.thread.ref();
    const ends = Uint32Array.of(message.length);
    worker.thread.postMessage({ id, bytes: message, ends });
  }

  #answered(worker: PoolWorker, { id, out }: { id: number; out: Uint8Array }): void {
    const jobs = worker.inFlight.get(id);
    if (jobs === undefined) return;
    worker.inFlight.delete(id);
    if (worker.inFlight.size === 0) worker.thread.unref();
    jobs.forEach((job, i) => {
      if (job.selfCheck !== true) this.counts.byWorkers++;
      job.resolve(out.slice(96 * i, 96 * i + 96));
    });
    if (this.#queue.length > 0) this.#dispatch();
  }

  /** A worker that failed or exited: what it held is signed here; the pool goes on without it. */
  #failed(worker: PoolWorker): void {
    const index = this.#workers.indexOf(worker);
    if (index < 0) return;
    this.#workers.splice(index, 1);
    const orphans = this.#retire(worker);
    if (this.#workers.length === 0 && this.#state !== 'off') this.#state = 'off';
    this.#queue.unshift(...orphans);
    if (this.#state === 'off') this.#drainInline();
    else this.#dispatch();
  }

  /** Takes back the jobs a worker holds (the self-check is dropped, leaving the pool inline). */
  #retire(worker: PoolWorker): Job[] {
    const jobs = [...worker.inFlight.values()].flat();
    worker.inFlight.clear();
    if (this.#state === 'starting') this.#state = 'off';
    worker.thread.unref();
    return jobs.filter((job) => job.selfCheck !== true);
  }
}

function noop(): void {}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
