/**
 * Byte parts regrouped for writing: small ones joined so that a file of many thousand log frames
 * is written in a few calls, large ones passed on as they are, and never one copy of the whole.
 */

/** `parts` in order, runs of small ones joined into pieces of at least `size` bytes (the last may be less). */
export function* inPieces(parts: readonly Uint8Array[], size: number): Generator<Uint8Array> {
  let run: Uint8Array[] = [];
  let runLength = 0;
  const join = (): Uint8Array => {
    const out = run.length === 1 ? run[0]! : new Uint8Array(runLength);
    if (run.length > 1) {
      let offset = 0;
      for (const part of run) {
        out.set(part, offset);
        offset += part.length;
      }
    }
    run = [];
    runLength = 0;
    return out;
  };
  for (const part of parts) {
    run.push(part);
    runLength += part.length;
    if (runLength >= size) yield join();
  }
  if (runLength > 0) yield join();
}
