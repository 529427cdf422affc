/**
 * The sql.js store driven with plain calls, for tests that read or write it directly:
 * `await readWith(store, (reader) => reader.getNetwork(nwid))`. The master itself writes its work
 * as generators (src/master/store.ts); a test's body of plain calls is the same work in one step.
 */
import { call, type NetconfStoreReader, type NetconfStoreTx, type Synchronous, type TransactionOptions } from '../../src/master/store.js';
import type { SqlNetconfStore } from '../../src/storage/sql/sql-store.js';

export function readWith<T>(store: SqlNetconfStore, read: (reader: Synchronous<NetconfStoreReader>) => T): Promise<T> {
  return store.read(function* (reader) {
    return yield* call(read(reader));
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
