/**
 * The key=value dictionary and its signature (protocol.md §4).
 *
 * Keys and values are byte strings. Text given as a JS string is stored as its UTF-8 bytes and read
 * back by decoding UTF-8, so any byte (NUL, CR, LF, `=`, `\`, bytes that are not UTF-8) survives
 * set → serialize → parse unchanged when the byte APIs (`getBytes`, `toBytes`) are used.
 * Entries are kept in the order of their key bytes compared unsigned (memcmp), not UTF-16.
 */
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { InvalidArgumentError, ParseError } from '../errors.js';
import { describeInput } from './ids.js';

/** A key or value: text (stored as UTF-8) or raw bytes. */
export type ByteString = string | Uint8Array;

/** What `Dictionary.sign` needs from an identity: its public string form and a signature. */
export interface DictionarySigner {
  /** Must return the public identity string when called without arguments. */
  toString(): string;
  sign(message: Uint8Array): Uint8Array;
}

/** What `Dictionary.verify` needs from an identity. */
export interface SignatureVerifier {
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** Reserved keys written by `sign`. Every key starting with `~!` is reserved. */
export const SIGNATURE_KEY = '~!ed25519';
export const SIGNER_IDENTITY_KEY = '~!sigid';
export const SIGNATURE_TIMESTAMP_KEY = '~!sigts';
const SIGNATURE_HEX = /^[0-9a-f]{192}$/;

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;
const ASCII_ONLY = /^[\x00-\x7f]*$/;

const utf8Decoder = new TextDecoder('utf-8');

interface Entry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export class Dictionary {
  /** Entries indexed by the key bytes read as latin1 (one char per byte): a 1:1 map whose
   * code-unit order is exactly the unsigned byte order of the keys. */
  readonly #entries = new Map<string, Entry>();
  #sortedIndex: string[] | null = null;
  #serialized: Uint8Array | null = null;

  /**
   * Entries from pairs or a plain object. As with `Map`, a key given twice keeps the last value.
   */
  constructor(entries?: Iterable<readonly [ByteString, ByteString]> | Readonly<Record<string, string>>) {
    if (entries === undefined || entries === null) return;
    if (typeof (entries as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of entries as Iterable<readonly [ByteString, ByteString]>) {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new InvalidArgumentError('dictionary entries must be [key, value] pairs');
        }
        this.set(pair[0], pair[1]);
      }
    } else if (typeof entries === 'object') {
      for (const [key, value] of Object.entries(entries)) this.set(key, value);
    } else {
      throw new InvalidArgumentError(`dictionary entries expected, got ${describeInput(entries)}`);
    }
  }

