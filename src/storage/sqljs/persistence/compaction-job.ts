/**
 * The serving process's side of snapshot builds: a spawner child process (compaction-spawner.ts),
 * started once and kept while the database is open, starts a builder process (compaction-child.ts)
 * per build. Found by URL beside this module (process-launch.ts): the `.js` files in the built
 * package, the `.ts` sources under tsx (the tests). Where they are not there (the library bundled
 * into one file) no build can start, and snapshots are made on the calling thread, as for small
 * databases.
 */
import type { ChildProcess } from 'node:child_process';
import { findProcessModule, type ProcessStarter } from '../../../process-launch.js';
import type { CompactionReply, CompactionRequest, SpawnerReply, SpawnerRequest } from './compaction-messages.js';

/** A running compaction: its reply, and a way to stop it (the reply then rejects). */
export interface CompactionJob {
  readonly reply: Promise<Extract<CompactionReply, { ok: true }>>;
  stop(): Promise<void>;
}

interface Spawner {
  readonly child: ChildProcess;
  ready: boolean;
  /** Builds waiting for their reply, by ID. */
  readonly pending: Map<number, (reply: CompactionReply) => void>;
  /** Requests sent once the spawner said it is ready. */
  readonly queued: SpawnerRequest[];
}

/** One database's snapshot builders. Idle, the spawner keeps nothing alive; `close()` ends it. */
export class SnapshotBuilders {
  private readonly start: ProcessStarter | null = findProcessModule(import.meta.url, 'compaction-spawner');
  private spawner: Spawner | null = null;
  private nextId = 1;

  /**
   * Starts the spawner now if it is not running: called while this process is still small (before
   * a large database is loaded), its fork is cheap; later it would stall this thread.
   */
  warmUp(): void {
    if (this.start !== null && this.spawner === null) this.spawner = this.startSpawner(this.start);
  }

  /** Starts building the next snapshot, or returns null when no build can start here. */
  build(request: CompactionRequest): CompactionJob | null {
    this.warmUp();
    const spawner = this.spawner;
    if (spawner === null) return null;
    const id = this.nextId++;
    let stopped = false;
    const reply = new Promise<Extract<CompactionReply, { ok: true }>>((resolve, reject) => {
      spawner.pending.set(id, (message) => {
        if (message.ok) resolve(message);
        else reject(new Error(stopped ? 'snapshot builder stopped' : `snapshot builder: ${message.message}`));
      });
    });
    this.send(spawner, { kind: 'build', id, request });
    this.holdOpen(spawner);
    return {
      reply,
      stop: async () => {
        stopped = true;
        if (!spawner.pending.has(id)) return;
        this.send(spawner, { kind: 'stop', id });
        await reply.catch(() => {});
      },
    };
  }

  /** Ends the spawner; it kills the builders it started. */
  close(): void {
    const spawner = this.spawner;
    this.spawner = null;
    if (spawner !== null && spawner.child.connected) spawner.child.disconnect();
  }

  private startSpawner(start: ProcessStarter): Spawner {
    const spawner: Spawner = { child: start([]), ready: false, pending: new Map(), queued: [] };
    const { child } = spawner;
    child.on('message', (message: SpawnerReply | 'ready') => {
      if (message === 'ready') {
        spawner.ready = true;
        for (const request of spawner.queued.splice(0)) this.send(spawner, request);
        return;
      }
      const settle = spawner.pending.get(message.id);
      spawner.pending.delete(message.id);
      this.holdOpen(spawner);
      settle?.(message.reply);
    });
    child.on('error', (error) => this.drop(spawner, `its spawner failed: ${error.message}`));
    child.once('exit', (code, signal) => this.drop(spawner, `its spawner exited with ${signal ?? `code ${code}`}`));
    this.holdOpen(spawner);
    return spawner;
  }

  /** A spawner that failed or ended: its builds fail, and the next build starts another. */
  private drop(spawner: Spawner, why: string): void {
    if (this.spawner === spawner) this.spawner = null;
    for (const settle of spawner.pending.values()) settle({ ok: false, message: why });
    spawner.pending.clear();
    spawner.queued.length = 0;
    if (spawner.child.exitCode === null && spawner.child.signalCode === null) spawner.child.kill('SIGKILL');
  }

  private send(spawner: Spawner, request: SpawnerRequest): void {
    if (!spawner.ready) spawner.queued.push(request);
    else spawner.child.send(request, (error) => error && this.drop(spawner, `its spawner could not be told: ${error.message}`));
  }

  /** While a build is pending, the spawner keeps this process alive (its reply is awaited); idle, it does not. */
  private holdOpen(spawner: Spawner): void {
    const busy = spawner.pending.size > 0;
    for (const handle of [spawner.child, spawner.child.channel]) {
      if (busy) handle?.ref();
      else handle?.unref();
    }
  }
}
