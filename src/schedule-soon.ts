/**
 * Runs `fn` after the current task and its promise callbacks, before timers where the runtime can
 * (Node's setImmediate; a zero-delay timer elsewhere). Shared by every layer that batches work.
 */
export const scheduleSoon: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0);
