/**
 * The append-only log file beside the main database file (docs/architecture.md, "Persistence").
 *
 *   header (64 bytes): magic "ZTNCLOG1" | u32 format version | u32 reserved |
 *                      32-byte SHA-256 of the snapshot (main file) this log follows |
 *                      u64 snapshot size | u32 reserved | u32 CRC-32 of bytes 0..59
 *   record:            u32 payload length | u32 CRC-32 of (length bytes ‖ payload) | payload
 *
 * All integers little-endian. A record whose length runs past the end of the file, or whose CRC
 * does not match, marks the end of the valid log. If no valid record follows it anywhere, it and
 * everything after it is a torn tail (a crash during an append). If one does, the log was damaged
 * in the middle, and what follows the damage must not be dropped.
 */
import { nodeBuiltin } from '../../../node-builtin.js';

export const LOG_MAGIC = new TextEncoder().encode('ZTNCLOG1');
export const LOG_FORMAT_VERSION = 1;
export const LOG_HEADER_SIZE = 64;
export const RECORD_HEADER_SIZE = 8;
/** No single transaction is allowed to be larger than this; a longer length is a torn tail. */
export const MAX_RECORD_SIZE = 1 << 30;

export interface LogHeader {
  readonly snapshotDigest: Uint8Array;
  readonly snapshotSize: number;
}

export interface ParsedLog {
  readonly header: LogHeader;
  readonly records: Uint8Array[];
  /** Bytes of header plus valid records; what is past it is a torn tail, unless damaged. */
  readonly validLength: number;
  /** True when a valid record follows the first bad one: damage inside the log, not a torn tail. */
  readonly damaged: boolean;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE) in JavaScript; `seed` is the CRC of the bytes before `data`. */
export function portableCrc32(data: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0;
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

// zlib's CRC-32 (Node ≥ 20.15) is the same function, some forty times faster: every logged byte passes through it.
const zlibCrc32 = nodeBuiltin<{ crc32?: (data: Uint8Array, value?: number) => number }>('node:zlib')?.crc32;

/** CRC-32 (IEEE) of `data`, continuing from `seed`: zlib's where there is one, else portableCrc32. */
export const crc32: (data: Uint8Array, seed?: number) => number =
  typeof zlibCrc32 === 'function' ? (data, seed = 0) => zlibCrc32(data, seed) : portableCrc32;

export function encodeLogHeader(header: LogHeader): Uint8Array {
  if (header.snapshotDigest.length !== 32) throw new RangeError('snapshot digest must be 32 bytes');
  const out = new Uint8Array(LOG_HEADER_SIZE);
  const view = new DataView(out.buffer);
  out.set(LOG_MAGIC, 0);
  view.setUint32(8, LOG_FORMAT_VERSION, true);
  out.set(header.snapshotDigest, 16);
  view.setBigUint64(48, BigInt(header.snapshotSize), true);
  view.setUint32(60, crc32(out.subarray(0, 60)), true);
  return out;
}

/** Returns the header, or null when the bytes are not a valid log header. */
export function decodeLogHeader(bytes: Uint8Array): LogHeader | null {
  if (bytes.length < LOG_HEADER_SIZE) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, LOG_HEADER_SIZE);
  for (let i = 0; i < LOG_MAGIC.length; i++) if (bytes[i] !== LOG_MAGIC[i]) return null;
  if (view.getUint32(60, true) !== crc32(bytes.subarray(0, 60))) return null;
  if (view.getUint32(8, true) !== LOG_FORMAT_VERSION) return null;
  return {
    snapshotDigest: bytes.slice(16, 48),
    snapshotSize: Number(view.getBigUint64(48, true)),
  };
}

export function frameRecords(payloads: readonly Uint8Array[]): Uint8Array {
  const total = payloads.reduce((sum, p) => sum + RECORD_HEADER_SIZE + p.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const payload of payloads) {
    view.setUint32(offset, payload.length, true);
    out.set(payload, offset + RECORD_HEADER_SIZE);
    const crc = crc32(payload, crc32(out.subarray(offset, offset + 4)));
    view.setUint32(offset + 4, crc, true);
    offset += RECORD_HEADER_SIZE + payload.length;
  }
  return out;
}

/** Where the record starting at `offset` ends, or -1 when no intact record starts there. */
function recordEnd(bytes: Uint8Array, view: DataView, offset: number): number {
  if (offset + RECORD_HEADER_SIZE > bytes.length) return -1;
  const length = view.getUint32(offset, true);
  const end = offset + RECORD_HEADER_SIZE + length;
  if (length > MAX_RECORD_SIZE || end > bytes.length) return -1;
  const expected = crc32(bytes.subarray(offset + RECORD_HEADER_SIZE, end), crc32(bytes.subarray(offset, offset + 4)));
  return view.getUint32(offset + 4, true) === expected ? end : -1;
}

/**
 * Parses a whole log file; null when its header is not valid. Takes records up to the first bad
 * one, then looks at every later byte offset for an intact record (a chance CRC match is one in
 * 2^32 per offset) to tell a torn tail from damage.
 */
export function parseLog(bytes: Uint8Array): ParsedLog | null {
  const header = decodeLogHeader(bytes);
  if (!header) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let offset = LOG_HEADER_SIZE;
  for (let end = recordEnd(bytes, view, offset); end >= 0; end = recordEnd(bytes, view, offset)) {
    records.push(bytes.subarray(offset + RECORD_HEADER_SIZE, end));
    offset = end;
  }
  let damaged = false;
  for (let later = offset + 1; !damaged && later + RECORD_HEADER_SIZE <= bytes.length; later++) {
    damaged = recordEnd(bytes, view, later) >= 0;
  }
  return { header, records, validLength: offset, damaged };
}
