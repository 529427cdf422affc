/** The part of node-postgres's client and pool this storage uses. */
import type { QueryResult, QueryResultRow } from 'pg';

export interface PgQueryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: readonly unknown[]): Promise<QueryResult<R>>;
}
