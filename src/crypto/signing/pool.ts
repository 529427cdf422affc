/**
 * C25519 signatures (protocol.md §3) and identity validations made on worker threads, so that a
 * burst of fresh netconfs (every member asking after a revision change) or of new identities
 * neither blocks the event loop nor leaves a core idle.
 *
 * In Node, worker threads (worker.ts) sign with the chosen backend. Signatures asked for in one
 * turn of the event loop travel to a worker together; a lone signature, with nothing else waiting
 * and no worker signing, is made on the calling thread, where it is quicker than a round trip
 * (at once, without waiting for the turn, when its caller knows it alone: SignOptions.alone).
 * Each worker validates one identity at a time, so that signatures sent to it never wait behind
 * more than one memory-hard hash; until a worker has loaded, identities are validated here. In browsers, WebCrypto's Ed25519 signs (webcrypto.ts).
 * Otherwise (no workers wanted, no worker file found, workers failed or closed) everything is done
 * on the calling thread. Every worker's signatures with each backend are checked against the
 * calling thread's before batches go to it: the bytes are always those of `Identity.sign`.
 */
import { equalBytes } from '@noble/curves/utils.js';
import { InvalidArgumentError } from '../../errors.js';
import { coalescedSoon } from '../../schedule-soon.js';
import { nodeBuiltin } from '../../node-builtin.js';
import { Identity, privateKeyOf } from '../identity.js';
import { C25519_SIGNATURE_BYTES, c25519Sign, checkSignaturePair, writeSignatureHex } from '../c25519.js';
import { chooseMemoryHardHash, type MemoryHardHashChoice, type MemoryHardHashName } from '../memory-hard-hash.js';
import { chooseSigningBackend, type Ed25519Backend, type SigningBackendName } from './backend.js';
import { IdleShare } from './idle-share.js';
import type { SignOptions, SigningCounts, SigningPool, SigningPoolOptions, ValidationCounts } from './pool-types.js';
import { findSubtle, WebCryptoSigningPool } from './webcrypto.js';
import type { WorkerAnswer, WorkerReady, WorkerRequest } from './worker-messages.js';
import { findWorkerModule, type WorkerStarter } from '../../worker-launch.js';
import type { WorkerData } from './worker-messages.js';
import type * as WorkerThreads from 'node:worker_threads';

// Small batches that leave as soon as they are full keep a worker signing while this thread builds
// the next configs; one batch per turn of the event loop made them take turns instead.
const MAX_BATCH = 16;
const MAX_BATCHES_PER_WORKER = 4;
const MAX_DEFAULT_WORKERS = 4;

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

interface ValidationJob {
  readonly identity: Identity;
  readonly resolve: (valid: boolean) => void;
}

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
  /** Sign batches sent and not yet answered, by request id. */
  readonly inFlight: Map<number, { backend: SigningBackendName; jobs: Job[] }>;
  /** The identity validation sent and not yet answered. */
  validation: { id: number; job: ValidationJob } | null;
  /** Whether the worker has loaded (it says so once). */
  ready: boolean;
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
  const backendChoice = options.backend ?? 'auto';
  const backend = chooseSigningBackend(backendChoice);
  const memoryHardHash = options.memoryHardHash ?? 'auto';
  chooseMemoryHardHash(memoryHardHash); // refuses an unknown choice now, not at the first validation
  // worker.ts, beside this module (see worker-launch.ts); none where it cannot start.
  const launcher = workerCount === 0 ? null : findWorkerModule<WorkerData>(import.meta.url, 'worker');
  const subtle = webCrypto === 'never' || backendChoice === 'noble' ? null : findSubtle();
  if (subtle !== null && (webCrypto === 'always' || launcher === null) && workerCount > 0) {
    return new WebCryptoSigningPool(privateKey, subtle, backend, memoryHardHash);
  }
  return new WorkerSigningPool(privateKey, backend, memoryHardHash, workerCount, launcher);
}

type CheckState = 'unchecked' | 'checking' | 'passed' | 'failed';

