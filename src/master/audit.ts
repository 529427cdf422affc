/**
 * The audit trail: every administrative change recorded in the transaction that makes it, with when,
 * who and what (the fields that changed, before and after). Entries are bounded by age and count
 * (`AuditRetention`), pruned as new ones are recorded.
 */
import { InvalidArgumentError } from '../errors.js';
import type { MasterContext } from './context.js';
import { addressToHex, parseAddress } from '../crypto/address.js';
import { asInvalidArgument } from '../protocol/as-invalid-argument.js';
import { hex16, parseNetworkId } from '../protocol/ids.js';
import { call, type AuditQuery, type AuditEntryRow, type MemberRow, type NetconfStoreTx, type StorageWork } from './store.js';

/** One recorded change, as the library, the CLI and the admin service show it: the row, its fields read from JSON. */
export interface AuditEntry extends Omit<AuditEntryRow, 'before' | 'after'> {
  /** The fields that changed, as they were (null: the thing did not exist). */
  before: Record<string, unknown> | null;
  /** The fields that changed, as they became (null: the thing no longer exists). */
  after: Record<string, unknown> | null;
}

export interface AuditQueryInput {
  nwid?: string | bigint;
  address?: string | bigint;
  /** From this time (ms), inclusive. */
  since?: number;
  /** Before this time (ms), exclusive. */
  until?: number;
  /** The newest `limit` entries (default 1000), oldest first. */
  limit?: number;
}

/** How much history is kept: entries older than `maxAge` ms go, and all but the newest `maxEntries`. */
export interface AuditRetention {
  /** Default: no age limit. */
  maxAge?: number | null;
  /** Default 100,000. */
  maxEntries?: number | null;
}

export const DEFAULT_AUDIT_MAX_ENTRIES = 100_000;
export const DEFAULT_AUDIT_QUERY_LIMIT = 1000;
/** The longest actor label kept. */
export const MAX_ACTOR_LENGTH = 128;

/** The label of the library caller when none is given (see the master's `actor` option). */
export const DEFAULT_ACTOR = 'library';

/** A snapshot of the thing changed: plain fields, compared and stored as JSON. */
export type AuditSnapshot = Record<string, unknown> | undefined;

export interface AuditRecord {
  action: string;
  nwid: string | null;
  address?: string | null;
  before: AuditSnapshot;
  after: AuditSnapshot;
  /** Fields naming what changed (a token's id), kept on both sides even when unchanged. */
  subject?: Record<string, unknown>;
}

/** Checks an actor label: a non-empty string of at most MAX_ACTOR_LENGTH characters. */
export function checkActor(actor: unknown): string {
  if (typeof actor !== 'string' || actor.length === 0 || actor.length > MAX_ACTOR_LENGTH) {
    throw new InvalidArgumentError(`an actor label is a string of 1 to ${MAX_ACTOR_LENGTH} characters`);
  }
  return actor;
}

export function checkRetention(retention: AuditRetention | undefined): { maxAge: number | null; maxEntries: number | null } {
  const maxAge = retention?.maxAge ?? null;
  const maxEntries = retention?.maxEntries === undefined ? DEFAULT_AUDIT_MAX_ENTRIES : retention.maxEntries;
  for (const [name, value] of [['maxAge', maxAge], ['maxEntries', maxEntries]] as const) {
    if (value !== null && (!Number.isSafeInteger(value) || value <= 0)) {
      throw new InvalidArgumentError(`auditRetention.${name} must be a positive integer or null`);
    }
  }
  return { maxAge, maxEntries };
}

/**
 * Records a change in the transaction `tx`: only the fields that differ between the snapshots.
 * Nothing is recorded when nothing differs.
 */
export function* recordAudit(context: MasterContext, tx: NetconfStoreTx, actor: string, record: AuditRecord): StorageWork<void> {
  const changed = changedFields(record.before, record.after);
  if (changed.before !== undefined && changed.after !== undefined && Object.keys(changed.before).length === 0) return;
  const before = changed.before === undefined ? undefined : { ...record.subject, ...changed.before };
  const after = changed.after === undefined ? undefined : { ...record.subject, ...changed.after };
  const now = context.now();
  yield* call(tx.insertAuditEntry({
    time: now,
    actor,
    action: record.action,
    networkId: record.nwid,
    address: record.address ?? null,
    before: before === undefined ? null : toJson(before),
    after: after === undefined ? null : toJson(after),
  }));
  const { maxAge, maxEntries } = context.auditRetention;
  if (maxAge !== null || maxEntries !== null) yield* call(tx.pruneAuditEntries(maxAge === null ? null : now - maxAge, maxEntries));
}

/** The fields that differ (all of them when one side is missing). */
export function changedFields(before: AuditSnapshot, after: AuditSnapshot): { before: AuditSnapshot; after: AuditSnapshot } {
  if (before === undefined || after === undefined) return { before, after };
  const changedBefore: Record<string, unknown> = {};
  const changedAfter: Record<string, unknown> = {};
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (toJson(before[key]) !== toJson(after[key])) {
      changedBefore[key] = before[key];
      changedAfter[key] = after[key];
    }
  }
  return { before: changedBefore, after: changedAfter };
}

/** What audit entries show of a member row (its config-relevant and administrative fields). */
export function memberAuditFields(row: MemberRow): Record<string, unknown> {
  return {
    authorized: row.authorized,
    activeBridge: row.activeBridge,
    name: row.name,
    notes: row.notes,
    lastAuthorizedCredentialType: row.lastAuthorizedCredentialType,
    lastAuthorizedCredential: row.lastAuthorizedCredential,
  };
}

/** JSON with 64-bit values as decimal strings. */
function toJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, item) => (typeof item === 'bigint' ? item.toString() : item));
}

export function auditEntry(row: AuditEntryRow): AuditEntry {
  return {
    id: row.id,
    time: row.time,
    actor: row.actor,
    action: row.action,
    networkId: row.networkId,
    address: row.address,
    before: row.before === null ? null : (JSON.parse(row.before) as Record<string, unknown>),
    after: row.after === null ? null : (JSON.parse(row.after) as Record<string, unknown>),
  };
}

/** The audit entries matching `query`, oldest first (at most `limit`, the newest ones). */
export async function listAuditEntries(context: MasterContext, query: AuditQueryInput = {}): Promise<AuditEntry[]> {
  if (query === null || typeof query !== 'object') throw new InvalidArgumentError('an audit query must be an object');
  const checked: AuditQuery = { limit: query.limit ?? DEFAULT_AUDIT_QUERY_LIMIT };
  if (!Number.isSafeInteger(checked.limit) || checked.limit! < 1) throw new InvalidArgumentError('limit must be a positive integer');
  if (query.nwid !== undefined) checked.nwid = asInvalidArgument(() => hex16(parseNetworkId(query.nwid!)));
  if (query.address !== undefined) checked.address = asInvalidArgument(() => addressToHex(parseAddress(query.address!)));
  for (const key of ['since', 'until'] as const) {
    const value = query[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(`${key} must be a time in ms since the epoch`);
    checked[key] = value;
  }
  const rows = await context.store.read(function* (reader) {
    return yield* call(reader.listAuditEntries(checked));
  });
  return rows.map(auditEntry);
}
