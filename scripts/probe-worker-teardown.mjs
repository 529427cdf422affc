// Does a helper that frees a large amount of memory stall this process's event loop?
// A worker thread shares the process's address space, so the kernel tears its pages down under the
// process's memory-map lock, which this thread needs too whenever it touches a page for the first
// time; a child process has an address space of its own. This probe measures the longest event-loop
// lag on this thread (which keeps allocating, as a serving thread does) while a worker thread, then a
// child process, touches `--touch` MB and exits. Not part of `npm run bench`: a lead, not a target
// (docs/benchmarks.md, "File storage at a million members").
//
//   node scripts/probe-worker-teardown.mjs [--touch 1280] [--rounds 3]
import { fork } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const { values } = parseArgs({ options: { touch: { type: 'string', default: '1280' }, rounds: { type: 'string', default: '3' } } });
const touchMb = Number(values.touch);
const rounds = Number(values.rounds);

const helperBody = `
const bytes = new Uint8Array(${touchMb} * 1024 * 1024);
for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 1;
`;

/** Longest lag of a 1 ms interval (ms) while `during` runs, and for a second after it ends. */
async function longestLag(during) {
  const junk = [];
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
    junk.push(new Uint8Array(256 * 1024).fill(1));
    if (junk.length > 200) junk.splice(0, 100);
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  worst = 0;
  await during();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  clearInterval(timer);
  return worst;
}

async function viaWorker() {
  const worker = new Worker(`${helperBody}\nrequire('node:worker_threads').parentPort.postMessage('touched');`, { eval: true });
  await new Promise((resolve) => worker.once('message', resolve));
  await new Promise((resolve) => worker.once('exit', resolve));
}

const folder = mkdtempSync(join(tmpdir(), 'teardown-'));
const childPath = join(folder, 'child.cjs');
writeFileSync(childPath, `${helperBody}\nprocess.send('touched', () => process.exit(0));`);
async function viaChild() {
  const child = fork(childPath);
  await new Promise((resolve) => child.once('message', resolve));
  await new Promise((resolve) => child.once('exit', resolve));
}

try {
  console.log(`a helper touches ${touchMb} MB and exits; longest event-loop lag here (ms), ${rounds} rounds:`);
  for (let round = 0; round < rounds; round++) {
    const worker = await longestLag(viaWorker);
    const child = await longestLag(viaChild);
    console.log(`  worker thread ${worker.toFixed(1).padStart(6)}   child process ${child.toFixed(1).padStart(6)}`);
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
