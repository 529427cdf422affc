// Median milliseconds per memory-hard hash (protocol.md §2): JavaScript vs WebAssembly.
// Usage: npx tsx scripts/bench-memhash.ts [runs]
import { randomBytes } from '@noble/hashes/utils.js';
import { memoryHardHashJs, type MemoryHardHashFunction } from '../src/crypto/memory-hard-hash-js.js';
import { memoryHardHashWasm } from '../src/crypto/memory-hard-hash-wasm.js';

const runs = Number(process.argv[2] ?? 40);
const WARMUP_RUNS = 5;

function medianMilliseconds(hash: MemoryHardHashFunction): { median: number; min: number } {
  for (let i = 0; i < WARMUP_RUNS; i++) hash(randomBytes(64));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const publicKey = randomBytes(64);
    const start = performance.now();
    hash(publicKey);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]! };
}

for (const [name, hash] of [['javascript', memoryHardHashJs], ['webassembly', memoryHardHashWasm]] as const) {
  const { median, min } = medianMilliseconds(hash);
  console.log(`${name.padEnd(12)} median ${median.toFixed(2)} ms  min ${min.toFixed(2)} ms  (${runs} runs)`);
}
