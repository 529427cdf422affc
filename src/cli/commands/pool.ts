/** `pool add | remove`: the IP pools a network assigns member addresses from. */
import type { Command } from 'commander';
import { parseCidr, parseNetworkId } from '../arguments.js';
import { renderJson } from '../format.js';
import { withMaster, type CommandContext } from '../context.js';
import { renderNetwork, requireNetwork } from './network.js';

export function registerPoolCommands(program: Command, context: () => CommandContext): void {
  const pool = program.command('pool').description('add or remove a network\'s IP assignment pools');

  pool
    .command('add')
    .description('add an IP pool to a network (host bits are cleared; adding a pool it has changes nothing)')
    .argument('<nwid>', 'network ID (16 hex digits)')
    .argument('<cidr>', 'pool such as 10.1.0.0/16 or fd00:1::/64')
    .action(async (nwidText: string, cidrText: string) => {
      const ctx = context();
      const nwid = parseNetworkId(nwidText);
      const cidr = parseCidr(cidrText);
      await withMaster(ctx, async (master) => {
        await requireNetwork(master, nwid);
        await master.addIpPool(nwid, cidr);
        const record = await requireNetwork(master, nwid);
        ctx.io.out(ctx.globals.json ? renderJson(record) : renderNetwork(record));
      });
    });

  pool
    .command('remove')
    .description('remove an IP pool from a network (members keep addresses already assigned)')
    .argument('<nwid>', 'network ID (16 hex digits)')
    .argument('<cidr>', 'the pool, as listed by "network show"')
    .action(async (nwidText: string, cidrText: string) => {
      const ctx = context();
      const nwid = parseNetworkId(nwidText);
      const cidr = parseCidr(cidrText);
      await withMaster(ctx, async (master) => {
        await requireNetwork(master, nwid);
        await master.removeIpPool(nwid, cidr);
        const record = await requireNetwork(master, nwid);
        ctx.io.out(ctx.globals.json ? renderJson(record) : renderNetwork(record));
      });
    });
}
