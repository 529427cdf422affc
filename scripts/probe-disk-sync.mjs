// How long the disk itself takes to make a small append durable, with no library code involved:
// appends 100 bytes and calls fdatasync, every 2 ms, for `seconds` (default 60), in the folder
// given (default the system's temp folder), and prints the latency's percentiles and maximum.
// The floor under every acknowledged write of file storage (docs/benchmarks.md, "File storage at
// a million members"). `node scripts/probe-disk-sync.mjs [seconds] [folder]`
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const seconds = Number(process.argv[2] ?? 60);
const dir = mkdtempSync(join(process.argv[3] ?? tmpdir(), 'disk-sync-'));
const fd = openSync(join(dir, 'log'), 'w');
const record = new Uint8Array(100).fill(7);
const samples = [];
const end = performance.now() + seconds * 1000;
let position = 0;
while (performance.now() < end) {
  const started = performance.now();
  position += writeSync(fd, record, 0, record.length, position);
  fdatasyncSync(fd);
  samples.push(performance.now() - started);
  await new Promise((resolve) => setTimeout(resolve, 2));
}
closeSync(fd);
rmSync(dir, { recursive: true, force: true });
samples.sort((a, b) => a - b);
const at = (p) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))].toFixed(1);
const over = samples.filter((ms) => ms > 100).length;
console.log(`${samples.length} appends synced: p50 ${at(50)} ms, p99 ${at(99)} ms, p99.9 ${at(99.9)} ms, max ${samples.at(-1).toFixed(1)} ms; over 100 ms: ${over}`);
