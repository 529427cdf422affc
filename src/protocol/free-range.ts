/**
 * Finding the first free value in a range when the taken values can be read in ascending order
 * from an index: ask for the taken values at or above a point, a batch at a time, and stop at the
 * first gap. Used for addresses in a pool (master.md §3) and network numbers (protocol.md §1).
 */

/** Taken values within [from, to], ascending, at most `limit` of them. */
export type TakenInRange = (from: bigint, to: bigint, limit: number) => bigint[];

/** The first batch is small (a gap is usually near); batches double while the run goes on. */
const FIRST_BATCH = 64;
const MAX_BATCH = 16384;

/** The lowest value in [from, to] that is not taken, or null when all are. */
export function firstFreeInRange(from: bigint, to: bigint, taken: TakenInRange): bigint | null {
  let expected = from;
  let batch = FIRST_BATCH;
  while (expected <= to) {
    const values = taken(expected, to, batch);
    for (const value of values) {
      if (value > expected) return expected;
      if (value === expected) expected = value + 1n;
    }
    if (values.length < batch) break;
    batch = Math.min(batch * 2, MAX_BATCH);
  }
  return expected <= to ? expected : null;
}

/** The lowest free value in [from, to], or null. */
export type FirstFreeInRange = (from: bigint, to: bigint) => bigint | null;

/** The first free value scanning from `start` to `last`, then wrapping to [first, start - 1]. */
export function firstFreeWrapping(first: bigint, last: bigint, start: bigint, firstFree: FirstFreeInRange): bigint | null {
  const found = firstFree(start, last);
  if (found !== null || start <= first) return found;
  return firstFree(first, start - 1n);
}
