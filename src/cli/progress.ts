/**
 * A progress line on stderr for slow work (identity generation takes seconds; a migration or a
 * backup of a big database may too): redrawn in place on a terminal, printed sparsely otherwise
 * so logs stay short. Work that may be quick uses `startDelayedProgress`, which says nothing
 * unless the work is still running after a moment.
 */
import type { CliIo } from './io.js';

export interface Progress {
  update(detail: string): void;
  done(finalText: string): void;
}

const QUIET: Progress = { update: () => undefined, done: () => undefined };

export function startProgress(io: CliIo, label: string, quiet: boolean): Progress {
  const spinner = ['|', '/', '-', '\\'];
  let step = 0;
  if (quiet) return QUIET;
  if (!io.errIsTty) io.err(`${label}...\n`);
  return {
    update(detail) {
      if (!io.errIsTty) return;
      io.err(`\r${spinner[step++ % spinner.length]} ${label}... ${detail}\x1b[K`);
    },
    done(finalText) {
      io.err(io.errIsTty ? `\r${finalText}\x1b[K\n` : `${finalText}\n`);
    },
  };
}

export interface DelayedProgressOptions {
  /** Say nothing at all (--json). */
  quiet: boolean;
  /** How long the work may take before a line appears (ms). */
  delayMs: number;
}

/**
 * Runs `work`; if it is still running after `delayMs`, shows `label` (and `update` details) until
 * it ends, then a final line saying how long it took.
 */
export async function withDelayedProgress<T>(
  io: CliIo,
  label: string,
  options: DelayedProgressOptions,
  work: (progress: Pick<Progress, 'update'>) => Promise<T>,
): Promise<T> {
  if (options.quiet) return work(QUIET);
  const started = Date.now();
  let shown: Progress | undefined;
  let lastDetail = '';
  const timer = setTimeout(() => {
    shown = startProgress(io, label, false);
    if (lastDetail) shown.update(lastDetail);
  }, options.delayMs);
  try {
    return await work({
      update: (detail) => {
        lastDetail = detail;
        shown?.update(detail);
      },
    });
  } finally {
    clearTimeout(timer);
    shown?.done(`${label}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** How long work runs before the CLI says what it is doing. */
export const PROGRESS_DELAY_MS = 1000;
