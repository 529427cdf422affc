/**
 * The thin sql.js layer under the durable engine: one in-memory database with its prepared
 * statements cached by SQL text, readers, and write transactions that record the statements they
 * ran (docs/architecture.md, "Persistence"). It knows nothing of files or logs.
 */
import type { Database, SqlJsStatic, Statement } from 'sql.js';
import type { SqlParams, SqlReader, SqlRow, SqlValue, SqlWriter } from './engine.js';
import { InvalidArgumentError } from '../../errors.js';
import type { RecordedStatement } from './persistence/record-codec.js';
import { withRoomToGrow } from './room-to-grow.js';

const STATEMENT_CACHE_LIMIT = 256;

type BindValues = (number | string | Uint8Array | null)[];

/** What a committed write transaction leaves: its result and the statements to make durable. */
export interface CommittedTransaction<T> {
  readonly result: T;
  readonly statements: RecordedStatement[];
  /** The callback asked for a durable sync even though its write was deferred. */
  readonly durable: boolean;
  /** When its first write began (`performance.now()`), or null when it only read. */
  readonly begunAt: number | null;
}

/** Prepared statements by SQL text. sql.js frees them all in export(), so the cache is cleared first. */
class StatementCache {
  private readonly statements = new Map<string, Statement>();
  private readonly columnNames = new WeakMap<Statement, string[]>();
  constructor(private readonly db: Database) {}

  /** A statement's column names, asked of SQLite once: sql.js's getAsObject asks again for every row. */
  columnsOf(statement: Statement): string[] {
    let names = this.columnNames.get(statement);
    if (names === undefined) this.columnNames.set(statement, (names = statement.getColumnNames()));
    return names;
  }

  get(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement) {
      this.statements.delete(sql);
      this.statements.set(sql, statement);
      return statement;
    }
    statement = this.db.prepare(sql);
    this.statements.set(sql, statement);
    if (this.statements.size > STATEMENT_CACHE_LIMIT) {
      const [oldestSql, oldest] = this.statements.entries().next().value as [string, Statement];
      this.statements.delete(oldestSql);
      oldest.free();
    }
    return statement;
  }

  /** Forgets every statement (freeing them unless the database already did). */
  clear(free = true): void {
    if (free) for (const statement of this.statements.values()) statement.free();
    this.statements.clear();
  }
}

/**
 * sql.js keeps its database file in an in-memory file system, so a rollback journal there is pure
 * overhead (a file created, written and deleted per transaction): keep the journal in memory
 * instead. Durability comes from the persistence layer, never from SQLite's own syncs. These
 * settings belong to the connection, and sql.js reopens the connection in export().
 */
function tune(db: Database): void {
  db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY');
}

function readerFor(cache: StatementCache): SqlReader {
  const rows = <T extends SqlRow>(sql: string, params: SqlParams, limit: number): T[] => {
    const statement = cache.get(sql);
    const out: T[] = [];
    try {
      statement.bind(params as unknown[] as BindValues);
      const names = cache.columnsOf(statement);
      while (out.length < limit && statement.step()) {
        const values = statement.get();
        const row: SqlRow = {};
        for (let i = 0; i < names.length; i++) row[names[i]!] = values[i] as SqlValue;
        out.push(row as T);
      }
    } finally {
      statement.reset();
    }
    return out;
  };
  return {
    get: <T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []): T | undefined => rows<T>(sql, params, 1)[0],
    all: <T extends SqlRow = SqlRow>(sql: string, params: SqlParams = []) => rows<T>(sql, params, Infinity),
  };
}

/**
 * What a write callback writes through. The SQLite transaction starts at the first write: a
 * callback that only reads (a repeated request) costs no BEGIN/COMMIT, and nothing can run
 * between its reads, so they are consistent.
 */
class TransactionWriter implements SqlWriter {
  readonly statements: RecordedStatement[] = [];
  /** When the first write began the SQLite transaction; null while the callback has only read. */
  begunAt: number | null = null;
  durable = false;

  constructor(
    private readonly connection: Connection,
    private readonly beforeFirstWrite: () => void,
  ) {}

  get<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): T | undefined {
    return this.connection.reader.get<T>(sql, params);
  }

  all<T extends SqlRow = SqlRow>(sql: string, params?: SqlParams): T[] {
    return this.connection.reader.all<T>(sql, params);
  }

  run(sql: string, params: SqlParams = []): { changes: number } {
    if (this.begunAt === null) {
      this.beforeFirstWrite();
      const begunAt = performance.now();
      this.connection.control('BEGIN');
      this.begunAt = begunAt;
    }
    const changes = this.connection.execute(sql, params);
    this.statements.push({ sql, params });
    return { changes };
  }

  requireDurable(): void {
    this.durable = true;
  }
}

