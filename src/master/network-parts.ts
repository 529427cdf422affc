/**
 * The per-network parts of a netconf, kept in memory by network revision: the network's row and
 * the template of its entries (from the row, Ethernet types, multicast rates and active bridges).
 * Only administrative changes alter them, and every such change raises the revision (master.md
 * §4), so an entry made at the current revision in the store's current generation is current (the
 * generation moves when a network is deleted: its ID may come back at revision 1). A fresh netconf
 * then reads only the member's own rows.
 */
import { NetconfTemplate } from '../protocol/netconf-template.js';
import { generationCheck } from './generation.js';
import { formatCidr, formatIp } from '../protocol/ip.js';
import { call, type ManagedRoute, type NetconfStoreReader, type NetworkRow, type StorageWork } from './store.js';

export interface NetworkParts {
  readonly network: NetworkRow;
  /** The managed routes (they set the prefix lengths of members' addresses). */
  readonly routes: readonly ManagedRoute[];
  /** Every member's netconf at this revision, but for the member's own entries. */
  readonly template: NetconfTemplate;
}

const MAX_NETWORKS = 65_536;

export class NetworkPartsCache {
  readonly #entries = new Map<string, { revision: bigint; parts: NetworkParts }>();
  readonly #checkGeneration: () => void;

  /** `generation` is the store's (see NetconfStore.generation): when it moves, everything is dropped. */
  constructor(generation: () => number) {
    this.#checkGeneration = generationCheck(generation, () => this.#entries.clear());
  }

  /** The parts of network `nwid` at `revision`, which must be its current revision in `reader`. */
  *get(reader: NetconfStoreReader, nwid: string, revision: bigint): StorageWork<NetworkParts> {
    this.#checkGeneration();
    const entry = this.#entries.get(nwid);
    if (entry !== undefined && entry.revision === revision) return entry.parts;
    const network = yield* call(reader.getNetwork(nwid));
    if (network === undefined || network.revision !== revision) {
      throw new Error(`network ${nwid} is not at revision ${revision}`); // a caller's mistake
    }
    const allowedEtherTypes = yield* call(reader.getAcceptedEtherTypes(network.id));
    const multicastRates = yield* call(reader.getMulticastRates(network.id));
    const activeBridges = yield* call(reader.activeBridges(network.id));
    const routes = yield* call(reader.getRoutes(network.id));
    const template = new NetconfTemplate({
      networkId: network.id,
      revision: network.revision,
      isPrivate: network.private,
      name: network.name,
      description: network.description,
      enableBroadcast: network.enableBroadcast,
      allowPassiveBridging: network.allowPassiveBridging,
      allowedEtherTypes,
      multicastLimit: network.multicastLimit,
      multicastRates,
      activeBridges,
      mtu: network.mtu,
      routes: routes.map((route) => ({
        target: formatCidr(route.target),
        via: route.via === null ? null : formatIp(route.via.family, route.via.address),
      })),
      dns: {
        domain: network.dnsDomain,
        servers: network.dnsServers.map((server) => formatIp(server.family, server.address)),
      },
    });
    const parts: NetworkParts = { network, routes, template };
    this.#entries.delete(network.id);
    if (this.#entries.size >= MAX_NETWORKS) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(network.id, { revision: network.revision, parts });
    return parts;
  }
}
