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
  | 'memberUpdated'
  | 'memberDeleted'
  | 'activeBridgeChanged'
  | 'ipAssignmentsChanged';

/** Emitted on 'change' after an administrative change is committed. */
export interface NetworkChangeEvent {
  type: NetworkChangeType;
  nwid: string;
  /** The member concerned, for member changes. */
  address?: string;
  /** The network's revision after the change (for a deleted network: its last revision). */
  revision: bigint;
  /** Members to send NETWORK_CONFIG_REFRESH: authorized, and last reported an older revision. */
  refresh: string[];
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
  warning: IpPoolExhaustedEvent;
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