  /**
   * Reads the serialized form (§4), leniently as the reference does: stops at the end or at a NUL
   * byte; `\` escapes the next byte (`0` NUL, `r` CR, `n` LF, anything else itself); the first
   * unescaped `=` of a line ends the key and later unescaped `=` are dropped; CR or LF ends an
   * entry; a key without `=` has an empty value; empty lines are skipped. A string is read as its
   * UTF-8 bytes. A key given twice throws ParseError.
   */
  static parse(input: string | Uint8Array): Dictionary {
    let bytes: Uint8Array;
    if (typeof input === 'string') bytes = utf8ToBytes(input);
    else if (input instanceof Uint8Array) bytes = input;
    else throw new ParseError(`dictionary text or bytes expected, got ${describeInput(input)}`);

    let end = bytes.indexOf(NUL);
    if (end < 0) end = bytes.length;
    const dict = new Dictionary();
    const keyBuffer = new Uint8Array(end);
    const valueBuffer = new Uint8Array(end);
    let keyLength = 0;
    let valueLength = 0;
    let inValue = false;
    let escaped = false;

    const finishEntry = (): void => {
      if (inValue || keyLength > 0) {
        const key = keyBuffer.slice(0, keyLength);
        const index = bytesToLatin1(key);
        if (dict.#entries.has(index)) {
          throw new ParseError(`dictionary key given twice: ${describeInput(utf8Decoder.decode(key))}`);
        }
        dict.#entries.set(index, { key, value: valueBuffer.slice(0, valueLength) });
      }
      keyLength = 0;
      valueLength = 0;
      inValue = false;
    };

    for (let i = 0; i < end; i++) {
      let byte = bytes[i]!;
      if (escaped) {
        escaped = false;
        if (byte === 0x30) byte = NUL;
        else if (byte === 0x72) byte = CR;
        else if (byte === 0x6e) byte = LF;
      } else if (byte === BACKSLASH) {
        escaped = true;
        continue;
      } else if (byte === EQUALS) {
        inValue = true;
        continue;
      } else if (byte === CR || byte === LF) {
        finishEntry();
        continue;
      }
      if (inValue) valueBuffer[valueLength++] = byte;
      else keyBuffer[keyLength++] = byte;
    }
    finishEntry();
    return dict;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value as text (UTF-8 decoded; invalid sequences become U+FFFD), or undefined. */
  get(key: ByteString): string | undefined {
    const entry = this.#entries.get(indexOf(key));
    return entry === undefined ? undefined : utf8Decoder.decode(entry.value);
  }

  /** A copy of the value's exact bytes, or undefined. */
  getBytes(key: ByteString): Uint8Array | undefined {
    return this.#entries.get(indexOf(key))?.value.slice();
  }

  has(key: ByteString): boolean {
    return this.#entries.has(indexOf(key));
  }

  /** Sets a value (text is stored as UTF-8). Numbers are refused: use `setHex` for them. */
  set(key: ByteString, value: ByteString): this {
    const keyBytes = toBytes(key, 'key');
    const valueBytes = toBytes(value, 'value');
    const index = typeof key === 'string' && ASCII_ONLY.test(key) ? key : bytesToLatin1(keyBytes);
    if (!this.#entries.has(index)) this.#sortedIndex = null;
    this.#entries.set(index, { key: keyBytes, value: valueBytes });
    this.#serialized = null;
    return this;
  }

  /** Sets a non-negative integer as lower-case hex, zero-padded to `digits` (0 = no padding). */
  setHex(key: ByteString, value: bigint | number, digits = 0): this {
    const big = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
    if (typeof big !== 'bigint' || big < 0n) {
      throw new InvalidArgumentError(`setHex needs a non-negative integer, got ${describeInput(value)}`);
    }
    return this.set(key, big.toString(16).padStart(digits, '0'));
  }

  delete(key: ByteString): boolean {
    const removed = this.#entries.delete(indexOf(key));
    if (removed) {
      this.#sortedIndex = null;
      this.#serialized = null;
    }
    return removed;
  }

  /** Keys as text (UTF-8 decoded), in byte order. */
  keys(): string[] {
    return this.#sorted().map((index) => utf8Decoder.decode(this.#entries.get(index)!.key));
  }

  /** [key, value] as text, in key byte order. */
  entries(): Array<[string, string]> {
    return this.#sorted().map((index) => {
      const entry = this.#entries.get(index)!;
      return [utf8Decoder.decode(entry.key), utf8Decoder.decode(entry.value)];
    });
  }

