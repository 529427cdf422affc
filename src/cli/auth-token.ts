/**
 * The admin API's token file, `authtoken.secret` beside the database: 24 characters of [a-z0-9]
 * (ZeroTier's form) with no trailing newline, since clients send the file's bytes as the header.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CliError, ExitCode } from './exit-codes.js';

export const AUTH_TOKEN_FILE_NAME = 'authtoken.secret';
const TOKEN_LENGTH = 24;
const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Bytes at or above this would make some characters likelier than others. */
const UNBIASED_LIMIT = 256 - (256 % TOKEN_ALPHABET.length);

/** Where the token lives when no --token-file is given: beside the database. */
export function defaultAuthTokenPath(databasePath: string): string {
  return join(dirname(databasePath), AUTH_TOKEN_FILE_NAME);
}

/** A fresh token: 24 characters drawn uniformly from [a-z0-9]. */
export function generateAuthToken(random: (size: number) => Uint8Array = randomBytes): string {
  let token = '';
  while (token.length < TOKEN_LENGTH) {
    for (const byte of random(TOKEN_LENGTH * 2)) {
      if (byte < UNBIASED_LIMIT && token.length < TOKEN_LENGTH) token += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
    }
  }
  return token;
}

/** Writes a new token (mode 0600) unless the file exists; returns whether it wrote one. */
export async function writeAuthTokenIfMissing(path: string): Promise<boolean> {
  try {
    await writeFile(path, generateAuthToken(), { mode: 0o600, flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new CliError(ExitCode.IDENTITY, `cannot write ${path}: ${(error as Error).message}`);
  }
}

/** Reads the token a remote command sends (surrounding white space dropped). */
export async function readAuthToken(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      ExitCode.IDENTITY,
      code === 'ENOENT'
        ? `no admin token at ${path} (the master's "init" or "serve" writes it beside the database; pass --token-file <path>)`
        : `cannot read admin token ${path}: ${(error as Error).message}`,
    );
  }
  const token = text.trim();
  if (token === '') throw new CliError(ExitCode.IDENTITY, `admin token file ${path} is empty`);
  return token;
}
