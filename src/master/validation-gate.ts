/**
 * Bounds the identity validations (one memory-hard hash each) in flight per source address, so
 * that a flood of new identities from one place waits its turn instead of taking every worker,
 * while requests from known members, which need no validation, go on. The source is the IP of the
 * request's physical address (`ip/port`: one host, whatever its ports); relayed requests, which
 * have none, share one bucket.
 */
const RELAYED = '';

export class ValidationGate {
  /** Per source: validations running, and those waiting for a slot (first in, first served). */
  readonly #sources = new Map<string, { running: number; waiting: Array<() => void> }>();

  constructor(private readonly perSource: number) {}

  /** Runs `validate` once fewer than `perSource` validations from `fromAddr`'s source are running. */
  async run<T>(fromAddr: string | null, validate: () => Promise<T>): Promise<T> {
    const key = sourceOf(fromAddr);
    let source = this.#sources.get(key);
    if (source === undefined) this.#sources.set(key, (source = { running: 0, waiting: [] }));
    if (source.running >= this.perSource) await new Promise<void>((resolve) => source.waiting.push(resolve));
    else source.running++;
    try {
      return await validate();
    } finally {
      const next = source.waiting.shift();
      if (next !== undefined) next(); // the slot passes on
      else if (--source.running === 0) this.#sources.delete(key);
    }
  }
}

/** The IP of `ip/port` (the whole text when it has no port), or the shared bucket of relayed requests. */
function sourceOf(fromAddr: string | null): string {
  if (fromAddr === null) return RELAYED;
  const slash = fromAddr.lastIndexOf('/');
  return slash > 0 ? fromAddr.slice(0, slash) : fromAddr;
}
