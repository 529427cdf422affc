/**
 * The program of a signing worker thread (started by pool.ts through worker-launch.ts): it signs batches for the
 * pool (pool.ts) and validates identities, with the same functions as the calling thread
 * (c25519Sign, identityProofHolds), so its answers are those of `Identity.sign` and
 * `Identity.locallyValidate`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { C25519_SIGNATURE_BYTES, c25519Sign, writeSignatureHex } from '../c25519.js';
import { chooseMemoryHardHash } from '../memory-hard-hash.js';
import { identityProofHolds } from '../proof-of-work.js';
import { chooseSigningBackend } from './backend.js';
import type { SignRequest, WorkerAnswer, WorkerData, WorkerReady, WorkerRequest } from './worker-messages.js';

const { privateKey } = workerData as WorkerData;

function signBatch({ backend, bytes, ends, links }: SignRequest): Uint8Array {
  const ed25519 = chooseSigningBackend(backend);
  const out = new Uint8Array(C25519_SIGNATURE_BYTES * ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const link = links[i]!;
    if (link >= 0) writeSignatureHex(bytes, start + link, out.subarray((i - 1) * C25519_SIGNATURE_BYTES, i * C25519_SIGNATURE_BYTES));
    out.set(c25519Sign(privateKey, bytes.subarray(start, end), ed25519), i * C25519_SIGNATURE_BYTES);
    start = end;
  }
  return out;
}

function answer(request: WorkerRequest): WorkerAnswer {
  try {
    if (request.kind === 'validate') {
      const hash = chooseMemoryHardHash(request.memoryHardHash);
      return { id: request.id, valid: identityProofHolds(request.address, request.publicKey, hash) };
    }
    return { id: request.id, out: signBatch(request) };
  } catch (error) {
    return { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
}

parentPort!.on('message', (request: WorkerRequest) => {
  const reply = answer(request);
  parentPort!.postMessage(reply, reply.out === undefined ? [] : [reply.out.buffer as ArrayBuffer]);
});
parentPort!.postMessage({ ready: true } satisfies WorkerReady);
