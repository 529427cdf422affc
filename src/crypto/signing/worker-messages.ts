/** What the signing pool and its worker threads (worker.ts) say to each other. */
import type { MemoryHardHashName } from '../memory-hard-hash.js';
import type { SigningBackendName } from './backend.js';

/** Given to each worker once. */
export interface WorkerData {
  /** The master's 64-byte C25519 private key. */
  readonly privateKey: Uint8Array;
}

/**
 * Messages laid end to end in `bytes` (message i ends at `ends[i]`), each to be signed with
 * `backend`. A message whose `links` entry is not -1 first gets the previous message's signature
 * written into it at that offset, as hex (signPair).
 */
export interface SignRequest {
  readonly kind: 'sign';
  readonly id: number;
  readonly backend: SigningBackendName;
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;
  readonly links: Int32Array;
}

/** Whether `publicKey` proves `address` (one memory-hard hash). */
export interface ValidateRequest {
  readonly kind: 'validate';
  readonly id: number;
  readonly address: bigint;
  readonly publicKey: Uint8Array;
  readonly memoryHardHash: MemoryHardHashName;
}

export type WorkerRequest = SignRequest | ValidateRequest;

/** Sent once, when the worker has loaded and listens. */
export interface WorkerReady {
  readonly ready: true;
}

export interface WorkerAnswer {
  readonly id: number;
  /** A sign request's signatures, 96 bytes per message in order. */
  readonly out?: Uint8Array;
  /** A validate request's verdict. */
  readonly valid?: boolean;
  /** Why the request could not be answered (then neither `out` nor `valid`). */
  readonly error?: string;
}
