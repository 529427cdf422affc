/**
 * The lenient JSON forms ZeroTier's controller accepts, as valibot schemas: booleans may come as
 * numbers or strings (HTML forms send "true"), integers as strings, and `null` counts as absent.
 */
import * as v from 'valibot';

/** A boolean, a number (> 0 is true), or a string (true when it starts with t, T or 1). */
export const lenientBoolean = v.pipe(
  v.union([v.boolean(), v.number(), v.string()], 'must be a boolean (or a number, or a string such as "true")'),
  v.transform((value): boolean => {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') return value > 0;
    return /^[tT1]/.test(value);
  }),
);

/** An integer, or a string holding one in decimal. */
export const lenientInteger = v.pipe(
  v.union([v.number(), v.pipe(v.string(), v.regex(/^\s*-?\d+\s*$/))], 'must be an integer (or a string of digits)'),
  v.transform((value): number => (typeof value === 'number' ? value : Number(value.trim()))),
  v.safeInteger('must be an integer'),
);

/** ZeroTier caps every array it reads at 16,384 entries. */
export const MAX_ARRAY_ENTRIES = 16_384;

export function cappedArray<T extends v.GenericSchema>(item: T) {
  return v.pipe(v.array(item, 'must be an array'), v.maxLength(MAX_ARRAY_ENTRIES, `at most ${MAX_ARRAY_ENTRIES} entries`));
}

/** A key that may be absent or null (both mean "leave it as it is"). */
export function maybe<T extends v.GenericSchema>(schema: T) {
  return v.nullish(schema);
}