/** A logged transaction that could not be replayed: its position, and SQLite's complaint as the cause. */
export class ReplayFailure extends Error {
  constructor(
    readonly index: number,
    cause: unknown,
  ) {
    super((cause as Error)?.message ?? String(cause), { cause });
  }
}

/** One sql.js database, its statement cache and its reader; `close()` frees all of them. */
export class Connection {
  /** Reads against the current state (prepared statements from the cache). */
  readonly reader: SqlReader;
  private readonly cache: StatementCache;
  private inTransaction = false;

  private constructor(private readonly db: Database) {
    this.cache = new StatementCache(db);
    this.reader = readerFor(this.cache);
  }

  /**
   * A database from an image (null or empty: a new database), tuned for an in-memory file that
   * starts with room to grow (room-to-grow.ts). With `take`, the image's buffer becomes the file.
   */
  static open(SQL: SqlJsStatic, image: Uint8Array | null, take = false): Connection {
    const db = image && image.length > 0 ? new SQL.Database(withRoomToGrow(image, { take })) : new SQL.Database();
    try {
      tune(db);
    } catch (error) {
      db.close();
      throw error;
    }
    return new Connection(db);
  }

  /** True while a write callback runs. */
  get writing(): boolean {
    return this.inTransaction;
  }

  /** `PRAGMA quick_check`'s verdict: 'ok' for an intact database. */
  quickCheck(): unknown {
    return this.db.exec('PRAGMA quick_check')[0]?.values[0]?.[0];
  }

  /**
   * Replays `count` recorded transactions in order as one transaction, all or nothing: at open
   * this writes each touched page once, not once per logged transaction. A failure names the
   * transaction that failed (`ReplayFailure.index`).
   */
  replayAll(count: number, statementsAt: (index: number) => readonly RecordedStatement[]): void {
    this.control('BEGIN');
    let index = 0;
    try {
      for (; index < count; index++) {
        for (const { sql, params } of statementsAt(index)) this.execute(sql, params);
      }
      this.control('COMMIT');
    } catch (error) {
      this.rollBack();
      throw new ReplayFailure(index, error);
    }
  }

  /**
   * Runs a synchronous write callback in one transaction and returns what it recorded.
   * `beforeFirstWrite` runs once, before the callback's first write, and may throw to abort it.
   */
  transaction<T>(fn: (writer: SqlWriter) => T, beforeFirstWrite: () => void): CommittedTransaction<T> {
    if (this.inTransaction) throw new InvalidArgumentError('write() cannot be called inside a write callback');
    const writer = new TransactionWriter(this, beforeFirstWrite);
    this.inTransaction = true;
    try {
      const result = fn(writer);
      if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
        throw new InvalidArgumentError('write callbacks must be synchronous (the callback returned a promise)');
      }
      if (writer.begunAt !== null) this.control('COMMIT');
      return { result, statements: writer.statements, durable: writer.durable, begunAt: writer.begunAt };
    } catch (error) {
      if (writer.begunAt !== null) this.rollBack();
      throw error;
    } finally {
      this.inTransaction = false;
    }
  }

  /** The database as an ordinary SQLite file. */
  export(): Uint8Array {
    // export() frees every prepared statement of the database.
    this.cache.clear(false);
    const image = this.db.export();
    tune(this.db);
    return image;
  }

  close(): void {
    this.cache.clear();
    this.db.close();
  }

  /** @internal One statement, through the cache when it has parameters; returns the rows it changed. */
  execute(sql: string, params: SqlParams): number {
    if (params.length === 0) {
      this.db.run(sql);
    } else {
      const statement = this.cache.get(sql);
      try {
        statement.run(params as unknown[] as BindValues);
      } finally {
        statement.reset();
      }
    }
    return this.db.getRowsModified();
  }

  /** @internal BEGIN / COMMIT through prepared statements: sql.js's db.run() would parse them every time. */
  control(sql: 'BEGIN' | 'COMMIT'): void {
    const statement = this.cache.get(sql);
    try {
      statement.step();
    } finally {
      statement.reset();
    }
  }

  private rollBack(): void {
    try {
      this.db.run('ROLLBACK');
    } catch {
      // already rolled back by SQLite, or no transaction left
    }
  }
}
