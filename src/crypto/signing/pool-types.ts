/**
 * What a signing pool offers and is built from: the interface both pools (worker threads,
 * WebCrypto) implement, their options and their counters.
 */
import type { Identity } from '../identity.js';
import type { MemoryHardHashChoice } from '../memory-hard-hash.js';
import type { SigningBackendChoice } from './backend.js';

export interface SigningPoolOptions {
  /**
   * Worker threads (default: the number of cores minus one, at least 1, at most 4). 0 signs and
   * validates everything on the calling thread.
   */
  workers?: number;
  /**
   * WebCrypto's Ed25519 (see webcrypto.ts): `auto` (default) where there are no worker threads, as
   * in browsers; `always` instead of worker threads; `never`.
   */
  webCrypto?: 'auto' | 'always' | 'never';
  /**
   * The Ed25519 backend, on the calling thread and in the workers (default `auto`). `noble` also
   * keeps WebCrypto out: every signature is made by JavaScript.
   */
  backend?: SigningBackendChoice;
  /**
   * The memory-hard hash that validates identities (default `auto`). A function of your own runs
   * on the calling thread; a name runs on the workers.
   */
  memoryHardHash?: MemoryHardHashChoice;
}

/** Where the signatures of a pool were made. */
export interface SigningCounts {
  byWorkers: number;
  byWebCrypto: number;
  inline: number;
}

/** Where the identity validations of a pool were made. */
export interface ValidationCounts {
  byWorkers: number;
  inline: number;
}

export interface SignOptions {
  /**
   * The caller knows that nothing else will be asked of the pool before this is answered (the
   * master: it is the one request in progress). A lone signature is made on the calling thread;
   * told so, the pool makes it at once instead of waiting for the turn of the event loop that
   * would show it alone.
   */
  alone?: boolean;
}

export interface SigningPool {
  /**
   * The identity's 96-byte C25519 signature of `message`. Signatures asked for in one turn of the
   * event loop travel together; one that is alone (nothing else waiting, no worker signing) is
   * made on the calling thread, at once when `options.alone` says so.
   */
  sign(message: Uint8Array, options?: SignOptions): Promise<Uint8Array>;
  /**
   * Signs `first`, writes that signature's 192 hex digits into `second` at `firstSignatureAt`, then
   * signs `second`: a certificate and the signed text that carries it, in one trip to a worker.
   * Resolves to both signatures; `second` then holds the digits.
   */
  signPair(first: Uint8Array, second: Uint8Array, firstSignatureAt: number, options?: SignOptions): Promise<[Uint8Array, Uint8Array]>;
  /**
   * Whether `identity`'s proof of work holds (`Identity.locallyValidate`, the same verdict), worked
   * out on a worker thread where there is one, so that the calling thread stays free.
   */
  validateIdentity(identity: Identity): Promise<boolean>;
  /** Where the signatures so far were made. */
  readonly counts: Readonly<SigningCounts>;
  /** Where the identity validations so far were made. */
  readonly validationCounts: Readonly<ValidationCounts>;
  /** Stops the workers; later signatures and validations are made on the calling thread. */
  close(): Promise<void>;
}
