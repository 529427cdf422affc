/**
 * The one owner of signed netconfs (master.md §1 step 7). A member's netconf is kept with the
 * network revision it was made at, in memory (parsed, so a repeated request neither reads nor parses
 * anything) and in the store (`NetconfStore.cacheNetconf`: the member row, written in the store's next
 * batch, read back after a restart or when memory has let it go).
 *
 * The rule: a netconf is served only at the revision it was made at, and only in the store
 * generation it was made in. The generation (`NetconfStore.generation`) moves whenever a revision
 * could come back with other contents: a network or member deleted (its ID may return at a revision
 * already used), the stored state reloaded after another program's edit or rolled back after a
 * failed write. When it moves, memory is emptied, a netconf signed from the earlier state is not kept,
 * and the store does not write what it was given in the earlier generation.
 */
import { Dictionary } from '../protocol/dictionary.js';
import { generationCheck } from './generation.js';
import { call, type CachedNetconf, type NetconfStore, type NetconfStoreReader, type StorageWork } from './store.js';

const MAX_ENTRIES = 65_536;

export class NetconfCache {
  readonly #networks = new Map<string, Map<string, { revision: bigint; netconf: Dictionary }>>();
  #size = 0;
  readonly #checkGeneration: () => void;

  constructor(private readonly store: NetconfStore) {
    this.#checkGeneration = generationCheck(() => store.generation, () => this.#clear());
  }

  /**
   * The member's netconf made at `revision` (the network's current one) if memory holds it. A copy:
   * its holder may change it. A miss is answered by `load`.
   */
  get(nwid: string, address: string, revision: bigint): Dictionary | undefined {
    this.#checkGeneration();
    const entry = this.#networks.get(nwid)?.get(address);
    return entry !== undefined && entry.revision === revision ? entry.netconf.clone() : undefined;
  }

  /**
   * After a miss in memory: the member's netconf made at `revision` from the store, when its member
   * row says it holds one made at that revision (`storedRevision`, MemberStatus.cachedNetconfRevision);
   * then kept in memory.
   */
  *load(reader: NetconfStoreReader, nwid: string, address: string, revision: bigint, storedRevision: bigint | null): StorageWork<Dictionary | undefined> {
    if (storedRevision !== revision) return undefined;
    const stored = yield* call(reader.getCachedNetconf(nwid, address, revision));
    if (stored === undefined) return undefined;
    const netconf = Dictionary.parse(stored.bytes);
    this.#remember(nwid, address, revision, netconf);
    return netconf;
  }

  /**
   * Keeps a netconf signed after the transaction that made it, in memory and in the store, unless
   * the generation moved since that transaction (`generation`: the store's, read inside it).
   */
  keep(generation: number, nwid: string, address: string, netconf: Dictionary, stored: CachedNetconf): void {
    this.#checkGeneration();
    if (this.store.generation !== generation) return;
    this.#remember(nwid, address, stored.revision, netconf);
    this.store.cacheNetconf(nwid, address, stored);
  }

  #remember(nwid: string, address: string, revision: bigint, netconf: Dictionary): void {
    if (this.#size >= MAX_ENTRIES) this.#clear();
    let members = this.#networks.get(nwid);
    if (members === undefined) this.#networks.set(nwid, (members = new Map()));
    if (!members.has(address)) this.#size++;
    members.set(address, { revision, netconf: netconf.clone() });
  }

  #clear(): void {
    this.#networks.clear();
    this.#size = 0;
  }
}
