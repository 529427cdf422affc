/**
 * The sql.js store driven with plain calls, for tests that read or write it directly:
 * `await readWith(store, (reader) => reader.getNetwork(nwid))`. The master itself writes its work
 * as generators (src/master/store.ts); a test's body of plain calls is the same work in one step.
 */
import {
  call, type Awaitable, type NetconfStore, type NetconfStoreReader, type NetconfStoreTx, type Synchronous, type TransactionOptions,
} from '../../src/master/store.js';
import type { SqlNetconfStore } from '../../src/storage/sql/sql-store.js';

/** On sql.js the body may chain several calls; on any engine it makes one call and returns its answer. */
export function readWith<T>(store: SqlNetconfStore, read: (reader: Synchronous<NetconfStoreReader>) => T): Promise<T>;
export function readWith<T>(store: NetconfStore, read: (reader: NetconfStoreReader) => Awaitable<T>): Promise<T>;
export function readWith(store: NetconfStore, read: (reader: never) => unknown): Promise<unknown> {
  return store.read(function* (reader) {
    return yield* call(read(reader as never));
  });
}

export function transactWith<T>(
  store: SqlNetconfStore,
  body: (tx: Synchronous<NetconfStoreTx>) => T,
  options?: TransactionOptions,
): Promise<T> {
  return store.transaction(function* (tx) {
    return yield* call(body(tx));
  }, options);
}
