/**
 * Binary encoding of one committed write transaction: the statements it ran with their bound
 * parameters, in order (docs/architecture.md, "Persistence"). Replaying the statements of every
 * record, in order, on the snapshot they followed rebuilds the database.
 */
import type { SqlParams, SqlValue } from '../engine.js';
import { CorruptDatabaseError } from '../../../errors.js';

export interface RecordedStatement {
  readonly sql: string;
  readonly params: SqlParams;
}

const TAG_NULL = 0;
const TAG_NUMBER = 1;
const TAG_TEXT = 2;
const TAG_BLOB = 3;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Encoded SQL texts: a store uses a small, fixed set of statements. */
const sqlBytesCache = new Map<string, Uint8Array>();
const SQL_CACHE_LIMIT = 512;

function sqlBytes(sql: string): Uint8Array {
  let bytes = sqlBytesCache.get(sql);
  if (bytes === undefined) {
    bytes = textEncoder.encode(sql);
    if (sqlBytesCache.size >= SQL_CACHE_LIMIT) sqlBytesCache.clear();
    sqlBytesCache.set(sql, bytes);
  }
  return bytes;
}

/** Layout: u32 count, then per statement u32 sqlLength, sql, u32 paramCount, tagged values (little-endian). */
export function encodeStatements(statements: readonly RecordedStatement[]): Uint8Array {
  // Upper bound of the size: a UTF-16 code unit takes at most 3 UTF-8 bytes.
  let bound = 4;
  for (const { sql, params } of statements) {
    bound += 8 + sqlBytes(sql).length;
    for (const value of params) {
      if (value === null) bound += 1;
      else if (typeof value === 'number') bound += 9;
      else if (typeof value === 'string') bound += 5 + value.length * 3;
      else if (value instanceof Uint8Array) bound += 5 + value.length;
      else throw new TypeError(`unsupported SQL parameter type: ${typeof value}`);
    }
  }
  const out = new Uint8Array(bound);
  const view = new DataView(out.buffer);
  let offset = 0;
  view.setUint32(offset, statements.length, true);
  offset += 4;
  for (const { sql, params } of statements) {
    const encodedSql = sqlBytes(sql);
    view.setUint32(offset, encodedSql.length, true);
    out.set(encodedSql, offset + 4);
    offset += 4 + encodedSql.length;
    view.setUint32(offset, params.length, true);
    offset += 4;
    for (const value of params) offset = encodeValue(value, out, view, offset);
  }
  return offset === out.length ? out : out.slice(0, offset);
}

function encodeValue(value: SqlValue, out: Uint8Array, view: DataView, offset: number): number {
  if (value === null) {
    out[offset] = TAG_NULL;
    return offset + 1;
  }
  if (typeof value === 'number') {
    out[offset] = TAG_NUMBER;
    view.setFloat64(offset + 1, value, true);
    return offset + 9;
  }
  let length: number;
  if (typeof value === 'string') {
    out[offset] = TAG_TEXT;
    length = textEncoder.encodeInto(value, out.subarray(offset + 5)).written;
  } else {
    out[offset] = TAG_BLOB;
    out.set(value, offset + 5);
    length = value.length;
  }
  view.setUint32(offset + 1, length, true);
  return offset + 5 + length;
}

export function decodeStatements(record: Uint8Array): RecordedStatement[] {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  let offset = 0;
  const need = (n: number): void => {
    if (offset + n > record.length) throw new CorruptDatabaseError('log record is truncated inside a statement');
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(offset, true);
    offset += 4;
    return v;
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const v = record.subarray(offset, offset + n);
    offset += n;
    return v;
  };
  const count = u32();
  const statements: RecordedStatement[] = [];
  for (let i = 0; i < count; i++) {
    const sql = textDecoder.decode(bytes(u32()));
    const paramCount = u32();
    const params: SqlValue[] = [];
    for (let j = 0; j < paramCount; j++) {
      const tag = bytes(1)[0];
      if (tag === TAG_NULL) params.push(null);
      else if (tag === TAG_NUMBER) {
        need(8);
        params.push(view.getFloat64(offset, true));
        offset += 8;
      } else if (tag === TAG_TEXT) params.push(textDecoder.decode(bytes(u32())));
      else if (tag === TAG_BLOB) params.push(bytes(u32()).slice());
      else throw new CorruptDatabaseError(`log record has an unknown value tag ${tag}`);
    }
    statements.push({ sql, params });
  }
  if (offset !== record.length) throw new CorruptDatabaseError('log record has trailing bytes');
  return statements;
}
