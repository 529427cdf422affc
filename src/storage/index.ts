/**
 * Opening the master's storage: sql.js with durable persistence (master.md §5), the netconf
 * schema, and the SQL implementation of the master's storage interface.
 */
import { netconfSchema } from './sql/schema.js';
import { restoreDatabaseFile as restoreWithSchema } from './sqljs/restore.js';
import { SqlNetconfStore } from './sql/sql-store.js';
import { openSqlJsEngine, type SqlJsEngineOptions } from './sqljs/open.js';

export { SqlNetconfStore } from './sql/sql-store.js';
export { CURRENT_SCHEMA_VERSION, netconfSchema } from './sql/schema.js';

export type SqlJsStorageOptions = Omit<SqlJsEngineOptions, 'schema'>;

/**
 * Opens the master's storage. In memory by default; `{ path }` (Node.js) keeps a durable SQLite
 * file, `{ indexedDb: { name } }` (browser) keeps it in IndexedDB. A database made by an older
 * version (including the 2015 reference's first schema) is migrated on open; a file that is not a
 * netconf database, or is newer than this library, is refused unchanged.
 */
export async function openSqlJsStorage(options: SqlJsStorageOptions = {}): Promise<SqlNetconfStore> {
  const engine = await openSqlJsEngine({ ...options, schema: netconfSchema });
  return new SqlNetconfStore(engine);
}

/**
 * Restores a database file (Node.js) from a backup image (`master.backup()`), after checking the
 * image is a netconf database. The master using that file must be closed first.
 */
export function restoreDatabaseFile(
  path: string,
  image: Uint8Array,
  options: Parameters<typeof restoreWithSchema>[3] = {},
): Promise<void> {
  return restoreWithSchema(path, image, netconfSchema, options);
}
