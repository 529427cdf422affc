/** `token create | list | revoke`: a network's join tokens (pre-authorization keys). */
import type { Command } from 'commander';
import { parseNetworkId, parseNonNegativeInteger } from '../arguments.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { parseDuration } from '../duration.js';
import { renderFields, renderJson, renderListing, renderTime } from '../format.js';
import type { CommandContext } from '../context.js';
import { withNetwork } from './network.js';

interface CreateOptions {
  name?: string;
  expiresIn?: string;
  maxUses?: string;
}

export function registerTokenCommands(program: Command, context: () => CommandContext): void {
  const token = program
    .command('token')
    .description('join tokens: a member presenting one (metadata "a" = "token:<token>") joins a private network without an administrator');
  const nwidArgument = ['<nwid>', 'network ID (16 hex digits)'] as const;

  token
    .command('create')
    .description('create a join token; its secret is printed this once and stored only as a hash')
    .argument(...nwidArgument)
    .option('--name <name>', 'a label for lists', '')
    .option('--expires-in <duration>', 'stop admitting after this long, such as 12h or 30d (default: never)')
    .option('--max-uses <n>', 'admit at most this many members (default: no limit)')
    .action(async (nwidText: string, options: CreateOptions) => {
      const ctx = context();
      const nwid = parseNetworkId(nwidText);
      const maxUses = options.maxUses === undefined ? null : parseNonNegativeInteger(options.maxUses, '--max-uses');
      if (maxUses === 0) throw new CliError(ExitCode.BAD_INPUT, '--max-uses must be at least 1');
      const expiresIn = options.expiresIn === undefined ? null : parseDuration(options.expiresIn, '--expires-in');
      await withNetwork(ctx, nwid, async (client) => {
        const created = await client.createJoinToken(nwid, {
          name: options.name ?? '',
          expiresAt: expiresIn === null ? null : Date.now() + expiresIn,
          maxUses,
        });
        ctx.io.out(
          ctx.globals.json
            ? renderJson(created)
            : renderFields([['id', created.id], ['token', created.token]]) +
                'the token is shown this once: members present it as token:<token> under metadata key "a"\n',
        );
      });
    });

  token
    .command('list')
    .description('list a network\'s join tokens (never their secrets)')
    .argument(...nwidArgument)
    .action(async (nwidText: string) => {
      const ctx = context();
      const nwid = parseNetworkId(nwidText);
      await withNetwork(ctx, nwid, async (client) => {
        const tokens = await client.listJoinTokens(nwid);
        ctx.io.out(renderListing(ctx.globals.json, tokens, {
          empty: `no join tokens in ${nwid}`,
          columns: ['ID', 'NAME', 'CREATED', 'EXPIRES', 'USES', 'MAX USES', 'REVOKED'],
          row: (t) => [t.id, t.name || '-', renderTime(t.createdAt), renderTime(t.expiresAt), t.uses, t.maxUses, t.revoked],
        }));
      });
    });

  token
    .command('revoke')
    .description('revoke a join token: it admits nobody from now on (the members it admitted stay)')
    .argument(...nwidArgument)
    .argument('<id>', 'the token\'s id (16 hex digits, as listed)')
    .action(async (nwidText: string, id: string) => {
      const ctx = context();
      const nwid = parseNetworkId(nwidText);
      if (!/^[0-9a-fA-F]{16}$/.test(id.trim())) throw new CliError(ExitCode.BAD_INPUT, `malformed token id "${id}": expected 16 hex digits`);
      await withNetwork(ctx, nwid, async (client) => {
        await client.revokeJoinToken(nwid, id.trim().toLowerCase());
        ctx.io.out(ctx.globals.json ? renderJson({ revoked: id.trim().toLowerCase(), network: nwid }) : `revoked join token ${id.trim().toLowerCase()} of ${nwid}\n`);
      });
    });
}
