/**
 * The program of the builders' spawner: a small child process of the serving one that starts each
 * snapshot builder (compaction-child.ts) and passes its reply on. Starting a process from the
 * serving process itself costs a fork of its whole address space (30–40 ms of its thread at a
 * million members); from this process, which stays small, it costs next to nothing.
 *
 * It lives as long as its parent: when the parent's IPC channel closes (the parent closed the
 * database, exited, or was killed with kill -9) it kills its builders and exits. A builder checks
 * its own channel too, so it stops even if this process is killed.
 */
import { findProcessModule } from '../../../process-launch.js';
import type { CompactionReply, SpawnerReply, SpawnerRequest } from './compaction-messages.js';
import type { ChildProcess } from 'node:child_process';

const startBuilder = findProcessModule(import.meta.url, 'compaction-child');
const builders = new Map<number, ChildProcess>();

/** Sends to the parent; a parent already gone is no error here (the 'disconnect' handler ends this process). */
function tell(message: SpawnerReply | 'ready'): void {
  if (process.connected) process.send!(message, () => {});
}

function answer(id: number, reply: CompactionReply): void {
  if (builders.delete(id)) tell({ id, reply });
}

function build(id: number, request: SpawnerRequest & { kind: 'build' }): void {
  if (startBuilder === null) {
    tell({ id, reply: { ok: false, message: 'the snapshot builder module is missing' } });
    return;
  }
  const builder = startBuilder([JSON.stringify(request.request)]);
  builders.set(id, builder);
  builder.once('message', (reply: CompactionReply) => answer(id, reply));
  builder.once('error', (error) => answer(id, { ok: false, message: error.message }));
  builder.once('exit', (code, signal) => answer(id, { ok: false, message: `the builder exited with ${signal ?? `code ${code}`} before it replied` }));
}

process.on('message', (message: SpawnerRequest) => {
  if (message.kind === 'build') build(message.id, message);
  else builders.get(message.id)?.kill('SIGKILL');
});

process.once('disconnect', () => {
  for (const builder of builders.values()) builder.kill('SIGKILL');
  process.exit(0);
});

// Ready: the parent sends builds only once it has heard this, so none arrives before the listener.
tell('ready');
