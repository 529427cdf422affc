/**
 * Signed netconfs kept in memory by member and network revision, beside the copy the store keeps
 * (master.md §1 step 7): a repeated request at an unchanged revision is answered without reading
 * and parsing the stored bytes. The same rule as the stored copy applies: an entry made at an
 * older revision is never served. Callers get a copy, since a Dictionary can be changed.
 */
import type { Dictionary } from '../protocol/dictionary.js';
import { generationCheck } from './generation.js';

const MAX_ENTRIES = 65_536;

export class NetconfCache {
  readonly #networks = new Map<string, Map<string, { revision: bigint; netconf: Dictionary }>>();
  #size = 0;
  readonly #checkGeneration: () => void;

  /** `generation` is the store's (see NetconfStore.generation): when it moves, everything is dropped. */
  constructor(generation: () => number) {
    this.#checkGeneration = generationCheck(generation, () => this.clear());
  }

  get(nwid: string, address: string, revision: bigint): Dictionary | undefined {
    this.#checkGeneration();
    const entry = this.#networks.get(nwid)?.get(address);
    return entry !== undefined && entry.revision === revision ? entry.netconf.clone() : undefined;
  }

  set(nwid: string, address: string, revision: bigint, netconf: Dictionary): void {
    this.#checkGeneration();
    if (this.#size >= MAX_ENTRIES) this.clear();
    let members = this.#networks.get(nwid);
    if (members === undefined) this.#networks.set(nwid, (members = new Map()));
    if (!members.has(address)) this.#size++;
    members.set(address, { revision, netconf: netconf.clone() });
  }

  /** A network created or deleted may come back under the same ID and revision. */
  forget(nwid: string): void {
    this.#size -= this.#networks.get(nwid)?.size ?? 0;
    this.#networks.delete(nwid);
  }

  clear(): void {
    this.#networks.clear();
    this.#size = 0;
  }

}
