/** Where the CLI writes. Tests and embedding programs pass their own; the binary passes the process's. */
export interface CliIo {
  /** Results: tables, IDs, JSON. */
  out(text: string): void;
  /** Errors, warnings and progress. */
  err(text: string): void;
  /** Whether stderr is a terminal (progress is redrawn in place only then). */
  errIsTty: boolean;
}

export function processIo(): CliIo {
  // `zt-netconf-master network list | head`: a reader that stops early is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    errIsTty: Boolean(process.stderr.isTTY),
  };
}
