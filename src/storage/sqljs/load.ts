/**
 * Rebuilding the in-memory database from what a persistence backend holds: the snapshot, checked,
 * with the logged changes replayed on it (docs/architecture.md, "Recovery on open"). Used at open,
 * and again whenever the engine must bring memory back in line with the disk.
 */
import type { SqlJsStatic } from 'sql.js';
import { CorruptDatabaseError, ExternalModificationError, NetconfError, NotANetconfDatabaseError } from '../../errors.js';
import { Connection, ReplayFailure } from './connection.js';
import type { SchemaManager } from './engine.js';
import { decodeStatements } from './persistence/record-codec.js';
import type { StoredState } from './persistence/types.js';

const SQLITE_HEADER = new TextEncoder().encode('SQLite format 3\0');

/** Builds the in-memory database from a snapshot plus its log; refuses damaged or foreign data. */
export function loadConnection(SQL: SqlJsStatic, state: StoredState, location: string): Connection {
  const image = state.snapshot;
  if (image && image.length > 0) {
    const header = image.subarray(0, SQLITE_HEADER.length);
    if (image.length < 100 || !header.every((b, i) => b === SQLITE_HEADER[i])) {
      throw new NotANetconfDatabaseError(`${location} is not a SQLite database`);
    }
  }
  const connection = openChecked(SQL, image, location, state.snapshotVerified === true, state.snapshotHandedOver === true);
  try {
    try {
      connection.replayAll(state.records.length, (index) => decodeStatements(state.records[index]!));
    } catch (error) {
      const index = error instanceof ReplayFailure ? error.index : 0;
      const reason = (error as Error).message;
      if (state.logMatchesSnapshot) {
        throw new CorruptDatabaseError(`${location}: logged change ${index + 1} cannot be replayed: ${reason}`, { cause: error });
      }
      throw new ExternalModificationError(
        `${location} was changed by another program after this master's last snapshot, and the ` +
          `${state.records.length} changes in its log do not apply on top of the edited file (change ${index + 1}: ${reason}). ` +
          `Nothing was changed. Either put back the file the log follows (from a backup), or move ${location}-log ` +
          `away to keep the edited file and drop those logged changes.`,
      );
    }
    return connection;
  } catch (error) {
    connection.close();
    throw error;
  }
}

/**
 * Opens the image (taking its buffer as the database file if `take`) and, unless the backend
 * verified its digest (`verified`), runs `PRAGMA quick_check`. SQLite's complaints while doing so (a damaged header, a truncated file, a malformed
 * schema) are typed: "not a database" means not ours, any other is damage.
 */
function openChecked(SQL: SqlJsStatic, image: Uint8Array | null, location: string, verified: boolean, take: boolean): Connection {
  let connection: Connection | null = null;
  let verdict: unknown;
  try {
    connection = Connection.open(SQL, image, take);
    verdict = verified ? 'ok' : connection.quickCheck();
  } catch (error) {
    connection?.close();
    const message = (error as Error).message;
    if (/not a database/i.test(message)) {
      throw new NotANetconfDatabaseError(`${location} is not a SQLite database: ${message}`, { cause: error });
    }
    throw new CorruptDatabaseError(`${location} is damaged: ${message}`, { cause: error });
  }
  if (verdict !== 'ok') {
    connection.close();
    throw new CorruptDatabaseError(`${location} is damaged: integrity check says ${String(verdict)}`);
  }
  return connection;
}

/**
 * Asks the schema manager about a loaded database. On refusal the connection is closed and the
 * error is typed: a schema manager throws typed storage errors, anything else means "not ours".
 */
export function checkSchema(connection: Connection, schema: SchemaManager, location: string): ReturnType<SchemaManager['check']> {
  try {
    return schema.check(connection.reader);
  } catch (error) {
    connection.close();
    if (error instanceof NetconfError) throw error;
    throw new NotANetconfDatabaseError(`${location} is not a netconf database: ${(error as Error).message}`, { cause: error });
  }
}
