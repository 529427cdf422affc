/**
 * The one writer of dictionary bytes (protocol.md §4): the serialized form, `esc(key) "="
 * esc(value) LF` for each entry in key order, and the message a signature covers, `key "=" value
 * NUL` for each entry but `~!ed25519`, then 0xff and BE32(count).
 *
 * `Dictionary` writes its entries through `serializeEntries` and `signingMessage`. A netconf
 * template writes through an `EntryLayout`: a set of entries fixed for many dictionaries, written
 * once in both forms, with slots between them that each dictionary fills. What a layout writes is
 * handed to `Dictionary.fromSerialized` as `SerializedEntries`, which only this module makes, so
 * every such form is exactly what `Dictionary` itself would write.
 */
import { InvalidArgumentError } from '../errors.js';
import { writeSignatureHex } from '../crypto/c25519.js';

/** The key of the signature entry, the one entry a signature does not cover. */
export const SIGNATURE_KEY = '~!ed25519';

/** An entry as the writer sees it. */
export interface WrittenEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** How many bytes of key and value `esc` doubles; -1 until counted (the writer counts and keeps it). */
  escapes: number;
}

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const EQUALS = 0x3d;
const BACKSLASH = 0x5c;
/** Bytes after the entries of a message to sign: 0xff, then BE32(count). */
const SIGNED_MESSAGE_END_BYTES = 5;

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

const sealed: unique symbol = Symbol('written by dictionary-writer.ts');

/** A serialized form made by this module: canonical (what `Dictionary` writes for its entries). */
export class SerializedEntries {
  readonly #bytes: Uint8Array;

  /** Made only here: the token is not exported. */
  constructor(token: typeof sealed, bytes: Uint8Array) {
    if (token !== sealed) throw new InvalidArgumentError('serialized entries are made by the dictionary writer only');
    this.#bytes = bytes;
  }

  /** The bytes; never changed afterwards (the dictionary that takes them keeps them as they are). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }
}

/** A run of fixed entries in key order, in both forms. */
interface FixedRun {
  readonly slot: -1;
  readonly signed: Uint8Array;
  readonly serialized: Uint8Array;
  readonly count: number;
}

/** Where the value of slot `slot` goes, under its key. */
interface SlotStep {
  readonly slot: number;
  /** The key's bytes as signed and as serialized. */
  readonly key: Uint8Array;
  readonly escapedKey: Uint8Array;
  /** False for the signature's slot, which the message leaves out. */
  readonly signed: boolean;
}

type Step = FixedRun | SlotStep;

/** A slot's value: text (written as UTF-8) or bytes; undefined leaves the slot out. */
export type SlotValue = string | Uint8Array | undefined;

/** What `EntryLayout.prepare` gives: a message to sign and the serialized form with places to fill. */
export interface PreparedEntries {
  /** The message a signature covers (the signature's slot left out). */
  readonly message: Uint8Array;
  /** The serialized form, signature slot included, whose places are filled by `draft.complete`. */
  readonly draft: SerializedDraft;
  /** Where each slot's value ends in `message`; -1 for an empty slot or the signature's. */
  readonly messageValueEnds: Int32Array;
}

/**
 * A fixed set of entries with slots between them (each slot a key of its own), written once in
 * both forms so that a dictionary of them is written by copying the fixed runs and writing only
 * the slots' entries. The slots' values may be anything; text that is ASCII and needs no escape
 * is written one byte per code unit without converting it first.
 */
export class EntryLayout {
  readonly #steps: readonly Step[];
  readonly #slotCount: number;
  readonly #fixedSignedLength: number;
  readonly #fixedSerializedLength: number;
  readonly #fixedCount: number;

