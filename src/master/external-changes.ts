/**
 * Revisions raised by another program (an operator's `sqlite3` session on the live database file):
 * the store's triggers raise them (src/storage/schema.ts, version 4) and the store reloads the
 * edited file (its generation moves). This watch finds which networks moved, by their change
 * sequence, so that the master reports them as 'change' events like its own changes.
 */
import type { MasterContext } from './context.js';
import { changeEvent } from './events.js';
import type { NetconfStore, NetconfStoreReader, NetworkRevisionChange } from './store.js';

export class ExternalChangeWatch {
  #generation: number;
  #sequence: number;
  #pending: NetworkRevisionChange[] = [];

  constructor(private readonly store: NetconfStore) {
    this.#generation = store.generation;
    this.#sequence = store.read((reader) => reader.lastChangeSequence());
  }

  /** Whether the store was reloaded since the watch last looked. */
  get stale(): boolean {
    return this.store.generation !== this.#generation;
  }

  /** Looks for networks moved by another program; call before the master's own writes. */
  notice(reader: NetconfStoreReader): void {
    if (!this.stale) return;
    this.#generation = this.store.generation;
    this.#pending.push(...reader.networksChangedSince(this.#sequence));
    this.#sequence = reader.lastChangeSequence();
  }

  /** The master's own change moved a revision: it is reported by the master, not as another's. */
  ownChange(reader: NetconfStoreReader): void {
    this.#sequence = reader.lastChangeSequence();
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
export function reportExternalChanges(context: MasterContext): void {
  const watch = context.externalChanges;
  if (watch.stale) context.store.read((reader) => watch.notice(reader));
  if (!watch.hasPending) return;
  for (const { nwid, revision } of watch.take()) {
    const refresh = () => context.store.read((reader) => reader.membersBehind(nwid, revision));
    context.events.emit('change', changeEvent({ type: 'externalChange', nwid, revision }, refresh));
  }
}