  /** [key, value] as copies of the exact bytes, in key byte order. */
  entryBytes(): Array<[Uint8Array, Uint8Array]> {
    return this.#sorted().map((index) => {
      const entry = this.#entries.get(index)!;
      return [entry.key.slice(), entry.value.slice()];
    });
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries()[Symbol.iterator]();
  }

  /** A plain object of the text entries (for logging and JSON). */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of this.entries()) out[key] = value;
    return out;
  }

  clone(): Dictionary {
    const copy = new Dictionary();
    for (const [index, entry] of this.#entries) copy.#entries.set(index, entry);
    copy.#sortedIndex = this.#sortedIndex;
    copy.#serialized = this.#serialized;
    return copy;
  }

  /** True when both hold the same entries byte for byte. */
  equals(other: Dictionary): boolean {
    const a = this.#bytes();
    const b = other.#bytes();
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** The exact serialized form (§4): `esc(key) "=" esc(value) "\n"` per entry in key byte order. */
  toBytes(): Uint8Array {
    return this.#bytes().slice();
  }

  /** Length in bytes of `toBytes()` (a netconf must fit 65,535). */
  get byteLength(): number {
    return this.#bytes().length;
  }

  /**
   * The serialized form decoded as UTF-8. Exact only when every key and value is valid UTF-8;
   * `toBytes()` is always the exact form.
   */
  toString(): string {
    return utf8Decoder.decode(this.#bytes());
  }

  /**
   * Signs (§4): sets `~!sigid` to the signer's public identity string and `~!sigts` to the time in
   * ms as unpadded hex (default: now), then `~!ed25519` to the hex signature of the message made of
   * every other entry. Throws when the identity holds no private key.
   */
  sign(identity: DictionarySigner, nowMs?: number | bigint): this {
    if (identity === null || typeof identity !== 'object' || typeof identity.sign !== 'function') {
      throw new InvalidArgumentError('a dictionary is signed with an Identity that holds its private key');
    }
    const now = nowMs === undefined ? BigInt(Date.now()) : toTimestamp(nowMs);
    const signerText = identity.toString();
    // A failing signer must leave this dictionary as it was: keep what the signing entries held.
    const before = [SIGNER_IDENTITY_KEY, SIGNATURE_TIMESTAMP_KEY].map((key) => [key, this.getBytes(key)] as const);
    this.set(SIGNER_IDENTITY_KEY, signerText);
    this.set(SIGNATURE_TIMESTAMP_KEY, now.toString(16));
    let signature: Uint8Array;
    try {
      signature = identity.sign(this.#signedMessage());
    } catch (error) {
      for (const [key, value] of before) {
        if (value === undefined) this.delete(key);
        else this.set(key, value);
      }
      throw error;
    }
    this.set(SIGNATURE_KEY, bytesToHex(signature));
    return this;
  }

  /**
   * True when `~!ed25519` (192 lower-case hex digits) is this identity's valid signature over the
   * other entries. Does not compare `~!sigid` with the identity. Never throws.
   */
  verify(identity: SignatureVerifier): boolean {
    try {
      const signatureHex = this.get(SIGNATURE_KEY);
      // Lower case only, as signers write it, so the signature text has exactly one valid form.
      if (signatureHex === undefined || !SIGNATURE_HEX.test(signatureHex)) return false;
      const signature = hexToBytes(signatureHex);
      return identity.verify(this.#signedMessage(), signature) === true;
    } catch {
      return false;
    }
  }

  /** Whether a signature is present (not whether it is valid). */
  get isSigned(): boolean {
    return this.has(SIGNATURE_KEY);
  }

  /** Removes the three signature entries. */
  removeSignature(): this {
    this.delete(SIGNATURE_KEY);
    this.delete(SIGNER_IDENTITY_KEY);
    this.delete(SIGNATURE_TIMESTAMP_KEY);
    return this;
  }

  /** Every entry except the signature as `key "=" value NUL` (raw), then 0xff, then BE32(count). */
  #signedMessage(): Uint8Array {
    const signed: Entry[] = [];
    let length = 5;
    for (const index of this.#sorted()) {
      if (index === SIGNATURE_KEY) continue;
      const entry = this.#entries.get(index)!;
      signed.push(entry);
      length += entry.key.length + entry.value.length + 2;
    }
    const message = new Uint8Array(length);
    let at = 0;
    for (const entry of signed) {
      message.set(entry.key, at);
      at += entry.key.length;
      message[at++] = EQUALS;
      message.set(entry.value, at);
      at += entry.value.length;
      message[at++] = NUL;
    }
    message[at++] = 0xff;
    new DataView(message.buffer).setUint32(at, signed.length, false);
    return message;
  }

  #sorted(): string[] {
    if (this.#sortedIndex === null) {
      // Latin1 index strings compare by code unit = by unsigned byte: memcmp order.
      this.#sortedIndex = [...this.#entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
    return this.#sortedIndex;
  }

  #bytes(): Uint8Array {
    if (this.#serialized !== null) return this.#serialized;
    const order = this.#sorted();
    const sizes = new Array<number>(order.length * 2);
    let length = 0;
    order.forEach((index, i) => {
      const entry = this.#entries.get(index)!;
      sizes[2 * i] = escapedLength(entry.key);
      sizes[2 * i + 1] = escapedLength(entry.value);
      length += sizes[2 * i]! + sizes[2 * i + 1]! + 2;
    });
    const out = new Uint8Array(length);
    let at = 0;
    order.forEach((index, i) => {
      const entry = this.#entries.get(index)!;
      at = writeEscaped(out, at, entry.key, sizes[2 * i]!);
      out[at++] = EQUALS;
      at = writeEscaped(out, at, entry.value, sizes[2 * i + 1]!);
      out[at++] = LF;
    });
    this.#serialized = out;
    return out;
  }
}

function needsEscape(byte: number): boolean {
  return byte === NUL || byte === CR || byte === LF || byte === BACKSLASH || byte === EQUALS;
}

function escapedLength(bytes: Uint8Array): number {
  let length = bytes.length;
  for (let i = 0; i < bytes.length; i++) if (needsEscape(bytes[i]!)) length++;
  return length;
}

function writeEscaped(out: Uint8Array, start: number, bytes: Uint8Array, escapedSize: number): number {
  if (escapedSize === bytes.length) {
    out.set(bytes, start); // nothing to escape: one copy
    return start + bytes.length;
  }
  let at = start;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (needsEscape(byte)) {
      out[at++] = BACKSLASH;
      out[at++] = byte === NUL ? 0x30 : byte === CR ? 0x72 : byte === LF ? 0x6e : byte;
    } else {
      out[at++] = byte;
    }
  }
  return at;
}

function toBytes(value: ByteString, what: string): Uint8Array {
  if (typeof value === 'string') return textToBytes(value);
  if (value instanceof Uint8Array) return value.slice();
  throw new InvalidArgumentError(
    `dictionary ${what} must be a string or Uint8Array, got ${describeInput(value)}` +
      (typeof value === 'number' || typeof value === 'bigint' ? ' (use setHex for numbers)' : ''),
  );
}

/**
 * UTF-8 bytes of a string. Netconf keys and most values are short ASCII, for which a plain loop
 * beats TextEncoder's per-call cost; anything else goes to TextEncoder.
 */
function textToBytes(text: string): Uint8Array {
  if (text.length > 64) return utf8ToBytes(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return utf8ToBytes(text);
    out[i] = code;
  }
  return out;
}

function indexOf(key: ByteString): string {
  if (typeof key === 'string' && ASCII_ONLY.test(key)) return key;
  return bytesToLatin1(toBytes(key, 'key'));
}

function bytesToLatin1(bytes: Uint8Array): string {
  const chunk = 8192;
  if (bytes.length <= chunk) return String.fromCharCode(...bytes);
  let text = '';
  for (let i = 0; i < bytes.length; i += chunk) {
    text += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return text;
}

function toTimestamp(nowMs: number | bigint): bigint {
  if (typeof nowMs === 'bigint' && nowMs >= 0n) return nowMs;
  if (typeof nowMs === 'number' && Number.isSafeInteger(nowMs) && nowMs >= 0) return BigInt(nowMs);
  throw new InvalidArgumentError(`signature time must be a non-negative integer (ms), got ${describeInput(nowMs)}`);
}
