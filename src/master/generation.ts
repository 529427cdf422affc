/**
 * Ties an in-memory cache to the store's generation (NetconfStore.generation): the returned
 * check, called before each use, runs `reset` whenever the generation moved since the last call.
 */
export function generationCheck(current: () => number, reset: () => void): () => void {
  let seen: number | undefined;
  return () => {
    const now = current();
    if (now !== seen) {
      reset();
      seen = now;
    }
  };
}
