/**
 * Work run soon: after the current task and its promise callbacks, before timers where the runtime
 * can, and once however often it is asked for meanwhile. Shared by every layer that batches work.
 */

/** Runs `fn` soon (Node's setImmediate; a zero-delay timer elsewhere). */
export const scheduleSoon: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0);

/**
 * A function that schedules `fn` with scheduleSoon unless it is already scheduled: however often
 * it is called before `fn` runs, `fn` runs once (for batches that fill up until the next turn).
 */
export function coalescedSoon(fn: () => void): () => void {
  let scheduled = false;
  const run = (): void => {
    scheduled = false;
    fn();
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    scheduleSoon(run);
  };
}
