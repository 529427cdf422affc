/**
 * Join tokens: pre-authorization keys for a private network. A member presents one in its request
 * metadata under the key `a` as `token:<token>` (ZeroTier 1.2's convention); a good token admits a
 * member at first contact and spends one use (see request.ts, step 4).
 *
 * A token is `<id>.<secret>`: the id (16 hex digits) names it in lists and in the audit trail; the
 * secret (64 hex digits, 256 random bits) is shown once, at creation, and stored only as its SHA-256,
 * compared in constant time. Nothing else (lists, errors, audit entries, backups) ever holds it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import { Dictionary } from '../protocol/dictionary.js';
import { recordAudit } from './audit.js';
import type { MasterContext } from './context.js';
import { boundedText } from './settings.js';
import { call, type JoinTokenRow, type NetconfStoreReader, type StorageWork } from './store.js';
import { requireNetwork, requireNetworkId } from './admin.js';

export interface JoinTokenOptions {
  /** A label for lists (at most MAX_JOIN_TOKEN_NAME_BYTES bytes; default ''). */
  name?: string;
  /** When it stops admitting (ms since the epoch, on the master's clock); null or absent: never. */
  expiresAt?: number | null;
  /** How many members it may admit; null or absent: no limit. */
  maxUses?: number | null;
}

/** A new token: `token` is the only copy of the secret anywhere. */
export interface CreatedJoinToken {
  id: string;
  token: string;
}

/** A token as lists show it: never the secret. */
export interface JoinTokenInfo {
  id: string;
  name: string;
  createdAt: number;
  expiresAt: number | null;
  maxUses: number | null;
  uses: number;
  revoked: boolean;
}

export const MAX_JOIN_TOKEN_NAME_BYTES = 128;
/** The metadata key a member's credential comes under, and the prefix of a token's value. */
export const CREDENTIAL_METADATA_KEY = 'a';
const TOKEN_PREFIX = 'token:';
const ID_BYTES = 8;
const SECRET_BYTES = 32;
const TOKEN_PATTERN = /^([0-9a-f]{16})\.([0-9a-f]{64})$/;

export function checkJoinTokenOptions(options: JoinTokenOptions | undefined): Required<JoinTokenOptions> {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new InvalidArgumentError('join token options must be an object');
  }
  for (const key of Object.keys(options ?? {})) {
    if (key !== 'name' && key !== 'expiresAt' && key !== 'maxUses') throw new InvalidArgumentError(`unknown join token option ${JSON.stringify(key)}`);
  }
  const name = boundedText(options?.name ?? '', 'join token name', MAX_JOIN_TOKEN_NAME_BYTES);
  const expiresAt = options?.expiresAt ?? null;
  if (expiresAt !== null && (!Number.isSafeInteger(expiresAt) || expiresAt < 0)) {
    throw new InvalidArgumentError('expiresAt must be a time in ms since the epoch, or null');
  }
  const maxUses = options?.maxUses ?? null;
  if (maxUses !== null && (!Number.isSafeInteger(maxUses) || maxUses < 1)) {
    throw new InvalidArgumentError('maxUses must be a positive integer, or null');
  }
  return { name, expiresAt, maxUses };
}

export async function createJoinToken(context: MasterContext, nwid: string | bigint, options?: JoinTokenOptions): Promise<CreatedJoinToken> {
  const id = requireNetworkId(nwid);
  const checked = checkJoinTokenOptions(options);
  const { row, token } = newJoinToken(context, id, checked);
  await context.store.transaction(function* (tx) {
    yield* requireNetwork(tx, id);
    yield* call(tx.insertJoinToken(row));
    yield* recordAudit(context, tx, context.actor, {
      action: 'joinTokenCreated', nwid: id, before: undefined, after: joinTokenSnapshot(row),
    });
  });
  return { id: row.id, token };
}

export async function listJoinTokens(context: MasterContext, nwid: string | bigint): Promise<JoinTokenInfo[]> {
  const id = requireNetworkId(nwid);
  return context.store.read(function* (reader) {
    yield* requireNetwork(reader, id);
    return (yield* call(reader.listJoinTokens(id))).map(joinTokenInfo);
  });
}

