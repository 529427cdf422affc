/** A reader/writer over a plain sql.js database (no persistence), for the schema's check() and migrate(). */
import type { Database } from 'sql.js';
import type { SqlRow, SqlWriter } from '../../src/storage/sqljs/engine.js';

export function access(db: Database): SqlWriter {
  const all = <T extends SqlRow>(sql: string, params: readonly unknown[] = []): T[] => {
    const statement = db.prepare(sql);
    try {
      statement.bind(params as never);
      const rows: T[] = [];
      while (statement.step()) rows.push(statement.getAsObject() as T);
      return rows;
    } finally {
      statement.free();
    }
  };
  return {
    all,
    get: (sql, params) => all(sql, params)[0],
    run: (sql, params = []) => {
      db.run(sql, params as never);
      return { changes: db.getRowsModified() };
    },
    requireDurable: () => {},
  } as SqlWriter;
}
