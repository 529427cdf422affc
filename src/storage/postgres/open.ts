/**
 * `openPostgresStorage`: the netconf storage on a PostgreSQL database (Node.js only), used with
 * `createNetconfMaster` exactly like the sql.js storage. Creates or migrates the schema on open.
 */
import pg from 'pg';
import { InvalidArgumentError, NetconfError, StorageError } from '../../errors.js';
import { PostgresNetconfStore } from './pg-store.js';
import { ensurePostgresSchema } from './schema.js';

export interface PostgresStorageOptions {
  /** Any connection string node-postgres accepts (a unix socket folder as `?host=/path`). */
  connectionString?: string;
  /** An existing pool to use instead (the storage does not end it on close). */
  pool?: pg.Pool;
  /** Connections in the pool this storage opens (default 10). */
  maxConnections?: number;
}

export async function openPostgresStorage(options: PostgresStorageOptions): Promise<PostgresNetconfStore> {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError('openPostgresStorage needs options');
  const { connectionString, pool: given } = options;
  if ((connectionString === undefined) === (given === undefined)) {
    throw new InvalidArgumentError('openPostgresStorage needs exactly one of connectionString and pool');
  }
  if (connectionString !== undefined && typeof connectionString !== 'string') {
    throw new InvalidArgumentError('connectionString must be a string');
  }
  const pool =
    given ??
    new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 10,
      // Idle connections must not keep the process alive once the master is done.
      allowExitOnIdle: true,
    });
  const store = new PostgresNetconfStore(pool, given === undefined);
  try {
    await store.withClient((client) => ensurePostgresSchema(client));
    await store.start();
  } catch (error) {
    await store.close().catch(() => {});
    if (error instanceof NetconfError) throw error;
    throw new StorageError('ERR_STORAGE', `cannot open the PostgreSQL storage: ${(error as Error)?.message ?? error}`, { cause: error });
  }
  return store;
}
