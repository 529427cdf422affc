/** The typed errors of the PostgreSQL storage, and which driver errors mean "the server is gone". */
import { StorageError } from '../../errors.js';

/** The server could not be reached, or went away: SQLSTATE classes 08 and 57P, and socket errors. */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') {
    return error instanceof Error && /Connection terminated|connect|ECONN|EPIPE|not queryable/i.test(error.message);
  }
  return code.startsWith('08') || code.startsWith('57P') || code === 'ECONNREFUSED' || code === 'ECONNRESET' ||
    code === 'ENOENT' || code === 'EPIPE' || code === 'ETIMEDOUT';
}

/** The database server cannot be reached; the call changed nothing that was acknowledged. */
export class StorageUnavailableError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORAGE_UNAVAILABLE', message, options);
  }
}

/** Concurrent writers kept cancelling this transaction; nothing of it was committed. */
export class StorageContentionError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORAGE_CONTENTION', message, options);
  }
}
