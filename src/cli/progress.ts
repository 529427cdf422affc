/**
 * A progress line on stderr for slow work (identity generation takes seconds): redrawn in place
 * on a terminal, printed sparsely otherwise so logs stay short.
 */
import type { CliIo } from './io.js';

export interface Progress {
  update(detail: string): void;
  done(finalText: string): void;
}

export function startProgress(io: CliIo, label: string, quiet: boolean): Progress {
  const spinner = ['|', '/', '-', '\\'];
  let step = 0;
  if (quiet) return { update: () => undefined, done: () => undefined };
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
