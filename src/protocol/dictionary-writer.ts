/**
 * The one writer of dictionary bytes (protocol.md §4): the serialized form, `esc(key) "="
 * esc(value) LF` for each entry in key order, and the message a signature covers, `key "=" value
 * NUL` for each entry but `~!ed25519`, then 0xff and BE32(count).
 *
 * `Dictionary` writes its entries through `serializeEntries` and `signingMessage`; an
 * `EntryLayout` (entry-layout.ts, the netconf template's) writes its runs of entries through them
 * and its slots' entries through the same pieces below.
 */

/** The key of the signature entry, the one entry a signature does not cover. */
export const SIGNATURE_KEY = '~!ed25519';

/** An entry as the writer sees it. */
export interface WrittenEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** How many bytes of key and value `esc` doubles; -1 until counted (the writer counts and keeps it). */
  escapes: number;
}

export const NUL = 0x00;
export const LF = 0x0a;
const CR = 0x0d;
export const EQUALS = 0x3d;
const BACKSLASH = 0x5c;
/** Bytes after the entries of a message to sign: 0xff, then BE32(count). */
export const SIGNED_MESSAGE_END_BYTES = 5;

/** Whether `esc` writes this byte as two: NUL, CR, LF, `=` or `\`. */
export function isEscapedByte(byte: number): boolean {
  return byte === NUL || byte === CR || byte === LF || byte === EQUALS || byte === BACKSLASH;
}

/** The serialized form of `entries`, which must be in key byte order with each key once. */
export function serializeEntries(entries: readonly WrittenEntry[]): Uint8Array {
  let length = 0;
  for (const entry of entries) length += serializedEntryLength(entry);
  const out = new Uint8Array(length);
  let at = 0;
  for (const entry of entries) at = writeSerializedEntry(out, at, entry);
  return out;
}

/** The message a signature covers: every entry of `entries` (in key order) but `signature`. */
export function signingMessage(entries: readonly WrittenEntry[], signature: WrittenEntry | undefined): Uint8Array {
  let length = SIGNED_MESSAGE_END_BYTES;
  let count = 0;
  for (const entry of entries) {
    if (entry === signature) continue;
    length += entry.key.length + entry.value.length + 2;
    count++;
  }
  const message = new Uint8Array(length);
  let at = 0;
  for (const entry of entries) {
    if (entry !== signature) at = writeSignedEntry(message, at, entry.key, entry.value);
  }
  writeSignedMessageEnd(message, at, count);
  return message;
}

function serializedEntryLength(entry: WrittenEntry): number {
  if (entry.escapes < 0) entry.escapes = escapeCount(entry.key) + escapeCount(entry.value);
  return entry.key.length + entry.value.length + entry.escapes + 2;
}

/** `esc(key) "=" esc(value) LF` at `at` (the entry's escapes counted); returns the end. */
function writeSerializedEntry(out: Uint8Array, start: number, entry: WrittenEntry): number {
  let at = start;
  if (entry.escapes === 0) {
    at = copyBytes(out, at, entry.key);
    out[at++] = EQUALS;
    at = copyBytes(out, at, entry.value);
  } else {
    at = writeEscaped(out, at, entry.key);
    out[at++] = EQUALS;
    at = writeEscaped(out, at, entry.value);
  }
  out[at++] = LF;
  return at;
}

/** `key "=" value NUL` at `at`; returns the end. */
export function writeSignedEntry(out: Uint8Array, start: number, key: Uint8Array, value: Uint8Array): number {
  let at = copyBytes(out, start, key);
  out[at++] = EQUALS;
  at = copyBytes(out, at, value);
  out[at++] = NUL;
  return at;
}

/** Writes the end of a message to sign, 0xff then BE32(`count`), at `at`. */
export function writeSignedMessageEnd(message: Uint8Array, at: number, count: number): void {
  message[at] = 0xff;
  message[at + 1] = count >>> 24;
  message[at + 2] = (count >>> 16) & 0xff;
  message[at + 3] = (count >>> 8) & 0xff;
  message[at + 4] = count & 0xff;
}

export function escapeCount(bytes: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < bytes.length; i++) if (isEscapedByte(bytes[i]!)) count++;
  return count;
}

export function writeEscaped(out: Uint8Array, start: number, bytes: Uint8Array): number {
  let at = start;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (isEscapedByte(byte)) {
      out[at++] = BACKSLASH;
      out[at++] = byte === NUL ? 0x30 : byte === CR ? 0x72 : byte === LF ? 0x6e : byte;
    } else {
      out[at++] = byte;
    }
  }
  return at;
}

/** Copies `bytes` into `out` at `at`; short runs by hand, which beats `set`'s per-call cost. */
export function copyBytes(out: Uint8Array, at: number, bytes: Uint8Array): number {
  const length = bytes.length;
  if (length > 24) out.set(bytes, at);
  else for (let i = 0; i < length; i++) out[at + i] = bytes[i]!;
  return at + length;
}

/** Matches text holding a character `esc` writes as two. */
const ESCAPED_CHARACTER = /[\0\r\n=\\]/;
const NOT_ASCII = /[^\x00-\x7f]/;

/** True when the text is ASCII and needs no escape: its serialized bytes are its code units. */
export function isPlain(text: string): boolean {
  return !ESCAPED_CHARACTER.test(text) && !NOT_ASCII.test(text);
}
const asciiEncoder = new TextEncoder();

/**
 * Writes text that is ASCII and needs no escape one byte per code unit; -1 (having written some of
 * it) when it is anything else. Long text goes through `encodeInto`, many times faster than a loop
 * over its code units.
 */
export function writePlain(out: Uint8Array, at: number, text: string): number {
  const length = text.length;
  if (length < 32) {
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f || isEscapedByte(code)) return -1;
      out[at++] = code;
    }
    return at;
  }
  if (ESCAPED_CHARACTER.test(text)) return -1;
  const { read, written } = asciiEncoder.encodeInto(text, out.subarray(at));
  // Both equal the length only when every code unit was ASCII (anything else takes 2+ bytes).
  return read === length && written === length ? at + length : -1;
}
