/** `pool add | remove`: the IP pools a network assigns member addresses from. */
import type { Command } from 'commander';
import type { AdminClient } from '../client/admin-client.js';
import { parseCidr, parseNetworkId } from '../arguments.js';
import { renderJson } from '../format.js';
import type { CommandContext } from '../context.js';
import { renderNetwork, requireNetwork, withNetwork } from './network.js';

export function registerPoolCommands(program: Command, context: () => CommandContext): void {
  const pool = program.command('pool').description('add or remove a network\'s IP assignment pools');

  const actions = [
    {
      name: 'add',
      description: 'add an IP pool to a network (host bits are cleared; adding a pool it has changes nothing)',
      cidrHelp: 'pool such as 10.1.0.0/16 or fd00:1::/64',
      apply: (client: AdminClient, nwid: string, cidr: string) => client.addIpPool(nwid, cidr),
    },
    {
      name: 'remove',
      description: 'remove an IP pool from a network (members keep addresses already assigned)',
      cidrHelp: 'the pool, as listed by "network show"',
      apply: (client: AdminClient, nwid: string, cidr: string) => client.removeIpPool(nwid, cidr),
    },
  ];
  for (const action of actions) {
    pool
      .command(action.name)
      .description(action.description)
      .argument('<nwid>', 'network ID (16 hex digits)')
      .argument('<cidr>', action.cidrHelp)
      .action(async (nwidText: string, cidrText: string) => {
        const ctx = context();
        const nwid = parseNetworkId(nwidText);
        const cidr = parseCidr(cidrText);
        await withNetwork(ctx, nwid, async (client) => {
          await action.apply(client, nwid, cidr);
          const record = await requireNetwork(client, nwid);
          ctx.io.out(ctx.globals.json ? renderJson(record) : renderNetwork(record));
        });
      });
  }
}
