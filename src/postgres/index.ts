/**
 * zt-netconf-master/postgres (Node.js only): the master's storage on a PostgreSQL database, for
 * several master processes sharing one database. Used with `createNetconfMaster` exactly like the
 * sql.js storage:
 *
 *   const storage = await openPostgresStorage({ connectionString: 'postgres://user@host/netconf' });
 *   const master = createNetconfMaster(storage, identity);
 *   // ...
 *   await master.close();
 *   await storage.close();
 *
 * Browser bundles import the root entry and never see this (nor its driver, `pg`).
 */
export { openPostgresStorage } from '../storage/postgres/open.js';
export type { PostgresStorageOptions } from '../storage/postgres/open.js';
export type { PostgresNetconfStore } from '../storage/postgres/pg-store.js';
export { StorageContentionError, StorageUnavailableError } from '../storage/postgres/pg-errors.js';
export { POSTGRES_SCHEMA_VERSION } from '../storage/postgres/schema.js';
export { copySqliteImageToPostgres, sqliteImageFromPostgres } from '../storage/postgres/sqlite-image.js';
export type { CopyReport } from '../storage/postgres/sqlite-image.js';
