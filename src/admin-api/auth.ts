/**
 * Who may call the admin API: tokens with a name and a scope, read from where ZeroTier's clients
 * put them, compared in constant time. A token's text never leaves this file: errors, logs and
 * metrics only ever see its name.
 */
import { sha256 } from '@noble/hashes/sha2.js';

/** `admin` may change anything; `read` may only look (monitoring, dashboards). */
export type TokenScope = 'admin' | 'read';

export interface AdminToken {
  /** A label for logs and metrics (never the secret). */
  name: string;
  /** The secret text clients send. */
  token: string;
  scope: TokenScope;
}

/** A token as compared: its digest, so every comparison takes the same time whatever the length. */
interface KnownToken {
  name: string;
  scope: TokenScope;
  digest: Uint8Array;
}

export interface TokenHolder {
  name: string;
  scope: TokenScope;
}

/**
 * The token a request carries, from the first place that has one, in ZeroTier's order: the
 * `X-ZT1-Auth` header, the `auth` query parameter, `Authorization: Bearer <token>`.
 */
export function presentedToken(request: Request, url: URL): string | null {
  const header = request.headers.get('x-zt1-auth');
  if (header !== null) return header.trim();
  const query = url.searchParams.get('auth');
  if (query !== null) return query.trim();
  const authorization = request.headers.get('authorization');
  if (authorization !== null) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1]!.trim();
  }
  return null;
}

/** Prepares the token list once; `find` then answers which token (if any) was presented. */
export function tokenMatcher(tokens: readonly AdminToken[]): (presented: string | null) => TokenHolder | null {
  const known: KnownToken[] = tokens.map((token) => ({ name: token.name, scope: token.scope, digest: digest(token.token) }));
  return (presented) => {
    if (presented === null || presented === '') return null;
    const candidate = digest(presented);
    let found: KnownToken | null = null;
    // Every token is compared, all the way: the time taken tells nothing about which one matched.
    for (const token of known) {
      if (sameBytes(token.digest, candidate) && found === null) found = token;
    }
    return found === null ? null : { name: found.name, scope: found.scope };
  };
}

function digest(text: string): Uint8Array {
  return sha256(new TextEncoder().encode(text));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ (b[i] ?? 0);
  return difference === 0;
}
