/**
 * The CLI's side of the admin API's token file (`authtoken.secret`, see src/node/token-files.ts):
 * where it is by default, and reading or creating it with the CLI's exit codes.
 */
import { ensureAuthTokenFile, readAuthTokenFile, tokenFilesBeside } from '../node/token-files.js';
import { CliError, ExitCode } from './exit-codes.js';

/** Where the token lives when no --token-file is given: beside the database. */
export function defaultAuthTokenPath(databasePath: string): string {
  return tokenFilesBeside(databasePath).authtoken;
}

/** Writes a new token (mode 0600) unless the file exists; returns whether it wrote one. */
export async function writeAuthTokenIfMissing(path: string): Promise<boolean> {
  try {
    return (await ensureAuthTokenFile(path)).created;
  } catch (error) {
    throw new CliError(ExitCode.IDENTITY, `cannot write ${path}: ${(error as Error).message}`);
  }
}

/** Reads the token a remote command sends (surrounding white space dropped). */
export async function readAuthToken(path: string): Promise<string> {
  try {
    return await readAuthTokenFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      ExitCode.IDENTITY,
      code === 'ENOENT'
        ? `no admin token at ${path} (the master's "init" or "serve" writes it beside the database; pass --token-file <path>)`
        : code === 'ERR_INVALID_ARGUMENT'
          ? `admin token file ${path} is empty`
          : `cannot read admin token ${path}: ${(error as Error).message}`,
    );
  }
}