/** Revokes a token: it admits nobody from now on (members it admitted stay). Revoking twice changes nothing. */
export async function revokeJoinToken(context: MasterContext, nwid: string | bigint, tokenId: string): Promise<void> {
  const id = requireNetworkId(nwid);
  const checkedId = checkJoinTokenId(tokenId);
  await context.store.transaction(function* (tx) {
    yield* requireNetwork(tx, id);
    const row = yield* requireJoinToken(tx, id, checkedId);
    if (!(yield* call(tx.revokeJoinToken(checkedId)))) return;
    yield* recordAudit(context, tx, context.actor, {
      action: 'joinTokenRevoked', nwid: id, subject: { tokenId: row.id },
      before: joinTokenSnapshot(row), after: joinTokenSnapshot({ ...row, revoked: true }),
    });
  });
}

/** A fresh token's row and its text (`<id>.<secret>`), from the master's random source. */
export function newJoinToken(context: MasterContext, nwid: string, options: Required<JoinTokenOptions>): { row: JoinTokenRow; token: string } {
  const bytes = context.random(ID_BYTES + SECRET_BYTES);
  if (!(bytes instanceof Uint8Array) || bytes.length < ID_BYTES + SECRET_BYTES) {
    throw new InvalidArgumentError('the random option must return the number of bytes asked for');
  }
  const id = bytesToHex(bytes.subarray(0, ID_BYTES));
  const secret = bytesToHex(bytes.subarray(ID_BYTES, ID_BYTES + SECRET_BYTES));
  const row: JoinTokenRow = {
    id,
    networkId: nwid,
    name: options.name,
    secretHash: secretHash(secret),
    createdAt: context.now(),
    expiresAt: options.expiresAt,
    maxUses: options.maxUses,
    uses: 0,
    revoked: false,
  };
  return { row, token: `${id}.${secret}` };
}

export function joinTokenInfo(row: JoinTokenRow): JoinTokenInfo {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    maxUses: row.maxUses,
    uses: row.uses,
    revoked: row.revoked,
  };
}

/** What audit entries say of a token: its public fields. */
export function joinTokenSnapshot(row: JoinTokenRow): Record<string, unknown> {
  return { tokenId: row.id, ...joinTokenInfo(row) };
}

/**
 * The token a request's metadata carries (the text after `token:` under key `a`), or undefined.
 * Metadata that cannot be read carries none.
 */
export function presentedJoinToken(metaData: Dictionary | Uint8Array | string | null | undefined): string | undefined {
  if (metaData === undefined || metaData === null) return undefined;
  let value: string | undefined;
  try {
    value = (metaData instanceof Dictionary ? metaData : Dictionary.parse(metaData)).get(CREDENTIAL_METADATA_KEY);
  } catch {
    return undefined;
  }
  return value !== undefined && value.startsWith(TOKEN_PREFIX) ? value.slice(TOKEN_PREFIX.length) : undefined;
}

/**
 * The network's token matching `text` if it exists and its secret matches (in constant time);
 * whether it is still good (revoked, expired, used up) is left to the store's `spendJoinToken`.
 */
export function* findJoinToken(reader: NetconfStoreReader, nwid: string, text: string): StorageWork<JoinTokenRow | undefined> {
  const match = TOKEN_PATTERN.exec(text);
  if (match === null) return undefined;
  const row = yield* call(reader.getJoinToken(match[1]!));
  if (row === undefined || row.networkId !== nwid) return undefined;
  return sameBytes(row.secretHash, secretHash(match[2]!)) ? row : undefined;
}

/** The network's token `id`, or NotFoundError. */
export function* requireJoinToken(reader: NetconfStoreReader, nwid: string, id: string): StorageWork<JoinTokenRow> {
  const row = /^[0-9a-f]{16}$/.test(id) ? yield* call(reader.getJoinToken(id)) : undefined;
  if (row === undefined || row.networkId !== nwid) throw new NotFoundError(`network ${nwid} has no join token ${id}`);
  return row;
}

export function checkJoinTokenId(id: unknown): string {
  if (typeof id !== 'string' || !/^[0-9a-fA-F]{16}$/.test(id)) throw new InvalidArgumentError('a join token id is 16 hex digits');
  return id.toLowerCase();
}

function secretHash(secret: string): Uint8Array {
  return sha256(new TextEncoder().encode(secret));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ (b[i] ?? 0);
  return difference === 0;
}
