/**
 * Signed netconfs by member and network revision (master.md §1 step 7), in memory and in the store.
 * A repeated request at an unchanged revision is answered from memory without reading and parsing
 * the stored bytes; an entry made at an older revision is never served.
 *
 * A fresh netconf is signed after its request's transaction commits, so it reaches the cache later:
 * `ticket()` is taken inside the transaction and `keep` drops the netconf when the state it was
 * made from may have been replaced meanwhile (the store's generation moved, or a network was
 * created or deleted, which may bring an ID back at an old revision).
 */
import type { Dictionary } from '../protocol/dictionary.js';
import { generationCheck } from './generation.js';
import type { CachedNetconf, NetconfStore } from './store.js';

const MAX_ENTRIES = 65_536;

export class NetconfCache {
  readonly #networks = new Map<string, Map<string, { revision: bigint; netconf: Dictionary }>>();
  #size = 0;
  /** Moves whenever entries are dropped for a reason other than their revision. */
  #epoch = 0;
  readonly #checkGeneration: () => void;

  constructor(private readonly store: NetconfStore) {
    this.#checkGeneration = generationCheck(() => store.generation, () => this.clear());
  }

  get(nwid: string, address: string, revision: bigint): Dictionary | undefined {
    this.#checkGeneration();
    const entry = this.#networks.get(nwid)?.get(address);
    return entry !== undefined && entry.revision === revision ? entry.netconf.clone() : undefined;
  }

  /** Keeps in memory a netconf read from the store. */
  set(nwid: string, address: string, revision: bigint, netconf: Dictionary): void {
    this.#checkGeneration();
    if (this.#size >= MAX_ENTRIES) this.#dropEntries();
    let members = this.#networks.get(nwid);
    if (members === undefined) this.#networks.set(nwid, (members = new Map()));
    if (!members.has(address)) this.#size++;
    members.set(address, { revision, netconf: netconf.clone() });
  }

  /** Taken inside the transaction that read the state a fresh netconf is made from. */
  ticket(): number {
    this.#checkGeneration();
    return this.#epoch;
  }

  /** Keeps a freshly signed netconf in memory and in the store, unless its ticket is stale. */
  keep(ticket: number, nwid: string, address: string, netconf: Dictionary, stored: CachedNetconf): void {
    if (this.ticket() !== ticket) return;
    this.set(nwid, address, stored.revision, netconf);
    this.store.cacheNetconf(nwid, address, stored);
  }

  /** A network created or deleted may come back under the same ID and revision. */
  forget(nwid: string): void {
    this.#size -= this.#networks.get(nwid)?.size ?? 0;
    this.#networks.delete(nwid);
    this.#epoch++;
  }

  clear(): void {
    this.#dropEntries();
    this.#epoch++;
  }

  #dropEntries(): void {
    this.#networks.clear();
    this.#size = 0;
  }
}
