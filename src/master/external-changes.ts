/**
 * Revisions raised by another program (an operator's `sqlite3` session on the live database file):
 * the store's triggers raise them (src/storage/schema.ts, version 4) and the store reloads the
 * edited file (its generation moves). This watch finds which networks moved, by their change
 * sequence, so that the master reports them as 'change' events like its own changes.
 */
import { changeEvent, type MasterEventEmitter } from './events.js';
import { call, type NetconfStore, type NetconfStoreReader, type NetworkRevisionChange, type StorageWork } from './store.js';

export class ExternalChangeWatch {
  #generation: number;
  /** The last change sequence seen; read from the store when the watch starts. */
  #sequence: number | Promise<number>;
  #pending: NetworkRevisionChange[] = [];

  constructor(private readonly store: NetconfStore) {
    this.#generation = store.generation;
    this.#sequence = store.read(function* (reader) {
      return yield* call(reader.lastChangeSequence());
    });
    this.#sequence.then((sequence) => {
      if (this.#sequence instanceof Promise) this.#sequence = sequence;
    }, () => {
      this.#sequence = 0; // a store that cannot be read now: every later change is reported
    });
  }

  /** Whether the store was reloaded since the watch last looked. */
  get stale(): boolean {
    return this.store.generation !== this.#generation;
  }

  /** Looks for networks moved by another program; call before the master's own writes. */
  *notice(reader: NetconfStoreReader): StorageWork<void> {
    if (!this.stale) return;
    this.#generation = this.store.generation;
    // Read at the start; a reload within the first moments (before that read answered) reports every change.
    const since = typeof this.#sequence === 'number' ? this.#sequence : 0;
    this.#pending.push(...(yield* call(reader.networksChangedSince(since))));
    this.#sequence = yield* call(reader.lastChangeSequence());
  }

  /** The master's own change moved a revision: it is reported by the master, not as another's. */
  *ownChange(reader: NetconfStoreReader): StorageWork<void> {
    this.#sequence = yield* call(reader.lastChangeSequence());
  }

  /** Whether changes were noticed and not reported yet. */
  get hasPending(): boolean {
    return this.#pending.length > 0;
  }

  /** The changes noticed and not reported yet. */
  take(): NetworkRevisionChange[] {
    const pending = this.#pending;
    this.#pending = [];
    return pending;
  }
}

/**
 * Reports the revisions another program raised (found when the store reloaded its file) as
 * 'change' events. Called after each request and administrative change: costs one comparison
 * unless the store was reloaded.
 */
/** What reporting needs of the master (a part of its context). */
export interface ExternalChangeReporting {
  readonly externalChanges: ExternalChangeWatch;
  readonly store: NetconfStore;
  readonly events: MasterEventEmitter;
}

export function reportExternalChanges(context: ExternalChangeReporting): void {
  const watch = context.externalChanges;
  if (watch.stale) {
    context.store.read((reader) => watch.notice(reader)).then(() => emitPending(context), () => {});
    return;
  }
  if (watch.hasPending) emitPending(context);
}

function emitPending(context: ExternalChangeReporting): void {
  for (const { nwid, revision } of context.externalChanges.take()) {
    const refresh = () => context.store.read(function* (reader) {
      return yield* call(reader.membersBehind(nwid, revision));
    });
    context.events.emit('change', changeEvent({ type: 'externalChange', nwid, revision }, refresh));
  }
}
