/** `member prune`: de-authorize or delete the members of a network not seen for a while. */
import type { Command } from 'commander';
import { parseNetworkId } from '../arguments.js';
import { parseDuration } from '../duration.js';
import { renderJson } from '../format.js';
import type { CommandContext } from '../context.js';
import { withNetwork } from './network.js';

interface PruneOptions {
  notSeenFor: string;
  delete: boolean;
  dryRun: boolean;
}

export function registerMemberPrune(member: Command, context: () => CommandContext): void {
  member
    .command('prune')
    .description('de-authorize (or --delete) the members whose node was not seen for a while; members never seen stay')
    .argument('<nwid>', 'network ID (16 hex digits)')
    .requiredOption('--not-seen-for <duration>', 'such as 30d, 12h, 2w')
    .option('--delete', 'delete them (releasing their addresses) instead of de-authorizing them', false)
    .option('--dry-run', 'list what would go, change nothing', false)
    .action(async (nwidText: string, options: PruneOptions) => {
      const ctx = context();
      const nwid = parseNetworkId(nwidText);
      const notSeenFor = parseDuration(options.notSeenFor, '--not-seen-for');
      await withNetwork(ctx, nwid, async (client) => {
        const result = await client.pruneMembers(nwid, {
          notSeenFor,
          action: options.delete ? 'delete' : 'deauthorize',
          dryRun: options.dryRun,
        });
        if (ctx.globals.json) {
          ctx.io.out(renderJson(result));
          return;
        }
        const verb = result.action === 'delete' ? 'deleted' : 'de-authorized';
        const head = result.dryRun ? `would be ${verb}` : verb;
        ctx.io.out(
          result.addresses.length === 0
            ? `no member of ${nwid} ${result.dryRun ? 'would go' : 'went'}\n`
            : `${head} (${result.addresses.length}):\n${result.addresses.map((address) => `  ${address}\n`).join('')}`,
        );
      });
    });
}
