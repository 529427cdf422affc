/**
 * What the master reports to its host (master.md §3, §4): committed administrative changes, with
 * the members that should be sent NETWORK_CONFIG_REFRESH, and shortages met while answering.
 */
import type { IpFamily } from '../protocol/ip.js';

export type NetworkChangeType =
  | 'networkCreated'
  | 'networkUpdated'
  | 'networkDeleted'
  | 'memberAuthorized'
  | 'memberDeauthorized'
  | 'membersAuthorized'
  | 'membersDeauthorized'
  | 'memberUpdated'
  | 'memberDeleted'
  /** Members deleted at once (member expiry, `pruneMembers`): `addresses` lists them. */
  | 'membersDeleted'
  | 'activeBridgeChanged'
  | 'ipAssignmentsChanged'
  /** Another program (an operator's `sqlite3` session) raised the revision in the database file. */
  | 'externalChange';

/** Emitted on 'change' after an administrative change is committed. */
export interface NetworkChangeEvent {
  type: NetworkChangeType;
  nwid: string;
  /** The member concerned, for member changes. */
  address?: string;
  /** The members whose state changed, for the bulk calls (`authorizeMembers`, `deauthorizeMembers`, `pruneMembers`). */
  addresses?: string[];
  /** The network's revision after the change (for a deleted network: its last revision). */
  revision: bigint;
  /**
   * Members to send NETWORK_CONFIG_REFRESH: authorized, and last reported an older revision than
   * `revision`. Read from the store when first asked for (its cost grows with the network, so the
   * change itself does not pay it), then kept.
   */
  refresh(): Promise<string[]>;
}

/** A change event whose `refresh` list is read on first call, then kept. */
export function changeEvent(
  fields: Omit<NetworkChangeEvent, 'refresh'>,
  refresh: () => Promise<string[]>,
): NetworkChangeEvent {
  let list: Promise<string[]> | undefined;
  return { ...fields, refresh: () => (list ??= refresh()) };
}

/**
 * Emitted on 'warning' when a network gets multicast rates for particular groups: 2015 nodes
 * misread every rate key but the default's (their parser repeats the key's first hex digit as the
 * MAC and takes ADI 0), so per-group rates collide and may override the default on those nodes.
 */
export interface PerGroupMulticastRatesEvent {
  type: 'perGroupMulticastRates';
  nwid: string;
  message: string;
}

/** Emitted on 'warning' when a member got a config without the address its assign mode asks for. */
export interface IpPoolExhaustedEvent {
  type: 'ipPoolExhausted';
  nwid: string;
  address: string;
  family: IpFamily;
  message: string;
}

export interface MasterEvents {
  change: NetworkChangeEvent;
  warning: IpPoolExhaustedEvent | PerGroupMulticastRatesEvent;
}

export type MasterEventName = keyof MasterEvents;
export type MasterListener<E extends MasterEventName> = (event: MasterEvents[E]) => void;

/**
 * A minimal typed emitter that works the same in browsers and Node.js. A listener that throws does
 * not disturb the master or other listeners; its error is rethrown asynchronously so it still
 * surfaces as an uncaught error.
 */
export class MasterEventEmitter {
  readonly #listeners: { [E in MasterEventName]: Set<MasterListener<E>> } = {
    change: new Set(),
    warning: new Set(),
  };

  on<E extends MasterEventName>(event: E, listener: MasterListener<E>): void {
    this.#set(event).add(listener);
  }

  off<E extends MasterEventName>(event: E, listener: MasterListener<E>): void {
    this.#set(event).delete(listener);
  }

  emit<E extends MasterEventName>(event: E, payload: MasterEvents[E]): void {
    for (const listener of [...this.#set(event)]) {
      try {
        listener(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  #set<E extends MasterEventName>(event: E): Set<MasterListener<E>> {
    const set = this.#listeners[event] as Set<MasterListener<E>> | undefined;
    if (set === undefined) throw new TypeError(`unknown master event ${JSON.stringify(event)}`);
    return set;
  }
}
