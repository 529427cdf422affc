/**
 * 64-bit values between the master and PostgreSQL. `bigint` columns are signed 64-bit; a uint64
 * (a revision, a reported revision: any 8 bytes on the wire) is stored as the signed integer with
 * the same 64 bits, so every value round-trips exactly and ordering holds below 2^63.
 * node-postgres hands `bigint` columns over as decimal text; they are read with BigInt, never
 * through a Number.
 */
import { CorruptDatabaseError, StorageError } from '../../errors.js';

const TWO_64 = 1n << 64n;
const TWO_63 = 1n << 63n;

/** A uint64 as the text of the signed bigint holding the same bits. */
export function uint64ToPg(value: bigint): string {
  if (value < 0n || value >= TWO_64) {
    throw new StorageError('ERR_STORAGE_RANGE', `value ${value} is not a uint64`);
  }
  return String(value >= TWO_63 ? value - TWO_64 : value);
}

/** The uint64 a stored signed bigint (decimal text) holds. */
export function uint64FromPg(value: unknown, column: string): bigint {
  const signed = bigintFromPg(value, column);
  return signed < 0n ? signed + TWO_64 : signed;
}

export function bigintFromPg(value: unknown, column: string): bigint {
  if (typeof value === 'string' && /^-?[0-9]{1,20}$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new CorruptDatabaseError(`column ${column} holds ${describe(value)}, not an integer`);
}

/** A millisecond timestamp or other integer that fits a JavaScript number. */
export function numberFromPg(value: unknown, column: string): number {
  const big = bigintFromPg(value, column);
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new CorruptDatabaseError(`column ${column} holds ${big}, beyond a safe integer`);
  }
  return Number(big);
}

export function textFromPg(value: unknown, column: string): string {
  if (typeof value === 'string') return value;
  throw new CorruptDatabaseError(`column ${column} holds ${describe(value)}, not text`);
}

export function booleanFromPg(value: unknown, column: string): boolean {
  if (typeof value === 'boolean') return value;
  throw new CorruptDatabaseError(`column ${column} holds ${describe(value)}, not a boolean`);
}

function describe(value: unknown): string {
  if (value === null) return 'NULL';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return `${typeof value} ${JSON.stringify(String(value).slice(0, 32))}`;
}
