/**
 * The admin service's token files, beside the database:
 *
 * - `authtoken.secret`: ZeroTier's form, 24 characters of [a-z0-9], no trailing newline, mode 0600.
 *   Clients send the file's bytes as the `X-ZT1-Auth` header. Its scope is `admin`.
 * - `admin-tokens.secret` (optional): more tokens, each with a name and a scope, one per line:
 *   `<name> <admin|read> <token>`; blank lines and lines starting with `#` are ignored. Names are
 *   [A-Za-z0-9._-], tokens at least 16 printable characters without spaces. Keep it mode 0600.
 */
import { randomInt } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AdminToken, TokenScope } from '../admin-api/auth.js';
import { InvalidArgumentError } from '../errors.js';

export const AUTHTOKEN_FILE = 'authtoken.secret';
export const NAMED_TOKENS_FILE = 'admin-tokens.secret';
const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const AUTHTOKEN_LENGTH = 24;

/** A fresh token in ZeroTier's form: 24 characters of [a-z0-9], uniformly drawn. */
export function generateAuthToken(): string {
  let token = '';
  for (let i = 0; i < AUTHTOKEN_LENGTH; i++) token += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return token;
}

/** The token files that go with a database file: both in its folder. */
export function tokenFilesBeside(databasePath: string): { authtoken: string; named: string } {
  const folder = dirname(databasePath);
  return { authtoken: join(folder, AUTHTOKEN_FILE), named: join(folder, NAMED_TOKENS_FILE) };
}

/**
 * Reads `authtoken.secret`, creating it (mode 0600, no trailing newline) when it does not exist.
 * Answers the token and whether it was created.
 */
export async function ensureAuthTokenFile(path: string): Promise<{ token: string; created: boolean }> {
  const existing = await readAuthTokenFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (existing !== null) return { token: existing, created: false };
  const token = generateAuthToken();
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    // Another process made it in the meantime: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { token: await readAuthTokenFile(path), created: false };
    throw error;
  }
  try {
    await handle.writeFile(token);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { token, created: true };
}

/** The token in an `authtoken.secret` (surrounding white space ignored, as ZeroTier does). */
export async function readAuthTokenFile(path: string): Promise<string> {
  const token = (await readFile(path, 'utf8')).trim();
  if (token.length === 0) throw new InvalidArgumentError(`${path} is empty`);
  return token;
}

/** Reads a named-tokens file; a file that does not exist holds no tokens. */
export async function readNamedTokensFile(path: string): Promise<AdminToken[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return parseNamedTokens(text, path);
}

export function parseNamedTokens(text: string, source = 'tokens'): AdminToken[] {
  const tokens: AdminToken[] = [];
  const names = new Set<string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${source} line ${index + 1}`;
    const parts = line.split(/\s+/);
    // The token's text is never quoted back: an error names the line only.
    if (parts.length !== 3) throw new InvalidArgumentError(`${where}: expected "<name> <admin|read> <token>"`);
    const [name, scope, token] = parts as [string, string, string];
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new InvalidArgumentError(`${where}: a name is 1-64 of [A-Za-z0-9._-]`);
    if (names.has(name)) throw new InvalidArgumentError(`${where}: the name ${name} is given twice`);
    if (scope !== 'admin' && scope !== 'read') throw new InvalidArgumentError(`${where}: the scope must be admin or read`);
    if (!/^[\x21-\x7e]{16,}$/.test(token)) throw new InvalidArgumentError(`${where}: a token is at least 16 printable characters`);
    names.add(name);
    tokens.push({ name, scope: scope as TokenScope, token });
  });
  return tokens;
}

/**
 * Every token the service accepts for a database: `authtoken.secret` (admin; created when
 * missing) and the named tokens beside it.
 */
export async function loadAdminTokens(databasePath: string): Promise<{ tokens: AdminToken[]; authtokenCreated: boolean; authtokenPath: string }> {
  const files = tokenFilesBeside(databasePath);
  const { token, created } = await ensureAuthTokenFile(files.authtoken);
  const named = await readNamedTokensFile(files.named);
  return { tokens: [{ name: AUTHTOKEN_FILE, scope: 'admin', token }, ...named], authtokenCreated: created, authtokenPath: files.authtoken };
}
