/**
 * Typed errors shared by every layer. Each carries a stable `code` so callers can branch on it
 * without matching message text.
 */
export class NetconfError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Malformed input to a parser: identity strings, dictionaries, certificates, payloads. */
export class ParseError extends NetconfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PARSE', message, options);
  }
}

/** A caller passed a value the operation cannot accept (bad CIDR, name too long, wrong family...). */
export class InvalidArgumentError extends NetconfError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_ARGUMENT', message, options);
  }
}

/** The network, member or other object named does not exist. */
export class NotFoundError extends NetconfError {
  constructor(message: string) {
    super('ERR_NOT_FOUND', message);
  }
}

/** The change would break a uniqueness rule (an IP held twice, an address bound to another key). */
export class ConflictError extends NetconfError {
  constructor(message: string) {
    super('ERR_CONFLICT', message);
  }
}

/** A protocol limit was reached (2^24 networks per master, 65,535-byte netconf). */
export class LimitExceededError extends NetconfError {
  constructor(message: string) {
    super('ERR_LIMIT', message);
  }
}

/** Base of every storage failure; the in-memory state always matches the disk after one. */
export class StorageError extends NetconfError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Another process holds the database. */
export class DatabaseLockedError extends StorageError {
  constructor(message: string) {
    super('ERR_DB_LOCKED', message);
  }
}

/** The file is not a SQLite database, or is SQLite but not a netconf database. */
export class NotANetconfDatabaseError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_NOT_NETCONF_DB', message, options);
  }
}

/** The file is damaged beyond what recovery may repair. */
export class CorruptDatabaseError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DB_CORRUPT', message, options);
  }
}

/** The file was written by a newer version of this library. */
export class SchemaTooNewError extends StorageError {
  constructor(message: string) {
    super('ERR_SCHEMA_TOO_NEW', message);
  }
}

/** Writing to durable storage failed (full disk, I/O error); the change was rolled back. */
export class PersistenceError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_PERSISTENCE', message, options);
  }
}

/** The database file was changed by another program while this process had it open. */
export class ExternalModificationError extends StorageError {
  constructor(message: string) {
    super('ERR_EXTERNAL_MODIFICATION', message);
  }
}

/** sql.js's WebAssembly file is not where it was looked for (a bundle that did not copy it). */
export class WasmNotFoundError extends StorageError {
  /** The path or URL where the file was looked for. */
  readonly file: string;
  constructor(file: string, options?: { cause?: unknown }) {
    super(
      'ERR_WASM_NOT_FOUND',
      `sql.js's WebAssembly file is missing: ${file}. Copy it there (it ships in sql.js/dist), or pass ` +
        'the locateFile option (file name → its path or URL) or wasmBinary (its bytes) to openSqlJsStorage',
      options,
    );
    this.file = file;
  }
}

/** The storage was closed. */
export class ClosedError extends StorageError {
  constructor(message = 'storage is closed') {
    super('ERR_CLOSED', message);
  }
}