  /**
   * `fixed`: the fixed entries (keys unique); `slotKeys`: one key per slot, none among the fixed
   * keys; a slot keyed `~!ed25519` is the signature's. A key given twice → InvalidArgumentError.
   */
  constructor(fixed: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, slotKeys: readonly string[]) {
    type Item = { key: Uint8Array; slot: number; value?: Uint8Array };
    const items: Item[] = fixed.map(([key, value]) => ({ key: key.slice(), value: value.slice(), slot: -1 }));
    slotKeys.forEach((key, slot) => items.push({ key: new TextEncoder().encode(key), slot }));
    items.sort((a, b) => compareBytes(a.key, b.key));
    for (let i = 1; i < items.length; i++) {
      if (compareBytes(items[i - 1]!.key, items[i]!.key) === 0) {
        throw new InvalidArgumentError(`a layout key given twice: ${new TextDecoder().decode(items[i]!.key)}`);
      }
    }
    const steps: Step[] = [];
    let run: WrittenEntry[] = [];
    const endRun = (): void => {
      if (run.length === 0) return;
      const signed = signingMessage(run, undefined);
      steps.push({ slot: -1, signed: signed.subarray(0, signed.length - SIGNED_MESSAGE_END_BYTES), serialized: serializeEntries(run), count: run.length });
      run = [];
    };
    for (const item of items) {
      if (item.value !== undefined) {
        run.push({ key: item.key, value: item.value, escapes: -1 });
        continue;
      }
      endRun();
      const escapedKey = new Uint8Array(item.key.length + escapeCount(item.key));
      writeEscaped(escapedKey, 0, item.key);
      steps.push({ slot: item.slot, key: item.key, escapedKey, signed: slotKeys[item.slot] !== SIGNATURE_KEY });
    }
    endRun();
    this.#steps = steps;
    this.#slotCount = slotKeys.length;
    let signedLength = 0;
    let serializedLength = 0;
    let count = 0;
    for (const step of steps) {
      if (step.slot !== -1) continue;
      signedLength += (step as FixedRun).signed.length;
      serializedLength += (step as FixedRun).serialized.length;
      count += (step as FixedRun).count;
    }
    this.#fixedSignedLength = signedLength;
    this.#fixedSerializedLength = serializedLength;
    this.#fixedCount = count;
  }

  /** Length in bytes of the serialized form with these slot values. */
  serializedLength(values: readonly SlotValue[]): number {
    const plain = values.every((value) => typeof value !== 'string' || isPlain(value));
    return this.#fixedSerializedLength + slotsLength(plain ? values : asBytes(values), this.#steps, false);
  }

  /** The serialized form with these slot values (one per slot, by slot number). */
  serialize(values: readonly SlotValue[]): SerializedEntries {
    return this.#write(values, false).draft.complete([]);
  }

  /** The message to sign and the serialized form with these slot values; see `PreparedEntries`. */
  prepare(values: readonly SlotValue[]): PreparedEntries {
    return this.#write(values, true);
  }

  #write(values: readonly SlotValue[], withMessage: boolean): PreparedEntries {
    if (values.length !== this.#slotCount) throw new InvalidArgumentError(`${this.#slotCount} slot values expected, got ${values.length}`);
    // Text is first taken as ASCII needing no escape; if any is not, all of it is written as bytes.
    return this.#tryWrite(values, withMessage) ?? this.#tryWrite(asBytes(values), withMessage)!;
  }