class WorkerSigningPool implements SigningPool {
  readonly counts: SigningCounts = { byWorkers: 0, byWebCrypto: 0, inline: 0 };
  readonly validationCounts: ValidationCounts = { byWorkers: 0, inline: 0 };
  readonly #queue: Job[] = [];
  readonly #validations: ValidationJob[] = [];
  readonly #workers: PoolWorker[] = [];
  /** Dispatches the queue on the next turn, once however many jobs arrive before it. */
  readonly #dispatchSoon = coalescedSoon(() => this.#dispatch());
  #nextRequestId = 0;
  /** 'none': not started yet; 'running'; 'off': everything is done on the calling thread. */
  #threads: 'none' | 'running' | 'off';
  /** Whether the workers' signatures with the backend matched the calling thread's. */
  #check: CheckState = 'unchecked';
  readonly #share = new IdleShare(MAX_BATCH / 2);
  /** The hash the workers validate with; null for a function of the caller's, which runs here. */
  readonly #workerHash: MemoryHardHashName | null;

  constructor(
    private readonly privateKey: Uint8Array,
    private readonly backend: Ed25519Backend,
    private readonly memoryHardHash: MemoryHardHashChoice,
    private readonly workerCount: number,
    private readonly launcher: WorkerStarter<WorkerData> | null,
  ) {
    this.#threads = workerCount === 0 || launcher === null ? 'off' : 'none';
    this.#workerHash = typeof memoryHardHash === 'function' ? null : memoryHardHash;
  }

