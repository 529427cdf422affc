/**
 * What a command works with: the global options, where it writes, and the admin client it
 * administers through: the local database (opened and locked for the command) or, with --url,
 * a running master's admin API. Every command calls the same client interface either way.
 */
import type { AdminClient } from './client/admin-client.js';
import { openLocalClient } from './client/local-client.js';
import { createRemoteClient } from './client/remote-client.js';
import { defaultAuthTokenPath, readAuthToken } from './auth-token.js';
import { CliError, ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { PROGRESS_DELAY_MS, withDelayedProgress } from './progress.js';

export interface GlobalOptions {
  db: string;
  identity: string;
  json: boolean;
  /** A running master's admin API; absent: work on the database file directly. */
  url?: string;
  /** The admin token file for --url; default authtoken.secret beside --db. */
  tokenFile?: string;
}

export interface CommandContext {
  io: CliIo;
  globals: GlobalOptions;
}

export async function openClient(context: CommandContext): Promise<AdminClient> {
  const { globals, io } = context;
  if (globals.url === undefined) {
    // Opening migrates an older database, which takes a while on a big one.
    return withDelayedProgress(io, `opening ${globals.db}`, { quiet: globals.json, delayMs: PROGRESS_DELAY_MS }, () =>
      openLocalClient({ db: globals.db, identity: globals.identity }),
    );
  }
  let url: URL;
  try {
    url = new URL(globals.url);
  } catch {
    throw new CliError(ExitCode.BAD_INPUT, `--url ${globals.url} is not a URL (expected such as http://127.0.0.1:9993)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(ExitCode.BAD_INPUT, `--url ${globals.url}: expected an http:// or https:// URL`);
  }
  const token = await readAuthToken(globals.tokenFile ?? defaultAuthTokenPath(globals.db));
  return createRemoteClient({ url: url.href, token });
}

/** Runs `fn` with the command's admin client; closes it (releasing any lock) whatever happens. */
export async function withClient<T>(context: CommandContext, fn: (client: AdminClient) => Promise<T>): Promise<T> {
  const client = await openClient(context);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Commands that work on files only this machine has (init, backup, restore) refuse --url. */
export function requireLocal(context: CommandContext, command: string): void {
  if (context.globals.url !== undefined) {
    throw new CliError(
      ExitCode.BAD_INPUT,
      `"${command}" works on the database file and cannot run with --url (run it where the database is)`,
    );
  }
}
