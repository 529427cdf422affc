/**
 * A set of dictionary entries fixed for many dictionaries, with slots between them that each
 * dictionary fills (a netconf template: the network's entries, and each member's own). The fixed
 * entries are written once in both §4 forms (protocol.md §4) by the dictionary writer, so a
 * dictionary of them is made by copying those runs and writing only the slots' entries, with the
 * writer's own pieces. What a layout writes reaches `Dictionary.fromSerialized` as
 * `SerializedEntries`, which only this module makes: every such form is exactly what `Dictionary`
 * itself writes for the same entries.
 */
import { InvalidArgumentError } from '../errors.js';
import { C25519_SIGNATURE_BYTES, writeSignatureHex } from '../crypto/c25519.js';
import {
  EQUALS, LF, SIGNATURE_KEY, SIGNED_MESSAGE_END_BYTES, copyBytes, escapeCount, isPlain, serializeEntries, signingMessage,
  writeEscaped, writePlain, writeSignedEntry, writeSignedMessageEnd, type WrittenEntry,
} from './dictionary-writer.js';

const sealed: unique symbol = Symbol('written by an EntryLayout');

/** A serialized form an `EntryLayout` wrote: canonical (what `Dictionary` writes for the same entries). */
export class SerializedEntries {
  readonly #bytes: Uint8Array;

  /** Made only here: the token is not exported. */
  constructor(token: typeof sealed, bytes: Uint8Array) {
    if (token !== sealed) throw new InvalidArgumentError('serialized entries are made by an EntryLayout only');
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
   * keys; a slot keyed `~!ed25519` is the signature's (never a fixed entry). A key given twice →
   * InvalidArgumentError.
   */
  constructor(fixed: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, slotKeys: readonly string[]) {
    type Item = { key: Uint8Array; slot: number; value?: Uint8Array };
    const items: Item[] = fixed.map(([key, value]) => ({ key: key.slice(), value: value.slice(), slot: -1 }));
    slotKeys.forEach((key, slot) => items.push({ key: new TextEncoder().encode(key), slot }));
    items.sort((a, b) => compareBytes(a.key, b.key));
    if (fixed.some(([key]) => key.length === SIGNATURE_KEY.length && new TextDecoder().decode(key) === SIGNATURE_KEY)) {
      throw new InvalidArgumentError('the signature entry is a slot of a layout, never one of its fixed entries');
    }
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
        // the value's bytes unescaped: when written plain, the very bytes just serialized
        const raw = typeof value === 'string' || escapedSlots[slot.slot] === 0 ? out.subarray(start, spans[slot.slot * 2 + 1]) : value;
        m = writeSignedEntry(message, m, slot.key, raw);
        messageValueEnds[slot.slot] = m - 1;
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
      if (!(signature instanceof Uint8Array) || signature.length !== C25519_SIGNATURE_BYTES || !this.hasPlace(slot, C25519_SIGNATURE_BYTES * 2)) {
        throw new InvalidArgumentError(`no place for a ${C25519_SIGNATURE_BYTES}-byte signature in slot ${slot}`);
      }
    }
    const bytes = this.#handedOut ? this.#bytes.slice() : this.#bytes;
    this.#handedOut = true;
    for (const [slot, signature] of signatures) writeSignatureHex(bytes, this.#spans[slot * 2 + 1]! - C25519_SIGNATURE_BYTES * 2, signature);
    return new SerializedEntries(sealed, bytes);
  }
}


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


/** Memcmp order. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

