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

/** A failure the CLI reports as one line on stderr with a chosen exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
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
  return ExitCode.INTERNAL;
}