  sign(message: Uint8Array, options: SignOptions = {}): Promise<Uint8Array> {
    if (!(message instanceof Uint8Array)) {
      return Promise.reject(new InvalidArgumentError('a message to sign must be a Uint8Array'));
    }
    if (this.#signsAtOnce(options)) return attempt(() => this.#signInline(message));
    return new Promise((resolve, reject) => this.#enqueue({ message, resolve, reject }));
  }

  signPair(first: Uint8Array, second: Uint8Array, firstSignatureAt: number, options: SignOptions = {}): Promise<[Uint8Array, Uint8Array]> {
    const refusal = checkSignaturePair(first, second, firstSignatureAt);
    if (refusal !== null) return Promise.reject(refusal);
    if (this.#signsAtOnce(options)) return attempt(() => this.#signPairInline(first, second, firstSignatureAt));
    return new Promise((resolve, reject) => this.#enqueue({ message: first, second, firstSignatureAt, resolve, reject }));
  }

  validateIdentity(identity: Identity): Promise<boolean> {
    if (!(identity instanceof Identity)) return Promise.reject(new InvalidArgumentError('validateIdentity needs an Identity'));
    if (this.#workerHash === null) return attempt(() => this.#validateInline(identity));
    if (this.#threads === 'none') this.#start();
    if (this.#threads === 'off' || !this.#workers.some((worker) => worker.ready)) return attempt(() => this.#validateInline(identity));
    return new Promise((resolve) => {
      this.#validations.push({ identity, resolve });
      this.#sendValidations();
    });
  }

  #enqueue(job: Job): void {
    this.#queue.push(job);
    // A full batch leaves at once, so that the worker signs while this thread goes on. Anything
    // else waits for the next turn of the event loop: signing here at once could keep this
    // thread from ever turning it, and from hearing the workers.
    if (this.#queue.length >= MAX_BATCH && this.#workersSign()) this.#dispatch();
    else this.#dispatchSoon();
  }

  async close(): Promise<void> {
    const workers = this.#workers.splice(0);
    this.#threads = 'off';
    for (const worker of workers) this.#takeBack(worker);
    this.#drainInline();
    await Promise.all(workers.map((worker) => worker.thread.terminate()));
  }

  #signInline(message: Uint8Array): Uint8Array {
    this.counts.inline++;
    return c25519Sign(this.privateKey, message, this.backend);
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

  #validateInline(identity: Identity): boolean {
    this.validationCounts.inline++;
    return identity.locallyValidate({ memoryHardHash: this.memoryHardHash });
  }

  /** Whether a batch sent now would be signed by a worker. */
  #workersSign(): boolean {
    return this.#threads === 'running' && this.#check === 'passed';
  }

  /**
   * Whether `waiting` jobs, all there are, are signed on this thread: when no worker would sign
   * them, or when one is alone and no worker is signing (quicker here than a round trip to a
   * worker). The one rule, for every caller.
   */
  #signsHere(waiting: number): boolean {
    return !this.#workersSign() || (waiting === 1 && !this.#workers.some((worker) => worker.inFlight.size > 0));
  }

  /** Whether a job is signed as it is asked for: no workers at all, or a job its caller knows alone that #signsHere would keep. */
  #signsAtOnce(options: SignOptions): boolean {
    return this.#threads === 'off' || (options.alone === true && this.#signsHere(this.#queue.length + 1));
  }

  #dispatch(): void {
    if (this.#signsHere(this.#queue.length)) {
      if (this.#queue.length > 1 && this.#check === 'unchecked') {
        if (this.#threads === 'none') this.#start();
        if (this.#threads === 'running') this.#selfCheck();
      }
      this.#signQueueInline();
      return;
    }
    for (;;) {
      if (this.#queue.length === 0) return;
      let target: PoolWorker | undefined;
      for (const worker of this.#workers) {
        if (worker.inFlight.size < MAX_BATCHES_PER_WORKER && (target === undefined || load(worker) < load(target))) target = worker;
      }
      if (target === undefined) return; // every worker is full: answers will dispatch the rest
      const batch = this.#queue.splice(0, MAX_BATCH);
      // A worker that already has work would leave this thread waiting: it signs a share itself.
      const share = load(target) > 0 ? this.#share.current() : 0;
      const mine = batch.length > share ? batch.splice(batch.length - share) : [];
      this.#sendBatch(target, batch);
      for (const job of mine) this.#runInline(job);
    }
  }

  #signQueueInline(): void {
    for (const job of this.#queue.splice(0)) this.#runInline(job);
  }

  /** With no worker left: everything waiting is done here. */
  #drainInline(): void {
    this.#signQueueInline();
    for (const job of this.#validations.splice(0)) job.resolve(this.#validateInline(job.identity));
  }

  #post(worker: PoolWorker, request: WorkerRequest, transfer: ArrayBuffer[]): void {
    worker.thread.ref(); // an answer is awaited: keep the process alive for it
    worker.thread.postMessage(request, transfer);
  }

  #sendBatch(worker: PoolWorker, jobs: Job[]): void {
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
    const id = this.#nextRequestId++;
    const backend = this.backend.name;
    worker.inFlight.set(id, { backend, jobs });
    this.#post(worker, { kind: 'sign', id, backend, bytes, ends, links }, [bytes.buffer, ends.buffer, links.buffer]);
  }

  /** Gives each worker without a validation the next one waiting. */
  #sendValidations(): void {
    const memoryHardHash = this.#workerHash;
    if (memoryHardHash === null) return;
    for (const worker of this.#workers) {
      if (this.#validations.length === 0) return;
      if (worker.validation !== null || !worker.ready) continue;
      const job = this.#validations.shift()!;
      const id = this.#nextRequestId++;
      worker.validation = { id, job };
      const { identity } = job;
      this.#post(worker, { kind: 'validate', id, address: identity.addressValue, publicKey: identity.publicKey, memoryHardHash }, []);
    }
  }

  #start(): void {
    const workerData = { privateKey: this.privateKey.slice() };
    for (let i = 0; i < this.workerCount; i++) {
      let thread: WorkerThreads.Worker;
      try {
        thread = this.launcher!(workerData);
      } catch {
        break;
      }
      const worker: PoolWorker = { thread, inFlight: new Map(), validation: null, ready: false };
      thread.on('message', (message: WorkerAnswer | WorkerReady) => {
        if (!('ready' in message)) this.#answered(worker, message);
        else {
          worker.ready = true;
          this.#sendValidations();
        }
      });
      thread.on('error', () => this.#failed(worker));
      thread.on('exit', () => this.#failed(worker));
      thread.unref(); // after the listeners, which would hold the process otherwise
      this.#workers.push(worker);
    }
    this.#threads = this.#workers.length > 0 ? 'running' : 'off';
  }

  /**
   * Each worker signs a test pair (signPair's way, which also covers single signatures); every one
   * must match the calling thread's signatures.
   */
  #selfCheck(): void {
    this.#check = 'checking';
    const first = new TextEncoder().encode(`zt-netconf-master signing pool self-test (${this.backend.name})`);
    const prefix = 'signature of the first: ';
    const second = new TextEncoder().encode(`${prefix}${'_'.repeat(2 * C25519_SIGNATURE_BYTES)} (${this.backend.name})`);
    const digitsAt = prefix.length;
    const expectedSecond = second.slice();
    const expected = c25519Sign(this.privateKey, first, this.backend);
    writeSignatureHex(expectedSecond, digitsAt, expected);
    const expectedPair = [expected, c25519Sign(this.privateKey, expectedSecond, this.backend)];
    let waiting = this.#workers.length;
    for (const worker of this.#workers) {
      const check: PairJob = {
        message: first,
        second: second.slice(),
        firstSignatureAt: digitsAt,
        selfCheck: true,
        resolve: (signatures) => {
          if (this.#check !== 'checking') return;
          if (!signatures.every((signature, i) => equalBytes(signature, expectedPair[i]!))) this.#check = 'failed';
          else if (--waiting === 0) this.#check = 'passed';
        },
        reject: () => {
          if (this.#check === 'checking') this.#check = 'failed';
        },
      };
      this.#sendBatch(worker, [check]);
    }
  }

  #answered(worker: PoolWorker, answer: WorkerAnswer): void {
    if (worker.validation?.id === answer.id) {
      const { job } = worker.validation;
      worker.validation = null;
      this.#settled(worker);
      if (answer.valid === undefined) job.resolve(this.#validateInline(job.identity));
      else {
        this.validationCounts.byWorkers++;
        job.resolve(answer.valid);
      }
      this.#sendValidations();
      return;
    }
    const batch = worker.inFlight.get(answer.id);
    if (batch === undefined) return;
    worker.inFlight.delete(answer.id);
    this.#settled(worker);
    if (answer.out === undefined) {
      // The worker could not sign: it is signed here from now on, this batch too.
      this.#check = 'failed';
      for (const job of batch.jobs) if (job.selfCheck === true) job.reject(new Error('a worker could not sign'));
      this.#queue.unshift(...batch.jobs.filter((job) => job.selfCheck !== true));
      this.#dispatch();
      return;
    }
    let at = 0;
    for (const job of batch.jobs) {
      const count = signatureCount(job);
      if (job.selfCheck !== true) this.counts.byWorkers += count;
      settle(job, answer.out, at);
      at += count * C25519_SIGNATURE_BYTES;
    }
    if (this.#queue.length > 0) this.#dispatch();
  }

  /** Lets the process exit while a worker has nothing left to answer. */
  #settled(worker: PoolWorker): void {
    if (worker.inFlight.size === 0 && worker.validation === null) worker.thread.unref();
  }

  /** A worker that failed or exited: what it held is done elsewhere; the pool goes on without it. */
  #failed(worker: PoolWorker): void {
    const index = this.#workers.indexOf(worker);
    if (index < 0) return;
    this.#workers.splice(index, 1);
    this.#takeBack(worker);
    if (this.#workers.length === 0) this.#threads = 'off';
    if (this.#threads === 'off') this.#drainInline();
    else {
      this.#dispatch();
      this.#sendValidations();
    }
  }

  /** Puts back in the queues the callers' work a worker holds (a self-check it held fails). */
  #takeBack(worker: PoolWorker): void {
    const jobs = [...worker.inFlight.values()].flatMap((batch) => batch.jobs);
    worker.inFlight.clear();
    if (worker.validation !== null) this.#validations.unshift(worker.validation.job);
    worker.validation = null;
    worker.thread.unref();
    for (const job of jobs) if (job.selfCheck === true) job.reject(new Error('the worker stopped'));
    this.#queue.unshift(...jobs.filter((job) => job.selfCheck !== true));
  }
}

/** How busy a worker is: its sign batches, and a validation counts as one more. */
const load = (worker: PoolWorker): number => worker.inFlight.size + (worker.validation === null ? 0 : 1);

/** `work()`'s result as a promise, its exception as a rejection. */
function attempt<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}
