/**
 * Column values between the netconf tables and the storage interface's types, both ways.
 *
 * Reading refuses what the column cannot hold (text in an integer column, a fraction, an unknown
 * assign mode, a revision beyond 64 bits) with `CorruptDatabaseError` naming the table, the row and
 * the column: a damaged or hand-edited row is an error, never a silent '' or 0.
 *
 * 64-bit values (revisions, the COM revision max delta) are unsigned; SQLite's INTEGER is signed
 * 64-bit and sql.js reads integers as doubles. So a uint64 is stored as the signed integer with the
 * same 64 bits (two's complement: 2^64 − 1 is stored as −1), bound as a number when that is exact
 * and as decimal text otherwise (an INTEGER column converts such text to the exact integer), and read
 * through `uint64Select`, which yields the number when it is exact and the decimal text otherwise.
 */
import { CorruptDatabaseError, StorageError } from '../../errors.js';
import type { SqlRow, SqlValue } from '../sqljs/engine.js';

const TWO_TO_64 = 1n << 64n;
const TWO_TO_63 = 1n << 63n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Where a value was read from, for the error message. */
export interface RowPlace {
  readonly table: string;
  /** The row's key, as a person would name it (`network 8056c2e21c000001`). */
  readonly row: string;
}

/** A RowPlace, or a function that makes it, called only when an error needs it (so a hot read spells out no name it does not use). */
export type Place = RowPlace | (() => RowPlace);

/** The RowPlace a Place stands for (made now if it is made on demand). */
export function rowPlace(place: Place): RowPlace {
  return typeof place === 'function' ? place() : place;
}

function corrupt(place: Place, column: string, value: SqlValue | undefined, expected: string): CorruptDatabaseError {
  const { table, row } = rowPlace(place);
  const shown = value instanceof Uint8Array ? `a ${value.length}-byte blob` : JSON.stringify(value ?? null);
  return new CorruptDatabaseError(`${table}.${column} of ${row} is ${shown}, not ${expected}`);
}

export function readText(row: SqlRow, column: string, place: Place): string {
  const value = row[column];
  if (typeof value !== 'string') throw corrupt(place, column, value, 'text');
  return value;
}

export function readOptionalText(row: SqlRow, column: string, place: Place): string | null {
  return row[column] === null ? null : readText(row, column, place);
}

export function readInteger(row: SqlRow, column: string, place: Place): number {
  const value = row[column];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw corrupt(place, column, value, 'an integer');
  return value;
}

export function readOptionalInteger(row: SqlRow, column: string, place: Place): number | null {
  return row[column] === null ? null : readInteger(row, column, place);
}

/** A boolean column: an integer, true when not 0. */
export function readFlag(row: SqlRow, column: string, place: Place): boolean {
  return readInteger(row, column, place) !== 0;
}

export function readOneOf<T extends string>(row: SqlRow, column: string, place: Place, allowed: readonly T[]): T {
  const value = row[column];
  if (!allowed.includes(value as T)) throw corrupt(place, column, value, `one of ${allowed.join(', ')}`);
  return value as T;
}

/** A uint64 column read through `uint64Select`. */
export function readUint64(row: SqlRow, column: string, place: Place): bigint {
  const value = row[column];
  // The common case: a non-negative integer a double holds exactly (always within 64 bits).
  if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) return BigInt(value);
  let signed: bigint;
  if (typeof value === 'number' && Number.isSafeInteger(value)) signed = BigInt(value);
  else if (typeof value === 'string' && /^-?[0-9]{1,19}$/.test(value)) signed = BigInt(value);
  else throw corrupt(place, column, value, 'a 64-bit integer');
  if (signed < -TWO_TO_63 || signed >= TWO_TO_63) throw corrupt(place, column, value, 'a 64-bit integer');
  return signed < 0n ? signed + TWO_TO_64 : signed;
}

export function readOptionalUint64(row: SqlRow, column: string, place: Place): bigint | null {
  return row[column] === null ? null : readUint64(row, column, place);
}

/**
 * The SQL that reads a uint64 column exactly: the integer itself when a double holds it exactly,
 * its decimal text otherwise (and for anything that is not an integer, so that `readUint64` refuses it).
 */
export function uint64Select(expression: string, alias: string): string {
  return `CASE WHEN typeof(${expression}) = 'integer' AND ${expression} BETWEEN ${-Number.MAX_SAFE_INTEGER} AND ${Number.MAX_SAFE_INTEGER}` +
    ` THEN ${expression} ELSE CAST(${expression} AS TEXT) END AS ${alias}`;
}

/** A uint64 as bound into an INTEGER column: the signed integer with the same 64 bits. */
export function uint64ToSql(value: bigint): SqlValue {
  if (typeof value !== 'bigint' || value < 0n || value >= TWO_TO_64) {
    throw new StorageError('ERR_STORAGE_RANGE', `value ${String(value)} is not an unsigned 64-bit integer`);
  }
  const signed = value >= TWO_TO_63 ? value - TWO_TO_64 : value;
  return signed >= -MAX_SAFE && signed <= MAX_SAFE ? Number(signed) : signed.toString();
}

/**
 * The SQL condition "`column` < `value`" in uint64 order, for a column holding uint64s as
 * `uint64ToSql` stores them (negative integers are the values from 2^63 on). Its one parameter is
 * `uint64ToSql(value)`.
 */
export function uint64Below(column: string, value: bigint): string {
  return value < TWO_TO_63 ? `(${column} >= 0 AND ${column} < ?)` : `(${column} >= 0 OR ${column} < ?)`;
}
