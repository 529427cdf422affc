/**
 * Exit codes of the `zt-netconf-master` command. Scripts branch on these, so they never change
 * meaning; docs/operations.md lists them.
 */
import {
  ConflictError,
  InvalidArgumentError,
  LimitExceededError,
  NotFoundError,
  ParseError,
  StorageError,
} from '../errors.js';

export const ExitCode = {
  /** The command did what was asked. */
  OK: 0,
  /** Usage error or bad input: unknown command or option, malformed ID, address or CIDR, unknown network. */
  BAD_INPUT: 1,
  /** The database is missing, locked by another process, not a netconf database, damaged or unwritable. */
  STORAGE: 2,
  /** The master identity file is missing, unreadable or not a valid identity with its private key. */
  IDENTITY: 3,
  /** An unexpected failure: a bug; the message says what happened. */
  INTERNAL: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The error code `--json` reports for a CLI failure that names none, by exit code. */
const CODE_BY_EXIT: Readonly<Record<ExitCode, string>> = {
  [ExitCode.OK]: 'OK',
  [ExitCode.BAD_INPUT]: 'ERR_INVALID_ARGUMENT',
  [ExitCode.STORAGE]: 'ERR_STORAGE',
  [ExitCode.IDENTITY]: 'ERR_IDENTITY',
  [ExitCode.INTERNAL]: 'ERR_INTERNAL',
};

/** A failure the CLI reports as one line on stderr with a chosen exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** A stable code in the library's style (`--json` prints it). */
  readonly code: string;
  constructor(exitCode: ExitCode, message: string, code: string = CODE_BY_EXIT[exitCode]) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.code = code;
  }
}

/** A Node.js system error (ENOENT, EACCES, EISDIR, ...) from the file system or the network. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return error instanceof Error && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
}

/** Chooses the exit code for an error thrown by the library or the CLI itself. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof StorageError) return ExitCode.STORAGE;
  if (
    error instanceof ParseError ||
    error instanceof InvalidArgumentError ||
    error instanceof NotFoundError ||
    error instanceof ConflictError ||
    error instanceof LimitExceededError
  ) {
    return ExitCode.BAD_INPUT;
  }
  // A file the system refused (permissions, a read-only or full disk) is a storage problem, not a bug.
  if (isSystemError(error)) return ExitCode.STORAGE;
  return ExitCode.INTERNAL;
}

/** The stable code of an error, for `--json`. */
export function errorCodeFor(error: unknown): string {
  if (error instanceof CliError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return CODE_BY_EXIT[exitCodeFor(error)];
}
