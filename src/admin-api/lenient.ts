/**
 * Readers of POST bodies, and the lenient JSON forms ZeroTier's controller accepts: booleans may
 * come as numbers or strings (HTML forms send "true"), integers as strings, and `null` counts as
 * absent. A reader takes a value and its path (`routes.0.target`) and returns the value read, or
 * throws a FieldError naming that path; `object` keeps only the keys it knows, at every depth.
 */
import { InvalidArgumentError } from '../errors.js';

/** A POST field this master cannot take: answered 400, the field named, nothing changed. */
export class FieldError extends InvalidArgumentError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

export type Reader<T> = (value: unknown, path: string) => T;
export type ReaderOutput<R> = R extends Reader<infer T> ? T : never;

const at = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

export const string: Reader<string> = (value, path) => {
  if (typeof value !== 'string') throw new FieldError(path, 'must be a string');
  return value;
};

export const unknown: Reader<unknown> = (value) => value;

/** An object read key by key; keys it does not know are left out of the result. */
export function object<S extends Record<string, Reader<unknown>>>(
  shape: S,
): Reader<{ [K in keyof S]: ReaderOutput<S[K]> }> & { readonly fields: readonly (keyof S & string)[] } {
  const fields = Object.keys(shape);
  const read = (value: unknown, path: string) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new FieldError(path, 'must be an object');
    const out: Record<string, unknown> = {};
    for (const key of fields) out[key] = shape[key]!((value as Record<string, unknown>)[key], at(path, key));
    return out as { [K in keyof S]: ReaderOutput<S[K]> };
  };
  return Object.assign(read, { fields });
}

/**
 * The first reader that takes the value. When none does, the complaint of the first one whose
 * outer type matched (its problem lies deeper, at a longer path), else `message`.
 */
export function union<R extends Reader<unknown>[]>(readers: R, message: string): Reader<ReaderOutput<R[number]>> {
  return (value, path) => {
    let deeper: FieldError | undefined;
    for (const read of readers) {
      try {
        return read(value, path) as ReaderOutput<R[number]>;
      } catch (error) {
        if (!(error instanceof FieldError)) throw error;
        if (error.field !== path) deeper ??= error;
      }
    }
    throw deeper ?? new FieldError(path, message);
  };
}

/** One of the given strings. */
export function picklist<const T extends readonly string[]>(options: T, message: string): Reader<T[number]> {
  return (value, path) => {
    if (!options.includes(value as string)) throw new FieldError(path, message);
    return value as T[number];
  };
}

/** A boolean, a number (> 0 is true), or a string (true when it starts with t, T or 1). */
export const lenientBoolean: Reader<boolean> = (value, path) => {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value > 0;
  if (typeof value === 'string') return /^[tT1]/.test(value);
  throw new FieldError(path, 'must be a boolean (or a number, or a string such as "true")');
};

/** An integer, or a string holding one in decimal. */
export const lenientInteger: Reader<number> = (value, path) => {
  const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value.trim()) : value;
  if (typeof number !== 'number') throw new FieldError(path, 'must be an integer (or a string of digits)');
  if (!Number.isSafeInteger(number)) throw new FieldError(path, 'must be an integer');
  return number;
};

/** ZeroTier caps every array it reads at 16,384 entries. */
export const MAX_ARRAY_ENTRIES = 16_384;

export function cappedArray<T>(item: Reader<T>): Reader<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) throw new FieldError(path, 'must be an array');
    if (value.length > MAX_ARRAY_ENTRIES) throw new FieldError(path, `at most ${MAX_ARRAY_ENTRIES} entries`);
    return value.map((entry, index) => item(entry, at(path, index)));
  };
}

/** A key that may be absent or null (both mean "leave it as it is"). */
export function maybe<T>(read: Reader<T>): Reader<T | null | undefined> {
  return (value, path) => (value == null ? value : read(value, path));
}

/** Reads a body (a JSON object) with a reader. */
export function readBody<T>(read: Reader<T>, body: unknown): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidArgumentError('the body must be a JSON object');
  }
  return read(body, '');
}
