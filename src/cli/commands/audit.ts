/** `audit list`: the administrative changes recorded, by network, member and time. */
import type { Command } from 'commander';
import { parseAddress, parseNetworkId, parseNonNegativeInteger } from '../arguments.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { renderListing, renderTime } from '../format.js';
import { withClient, type CommandContext } from '../context.js';
import type { AuditQueryInput } from '../../master/index.js';

interface ListOptions {
  member?: string;
  since?: string;
  until?: string;
  limit?: string;
}

function parseTime(text: string, what: string): number {
  const time = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Date.parse(text);
  if (!Number.isSafeInteger(time)) throw new CliError(ExitCode.BAD_INPUT, `${what} must be an ISO time or ms since the epoch, got "${text}"`);
  return time;
}

function fieldsText(fields: Record<string, unknown> | null): string {
  if (fields === null) return '-';
  return Object.entries(fields).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' ');
}

export function registerAuditCommands(program: Command, context: () => CommandContext): void {
  const audit = program.command('audit').description('the audit trail: who changed what, when');
  audit
    .command('list')
    .description('list recorded changes, oldest first (the newest --limit of them)')
    .argument('[nwid]', 'only this network (16 hex digits)')
    .option('--member <address>', 'only this member (10 hex digits)')
    .option('--since <time>', 'from this time (ISO, or ms since the epoch)')
    .option('--until <time>', 'before this time (ISO, or ms since the epoch)')
    .option('--limit <n>', 'at most this many, the newest (default 1000)')
    .action(async (nwidText: string | undefined, options: ListOptions) => {
      const ctx = context();
      const query: AuditQueryInput = {};
      if (nwidText !== undefined) query.nwid = parseNetworkId(nwidText);
      if (options.member !== undefined) query.address = parseAddress(options.member);
      if (options.since !== undefined) query.since = parseTime(options.since, '--since');
      if (options.until !== undefined) query.until = parseTime(options.until, '--until');
      if (options.limit !== undefined) query.limit = parseNonNegativeInteger(options.limit, '--limit');
      await withClient(ctx, async (client) => {
        const entries = await client.listAuditEntries(query);
        ctx.io.out(renderListing(ctx.globals.json, entries, {
          empty: 'no recorded changes',
          columns: ['TIME', 'ACTOR', 'ACTION', 'NETWORK', 'MEMBER', 'BEFORE', 'AFTER'],
          row: (e) => [renderTime(e.time), e.actor, e.action, e.networkId, e.address, fieldsText(e.before), fieldsText(e.after)],
        }));
      });
    });
}
