/**
 * The admin API's error bodies (`{ error, code, description }`) back to the library's typed
 * errors, so a remote command exits with the code a local one would.
 */
import {
  ClosedError, ConflictError, CorruptDatabaseError, DatabaseLockedError, ExternalModificationError,
  InvalidArgumentError, LimitExceededError, NetconfError, NotANetconfDatabaseError, NotFoundError, ParseError,
  PersistenceError, SchemaTooNewError,
} from '../../errors.js';
import { CliError, ExitCode } from '../exit-codes.js';

const BY_CODE: Readonly<Record<string, (message: string) => Error>> = {
  ERR_PARSE: (message) => new ParseError(message),
  ERR_INVALID_ARGUMENT: (message) => new InvalidArgumentError(message),
  ERR_NOT_FOUND: (message) => new NotFoundError(message),
  ERR_CONFLICT: (message) => new ConflictError(message),
  ERR_LIMIT: (message) => new LimitExceededError(message),
  ERR_DB_LOCKED: (message) => new DatabaseLockedError(message),
  ERR_NOT_NETCONF_DB: (message) => new NotANetconfDatabaseError(message),
  ERR_DB_CORRUPT: (message) => new CorruptDatabaseError(message),
  ERR_SCHEMA_TOO_NEW: (message) => new SchemaTooNewError(message),
  ERR_PERSISTENCE: (message) => new PersistenceError(message),
  ERR_EXTERNAL_MODIFICATION: (message) => new ExternalModificationError(message),
  ERR_CLOSED: (message) => new ClosedError(message),
};

export interface ErrorAnswer {
  status: number;
  /** The parsed body, or undefined when it was not JSON. */
  body: unknown;
  /** What was asked, for the message: "GET /controller/network". */
  request: string;
  url: string;
}

/** The typed error an error answer stands for. */
export function errorFromAnswer(answer: ErrorAnswer): Error {
  const { status, body } = answer;
  if (status === 401) {
    return new CliError(ExitCode.IDENTITY, `the master at ${answer.url} refused the admin token (check --token-file)`);
  }
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = typeof fields.code === 'string' ? fields.code : '';
  const description =
    typeof fields.description === 'string' && fields.description !== ''
      ? fields.description
      : `${answer.request} answered ${status}`;
  if (status === 403) return new CliError(ExitCode.IDENTITY, `the admin token may not do this: ${description}`);
  const make = BY_CODE[code];
  if (make) return make(description);
  if (status === 404) return new NotFoundError(description);
  if (status === 400 || status === 413 || status === 422) return new InvalidArgumentError(description);
  return new NetconfError(code || `HTTP_${status}`, description);
}
