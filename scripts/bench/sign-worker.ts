/** Worker for the signing-pool measurement in scripts/bench.ts: signs what it is sent, replies with signatures. */
import { parentPort, workerData } from 'node:worker_threads';
import { Identity } from '../../src/crypto/identity.js';
import { setSigningBackend, type SigningBackendName } from '../../src/crypto/signing-backend.js';

const { identity, backend } = workerData as { identity: string; backend: SigningBackendName };
setSigningBackend(backend);
const signer = Identity.fromString(identity);
parentPort!.on('message', (batch: Uint8Array[]) => {
  parentPort!.postMessage(batch.map((message) => signer.sign(message)));
});
