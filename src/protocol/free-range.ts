/**
 * Finding the first free value in a range when the taken values can be read in ascending order
 * from an index: ask for the taken values at or above a point, a batch at a time, and stop at the
 * first gap. Used for addresses in a pool (master.md §3) and network numbers (protocol.md §1).
 *
 * The search is a generator of queries (`searchFirstFree`), so one algorithm serves a caller that
 * answers at once (`firstFreeInRange`) and one whose storage answers later.
 */

/** Taken values within [from, to], ascending, at most `limit` of them. */
export type TakenInRange = (from: bigint, to: bigint, limit: number) => readonly bigint[];

/** A question of the search: the taken values within [from, to], ascending, at most `limit`. */
export interface TakenQuery {
  readonly from: bigint;
  readonly to: bigint;
  readonly limit: number;
}

/** The first batch is small (a gap is usually near); batches double while the run goes on. */
const FIRST_BATCH = 64;
const MAX_BATCH = 16384;

/**
 * The lowest value in [from, to] that is not taken, or null when all are: yields each query for
 * taken values and is resumed with its answer.
 */
export function* searchFirstFree(from: bigint, to: bigint): Generator<TakenQuery, bigint | null, readonly bigint[]> {
  let expected = from;
  let batch = FIRST_BATCH;
  while (expected <= to) {
    const values = yield { from: expected, to, limit: batch };
    for (const value of values) {
      if (value > expected) return expected;
      if (value === expected) expected = value + 1n;
    }
    if (values.length < batch) break;
    batch = Math.min(batch * 2, MAX_BATCH);
  }
  return expected <= to ? expected : null;
}

/** The lowest value in [from, to] that is not taken, or null when all are. */
export function firstFreeInRange(from: bigint, to: bigint, taken: TakenInRange): bigint | null {
  const search = searchFirstFree(from, to);
  let step = search.next();
  while (!step.done) step = search.next(taken(step.value.from, step.value.to, step.value.limit));
  return step.value;
}

/** The ranges a search starting at `start` covers, in order: [start, last], then the wrap [first, start - 1]. */
export function wrappingRanges(first: bigint, last: bigint, start: bigint): Array<readonly [bigint, bigint]> {
  return start <= first ? [[start, last]] : [[start, last], [first, start - 1n]];
}
