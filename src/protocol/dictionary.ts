/**
 * The key=value dictionary and its signature (protocol.md §4).
 *
 * Keys and values are byte strings. Text given as a JS string is stored as its UTF-8 bytes and read
 * back by decoding UTF-8, so any byte (NUL, CR, LF, `=`, `\`, bytes that are not UTF-8) survives
 * set → serialize → parse unchanged when the byte APIs (`getBytes`, `toBytes`) are used.
 * Entries are kept in the order of their key bytes compared unsigned (memcmp), not UTF-16.
 */
import { equalBytes } from '@noble/curves/utils.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { InvalidArgumentError, ParseError } from '../errors.js';
import { SIGNATURE_KEY, serializeEntries, signingMessage, type WrittenEntry } from './dictionary-writer.js';
import { SerializedEntries } from './entry-layout.js';
import { signatureTime } from './signature-time.js';
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
export { SIGNATURE_KEY } from './dictionary-writer.js';
export const SIGNER_IDENTITY_KEY = '~!sigid';
export const SIGNATURE_TIMESTAMP_KEY = '~!sigts';
/** Length in bytes of the signature `~!ed25519` holds (as 192 hex digits). */
export const SIGNATURE_BYTES = 96;
const SIGNATURE_HEX = /^[0-9a-f]{192}$/;

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** One entry. Never changed once made (but for the writer's count of its escapes, a cache), so
 * dictionaries and their clones share entries freely. */
interface Entry extends WrittenEntry {
  /** The key bytes read as latin1 (one char per byte): a 1:1 form whose code-unit order is
   * exactly the unsigned byte order of the keys. */
  readonly index: string;
}

export class Dictionary {
  /*
   * The entries are known from at least one of three forms, each made from another when first
   * needed: #map (by index, any order), #sorted (in key byte order), #serialized (the §4 bytes).
   * #sorted and #serialized are never changed in place, so clones share them; #map belongs to
   * this dictionary alone.
   */
  #map: Map<string, Entry> | null = new Map();
  #sorted: readonly Entry[] | null = null;
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
    let owned = false;
    if (typeof input === 'string') {
      bytes = textToBytes(input);
      owned = true;
    } else if (input instanceof Uint8Array) bytes = input;
    else throw new ParseError(`dictionary text or bytes expected, got ${describeInput(input)}`);

    let end = bytes.indexOf(NUL);
    if (end < 0) end = bytes.length;
    const read = readEntries(bytes, end);
    const dict = new Dictionary();
    if (read.map === null) {
      // Keys came in byte order: that is already the sorted form.
      dict.#map = null;
      dict.#sorted = read.entries;
      // Exactly what serializing would give back: keep it (a copy, the input is the caller's).
      if (read.canonical) dict.#serialized = owned && end === bytes.length ? bytes : bytes.slice(0, end);
    } else {
      dict.#map = read.map;
    }
    return dict;
  }

  /**
   * The dictionary whose serialized form the dictionary writer made (a netconf template's output):
   * those bytes are kept as they are, and the entries are read from them only when asked for.
   */
  static fromSerialized(serialized: SerializedEntries): Dictionary {
    if (!(serialized instanceof SerializedEntries)) {
      throw new InvalidArgumentError(`serialized entries from the dictionary writer expected, got ${describeInput(serialized)}`);
    }
    const dict = new Dictionary();
    dict.#map = null;
    dict.#serialized = serialized.bytes;
    return dict;
  }

  get size(): number {
    return this.#map !== null ? this.#map.size : this.#sortedEntries().length;
  }

  /** The value as text (UTF-8 decoded; invalid sequences become U+FFFD), or undefined. */
  get(key: ByteString): string | undefined {
    const entry = this.#find(indexOf(key));
    return entry === undefined ? undefined : bytesToText(entry.value);
  }

  /** A copy of the value's exact bytes, or undefined. */
  getBytes(key: ByteString): Uint8Array | undefined {
    return this.#find(indexOf(key))?.value.slice();
  }

  has(key: ByteString): boolean {
    return this.#find(indexOf(key)) !== undefined;
  }

  /** Sets a value (text is stored as UTF-8). Numbers are refused: use `setHex` for them. */
  set(key: ByteString, value: ByteString): this {
    this.#put(makeEntry(key, value));
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
    const index = indexOf(key);
    if (this.#find(index) === undefined) return false;
    this.#entryMap().delete(index);
    if (this.#sorted !== null) {
      const at = search(this.#sorted, index);
      this.#sorted = [...this.#sorted.slice(0, at), ...this.#sorted.slice(at + 1)];
    }
    this.#serialized = null;
    return true;
  }

  /** Keys as text (UTF-8 decoded), in byte order. */
  keys(): string[] {
    return this.#sortedEntries().map((entry) => bytesToText(entry.key));
  }

  /** [key, value] as text, in key byte order. */
  entries(): Array<[string, string]> {
    return this.#sortedEntries().map((entry) => [bytesToText(entry.key), bytesToText(entry.value)]);
  }

  /** [key, value] as copies of the exact bytes, in key byte order. */
  entryBytes(): Array<[Uint8Array, Uint8Array]> {
    return this.#sortedEntries().map((entry) => [entry.key.slice(), entry.value.slice()]);
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
    if (this.#map === null || this.#sorted !== null) {
      // Share the sorted and serialized forms (never changed in place); the copy makes its own
      // map only if it is changed.
      copy.#map = null;
      copy.#sorted = this.#sorted;
      copy.#serialized = this.#serialized;
    } else {
      copy.#map = new Map(this.#map);
      copy.#serialized = this.#serialized;
    }
    return copy;
  }

  /** True when both hold the same entries byte for byte. */
  equals(other: Dictionary): boolean {
    const a = this.#bytes();
    const b = other.#bytes();
    return a === b || equalBytes(a, b);
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
   * every other entry. Throws when the identity holds no private key, when its signature is not
   * 96 bytes, and when a key holds `=` (InvalidArgumentError); a failing signer leaves the
   * dictionary as it was.
   * The same as `beginSignature`, `identity.sign(message)`, `completeSignature`.
   */
  sign(identity: DictionarySigner, nowMs?: number | bigint): this {
    if (identity === null || typeof identity !== 'object' || typeof identity.sign !== 'function') {
      throw new InvalidArgumentError('a dictionary is signed with an Identity that holds its private key');
    }
    const now = signatureTime(nowMs);
    const signerText: ByteString = identity.toString();
    // A failing signer must leave this dictionary as it was: keep what the signing entries held.
    const before = [SIGNER_IDENTITY_KEY, SIGNATURE_TIMESTAMP_KEY].map((key) => [key, this.#find(key)] as const);
    const message = this.#beginSignature(signerText, now);
    try {
      this.completeSignature(identity.sign(message));
    } catch (error) {
      for (const [key, entry] of before) {
        if (entry === undefined) this.delete(key);
        else this.#put(entry);
      }
      throw error;
    }
    return this;
  }

  /**
   * The first half of `sign`, for a signer that works elsewhere (a worker, another process):
   * sets `~!sigid` to `signerIdentityText` (the signer's public identity string) and `~!sigts` to
   * the time in ms as unpadded hex (default: now), and returns the message to sign (§4: every
   * entry except `~!ed25519` as `key "=" value NUL`, then 0xff, then BE32(count)). An earlier
   * `~!ed25519` stays until `completeSignature` replaces it. Changing the dictionary in between
   * makes the signature not match. A key holding `=` → InvalidArgumentError, nothing changed.
   */
  beginSignature(signerIdentityText: string, nowMs?: number | bigint): Uint8Array {
    if (typeof signerIdentityText !== 'string') {
      throw new InvalidArgumentError(`the signer's identity string is needed, got ${describeInput(signerIdentityText)}`);
    }
    const now = signatureTime(nowMs);
    return this.#beginSignature(signerIdentityText, now);
  }

  /**
   * The second half of `sign`: sets `~!ed25519` to the lower-case hex of `signature`, the 96 bytes
   * the signer made over `beginSignature`'s message. Anything else is refused with
   * InvalidArgumentError and the dictionary is left as it was.
   */
  completeSignature(signature: Uint8Array): this {
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
      throw new InvalidArgumentError(`a signature is ${SIGNATURE_BYTES} bytes, got ${describeInput(signature)}`);
    }
    return this.set(SIGNATURE_KEY, bytesToHex(signature));
  }

  /**
   * True when `~!ed25519` (192 lower-case hex digits) is this identity's valid signature over the
   * other entries and no key holds `=`. Does not compare `~!sigid` with the identity. Never throws.
   */
  verify(identity: SignatureVerifier): boolean {
    try {
      const signatureHex = this.get(SIGNATURE_KEY);
      // Lower case only, as signers write it, so the signature text has exactly one valid form.
      if (signatureHex === undefined || !SIGNATURE_HEX.test(signatureHex)) return false;
      // The signed form cannot tell where a key holding `=` ends: such a dictionary is another
      // one's entries re-split (the master never writes one).
      if (this.#keyHoldingEquals() !== undefined) return false;
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

  #beginSignature(signerText: ByteString, now: bigint): Uint8Array {
    const key = this.#keyHoldingEquals();
    if (key !== undefined) {
      throw new InvalidArgumentError(
        `a key holding "=" cannot be signed (the signed form could not tell where it ends): ${describeInput(bytesToText(key))}`,
      );
    }
    this.set(SIGNER_IDENTITY_KEY, signerText);
    this.set(SIGNATURE_TIMESTAMP_KEY, now.toString(16));
    return this.#signedMessage();
  }

  /** The first key (in byte order) that holds `=`, if any. */
  #keyHoldingEquals(): Uint8Array | undefined {
    for (const entry of this.#sortedEntries()) if (entry.key.includes(EQUALS)) return entry.key;
    return undefined;
  }

  #find(index: string): Entry | undefined {
    if (this.#map !== null) return this.#map.get(index);
    const sorted = this.#sortedEntries();
    const at = search(sorted, index);
    return at >= 0 ? sorted[at] : undefined;
  }

  /** Adds or replaces an entry, keeping the sorted form (if made) sorted. */
  #put(entry: Entry): void {
    const map = this.#entryMap();
    map.set(entry.index, entry);
    if (this.#sorted !== null) {
      const sorted = this.#sorted;
      const at = search(sorted, entry.index);
      if (at >= 0) {
        const next = sorted.slice();
        next[at] = entry;
        this.#sorted = next;
      } else {
        const insert = ~at;
        this.#sorted = [...sorted.slice(0, insert), entry, ...sorted.slice(insert)];
      }
    }
    this.#serialized = null;
  }

  #entryMap(): Map<string, Entry> {
    if (this.#map === null) {
      const map = new Map<string, Entry>();
      for (const entry of this.#sortedEntries()) map.set(entry.index, entry);
      this.#map = map;
    }
    return this.#map;
  }

  #sortedEntries(): readonly Entry[] {
    if (this.#sorted === null) {
      if (this.#map !== null) {
        // Latin1 index strings compare by code unit = by unsigned byte: memcmp order.
        this.#sorted = [...this.#map.values()].sort((a, b) => (a.index < b.index ? -1 : a.index > b.index ? 1 : 0));
      } else {
        // Canonical bytes: their entries come in key order, each key once.
        const bytes = this.#serialized!;
        this.#sorted = readEntries(bytes, bytes.length).entries;
      }
    }
    return this.#sorted;
  }

  /** Every entry except the signature as `key "=" value NUL` (raw), then 0xff, then BE32(count). */
  #signedMessage(): Uint8Array {
    return signingMessage(this.#sortedEntries(), this.#find(SIGNATURE_KEY));
  }

  #bytes(): Uint8Array {
    if (this.#serialized === null) this.#serialized = serializeEntries(this.#sortedEntries());
    return this.#serialized;
  }
}

interface ReadEntries {
  /** In the order read. */
  entries: Entry[];
  /** Null when the keys came in strictly increasing byte order; else every entry by index. */
  map: Map<string, Entry> | null;
  /** True when serializing the entries gives back exactly the bytes read. */
  canonical: boolean;
}

/** The §4 parser (see `Dictionary.parse`) over `bytes[0, end)`, which holds no NUL. */
function readEntries(bytes: Uint8Array, end: number): ReadEntries {
  const entries: Entry[] = [];
  let map: Map<string, Entry> | null = null;
  let previous: string | null = null;
  const keyBuffer = new Uint8Array(end);
  const valueBuffer = new Uint8Array(end);
  let keyLength = 0;
  let valueLength = 0;
  let inValue = false;
  let escaped = false;
  // Canonical: every line is `esc(key) "=" esc(value) LF`, escapes only where needed, keys rising.
  let canonical = true;

  const finishEntry = (): void => {
    if (inValue || keyLength > 0) {
      const key = keyBuffer.slice(0, keyLength);
      const index = bytesToLatin1(key);
      const entry: Entry = { index, key, value: valueBuffer.slice(0, valueLength), escapes: -1 };
      if (map === null && previous !== null && !(index > previous)) {
        map = new Map();
        for (const earlier of entries) map.set(earlier.index, earlier);
      }
      if (map !== null) {
        if (map.has(index)) {
          throw new ParseError(`dictionary key given twice: ${describeInput(utf8Decoder.decode(key))}`);
        }
        map.set(index, entry);
      }
      entries.push(entry);
      previous = index;
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
      else if (byte !== BACKSLASH && byte !== EQUALS) canonical = false;
    } else if (byte === BACKSLASH) {
      escaped = true;
      continue;
    } else if (byte === EQUALS) {
      if (inValue) canonical = false;
      inValue = true;
      continue;
    } else if (byte === CR || byte === LF) {
      if (byte === CR || !inValue) canonical = false;
      finishEntry();
      continue;
    }
    if (inValue) valueBuffer[valueLength++] = byte;
    else keyBuffer[keyLength++] = byte;
  }
  if (escaped || inValue || keyLength > 0) canonical = false;
  finishEntry();
  return { entries, map, canonical: canonical && map === null };
}

/** Position of `index` in `sorted`, or `~insertionPoint` when absent. */
function search(sorted: readonly Entry[], index: string): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const at = sorted[middle]!.index;
    if (at < index) low = middle + 1;
    else if (at > index) high = middle - 1;
    else return middle;
  }
  return ~low;
}

/** A new entry; the writer counts its escapes when it first writes it. */
function makeEntry(key: ByteString, value: ByteString): Entry {
  const keyBytes = toBytes(key, 'key');
  // As many UTF-8 bytes as UTF-16 code units only when every unit is ASCII: then the text is
  // already the latin1 form of its bytes.
  const index = typeof key === 'string' && keyBytes.length === key.length ? key : bytesToLatin1(keyBytes);
  return { index, key: keyBytes, value: toBytes(value, 'value'), escapes: -1 };
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
  if (text.length > 256) return utf8Encoder.encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return utf8Encoder.encode(text);
    out[i] = code;
  }
  return out;
}

/** Text of UTF-8 bytes; short ASCII by hand, which beats TextDecoder's per-call cost. */
function bytesToText(bytes: Uint8Array): string {
  if (bytes.length > 32) return utf8Decoder.decode(bytes);
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte > 0x7f) return utf8Decoder.decode(bytes);
    text += String.fromCharCode(byte);
  }
  return text;
}

function indexOf(key: ByteString): string {
  if (typeof key === 'string' && isAscii(key)) return key;
  return bytesToLatin1(toBytes(key, 'key'));
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
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