  #tryWrite(values: readonly SlotValue[], withMessage: boolean): PreparedEntries | null {
    const serializedLength = slotsLength(values, this.#steps, false);
    const out = new Uint8Array(this.#fixedSerializedLength + serializedLength);
    const message = withMessage
      ? new Uint8Array(this.#fixedSignedLength + slotsLength(values, this.#steps, true) + SIGNED_MESSAGE_END_BYTES)
      : EMPTY;
    const messageValueEnds = new Int32Array(values.length).fill(-1);
    // per slot: where its value starts and ends in `out`, and whether it was written escaped
    const spans = new Int32Array(values.length * 2).fill(-1);
    const escapedSlots = new Uint8Array(values.length);
    let o = 0;
    let m = 0;
    let count = this.#fixedCount;
    for (const step of this.#steps) {
      if (step.slot === -1) {
        const run = step as FixedRun;
        out.set(run.serialized, o);
        o += run.serialized.length;
        if (withMessage) {
          message.set(run.signed, m);
          m += run.signed.length;
        }
        continue;
      }
      const slot = step as SlotStep;
      const value = values[slot.slot];
      if (value === undefined) continue;
      o = copyBytes(out, o, slot.escapedKey);
      out[o++] = EQUALS;
      const start = o;
      if (typeof value === 'string') {
        o = writePlain(out, o, value);
        if (o < 0) return null;
      } else {
        o = writeEscaped(out, o, value);
        escapedSlots[slot.slot] = o - start === value.length ? 0 : 1;
      }
      spans[slot.slot * 2] = start;
      spans[slot.slot * 2 + 1] = o;
      out[o++] = LF;
      if (withMessage && slot.signed) {
        m = copyBytes(message, m, slot.key);
        message[m++] = EQUALS;
        // the value's bytes unescaped: its text, or the same bytes the serialized form has when plain
        if (typeof value === 'string' || escapedSlots[slot.slot] === 0) m = copyBytes(message, m, out.subarray(start, spans[slot.slot * 2 + 1]));
        else m = copyBytes(message, m, value);
        messageValueEnds[slot.slot] = m;
        message[m++] = NUL;
        count++;
      }
    }
    if (withMessage) writeSignedMessageEnd(message, m, count);
    return { message, draft: new SerializedDraft(out, spans, escapedSlots), messageValueEnds };
  }
}

/**
 * A serialized form whose slot values may end in places for signatures: `complete` writes each
 * signature's hex over the end of its slot's value (hex over hex, so the form stays canonical).
 */
export class SerializedDraft {
  readonly #bytes: Uint8Array;
  readonly #spans: Int32Array;
  readonly #escapedSlots: Uint8Array;
  #handedOut = false;

  /** Made by `EntryLayout` only (its arguments are its own bookkeeping). */
  constructor(bytes: Uint8Array, spans: Int32Array, escapedSlots: Uint8Array) {
    this.#bytes = bytes;
    this.#spans = spans;
    this.#escapedSlots = escapedSlots;
  }

  get byteLength(): number {
    return this.#bytes.length;
  }

  /** Whether `slot`'s value ends in `hexDigits` hex digits that `complete` may replace. */
  hasPlace(slot: number, hexDigits: number): boolean {
    const start = this.#spans[slot * 2] ?? -1;
    const end = this.#spans[slot * 2 + 1] ?? -1;
    if (start < 0 || this.#escapedSlots[slot] === 1 || end - start < hexDigits) return false;
    for (let i = end - hexDigits; i < end; i++) if (!isHexDigit(this.#bytes[i]!)) return false;
    return true;
  }

  /**
   * The serialized form with the lower-case hex of each 96-byte signature written over the end of
   * its slot's value (a place `hasPlace(slot, 192)` confirms; else InvalidArgumentError). The
   * first call keeps this draft's bytes, later ones a copy, so no result ever changes.
   */
  complete(signatures: ReadonlyArray<readonly [slot: number, signature: Uint8Array]>): SerializedEntries {
    for (const [slot, signature] of signatures) {
      if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES || !this.hasPlace(slot, SIGNATURE_BYTES * 2)) {
        throw new InvalidArgumentError(`no place for a ${SIGNATURE_BYTES}-byte signature in slot ${slot}`);
      }
    }
    const bytes = this.#handedOut ? this.#bytes.slice() : this.#bytes;
    this.#handedOut = true;
    for (const [slot, signature] of signatures) writeSignatureHex(bytes, this.#spans[slot * 2 + 1]! - SIGNATURE_BYTES * 2, signature);
    return new SerializedEntries(sealed, bytes);
  }
}

const SIGNATURE_BYTES = 96;
const EMPTY = new Uint8Array(0);

function isHexDigit(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46);
}

/** Length of the slots' entries in one form, text taken as plain ASCII (its length in code units). */
function slotsLength(values: readonly SlotValue[], steps: readonly Step[], signedForm: boolean): number {
  let length = 0;
  for (const step of steps) {
    if (step.slot === -1) continue;
    const slot = step as SlotStep;
    const value = values[slot.slot];
    if (value === undefined || (signedForm && !slot.signed)) continue;
    const key = signedForm ? slot.key : slot.escapedKey;
    if (typeof value === 'string') length += key.length + value.length + 2;
    else length += key.length + value.length + (signedForm ? 0 : escapeCount(value)) + 2;
  }
  return length;
}

const utf8Encoder = new TextEncoder();

function asBytes(values: readonly SlotValue[]): SlotValue[] {
  return values.map((value) => (typeof value === 'string' ? utf8Encoder.encode(value) : value));
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
function writeSignedEntry(out: Uint8Array, start: number, key: Uint8Array, value: Uint8Array): number {
  let at = copyBytes(out, start, key);
  out[at++] = EQUALS;
  at = copyBytes(out, at, value);
  out[at++] = NUL;
  return at;
}

/** Writes the end of a message to sign, 0xff then BE32(`count`), at `at`. */
function writeSignedMessageEnd(message: Uint8Array, at: number, count: number): void {
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

function writeEscaped(out: Uint8Array, start: number, bytes: Uint8Array): number {
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
function copyBytes(out: Uint8Array, at: number, bytes: Uint8Array): number {
  const length = bytes.length;
  if (length > 24) out.set(bytes, at);
  else for (let i = 0; i < length; i++) out[at + i] = bytes[i]!;
  return at + length;
}

/** Memcmp order. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Matches text holding a character `esc` writes as two. */
const ESCAPED_CHARACTER = /[\0\r\n=\\]/;
const NOT_ASCII = /[^\x00-\x7f]/;

/** True when the text is ASCII and needs no escape: its serialized bytes are its code units. */
function isPlain(text: string): boolean {
  return !ESCAPED_CHARACTER.test(text) && !NOT_ASCII.test(text);
}
const asciiEncoder = new TextEncoder();

/**
 * Writes text that is ASCII and needs no escape one byte per code unit; -1 (having written some of
 * it) when it is anything else. Long text goes through `encodeInto`, many times faster than a loop
 * over its code units.
 */
function writePlain(out: Uint8Array, at: number, text: string): number {
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
