/** `pool add | remove`: the IP pools a network assigns member addresses from. */
import type { Command } from 'commander';
import type { NetconfMaster } from '../../master/index.js';
import { parseCidr, parseNetworkId } from '../arguments.js';
import { renderJson } from '../format.js';
import { withMaster, type CommandContext } from '../context.js';
import { renderNetwork, requireNetwork } from './network.js';

export function registerPoolCommands(program: Command, context: () => CommandContext): void {
  const pool = program.command('pool').description('add or remove a network\'s IP assignment pools');

  const actions = [
    {
      name: 'add',
      description: 'add an IP pool to a network (host bits are cleared; adding a pool it has changes nothing)',
      cidrHelp: 'pool such as 10.1.0.0/16 or fd00:1::/64',
      apply: (master: NetconfMaster, nwid: string, cidr: string) => master.addIpPool(nwid, cidr),
    },
    {
      name: 'remove',
      description: 'remove an IP pool from a network (members keep addresses already assigned)',
      cidrHelp: 'the pool, as listed by "network show"',
      apply: (master: NetconfMaster, nwid: string, cidr: string) => master.removeIpPool(nwid, cidr),
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
        await withMaster(ctx, async (master) => {
          await requireNetwork(master, nwid);
          await action.apply(master, nwid, cidr);
          const record = await requireNetwork(master, nwid);
          ctx.io.out(ctx.globals.json ? renderJson(record) : renderNetwork(record));
        });
      });
  }
}
