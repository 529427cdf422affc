/**
 * Binary encoding of one committed write transaction: the statements it ran with their bound
 * parameters, in order (docs/architecture.md, "Persistence"). Replaying the statements of every
 * record, in order, on the snapshot they followed rebuilds the database.
 */
import type { SqlParams, SqlValue } from '../engine.js';
import { CorruptDatabaseError } from '../../errors.js';

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

export function encodeStatements(statements: readonly RecordedStatement[]): Uint8Array {
  let size = 4;
  const encoded = statements.map((statement) => {
    const sql = textEncoder.encode(statement.sql);
    const params = statement.params.map(encodeValue);
    size += 8 + sql.length + params.reduce((sum, p) => sum + p.length, 0);
    return { sql, params };
  });
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  view.setUint32(offset, encoded.length, true);
  offset += 4;
  for (const { sql, params } of encoded) {
    view.setUint32(offset, sql.length, true);
    out.set(sql, offset + 4);
    offset += 4 + sql.length;
    view.setUint32(offset, params.length, true);
    offset += 4;
    for (const p of params) {
      out.set(p, offset);
      offset += p.length;
    }
  }
  return out;
}

function encodeValue(value: SqlValue): Uint8Array {
  if (value === null) return Uint8Array.of(TAG_NULL);
  if (typeof value === 'number') {
    const out = new Uint8Array(9);
    out[0] = TAG_NUMBER;
    new DataView(out.buffer).setFloat64(1, value, true);
    return out;
  }
  const bytes = typeof value === 'string' ? textEncoder.encode(value) : value;
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`unsupported SQL parameter type: ${typeof value}`);
  const out = new Uint8Array(5 + bytes.length);
  out[0] = typeof value === 'string' ? TAG_TEXT : TAG_BLOB;
  new DataView(out.buffer).setUint32(1, bytes.length, true);
  out.set(bytes, 5);
  return out;
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
