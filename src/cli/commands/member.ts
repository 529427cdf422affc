/** `member list | show | authorize | deauthorize | bridge | name | notes | ip | delete`: a network's members. */
import type { Command } from 'commander';
import { parseAddress, parseCidr, parseNetworkId, parseOnOff } from '../arguments.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { renderFields, renderJson, renderListing, renderTime } from '../format.js';
import type { CommandContext } from '../context.js';
import type { AdminClient, MemberRecord } from '../client/admin-client.js';
import { withNetwork } from './network.js';
import { registerMemberPrune } from './member-prune.js';

async function requireMember(client: AdminClient, nwid: string, address: string): Promise<MemberRecord> {
  const member = await client.getMember(nwid, address);
  if (!member) throw new CliError(ExitCode.BAD_INPUT, `no member ${address} in network ${nwid}`, 'ERR_NOT_FOUND');
  return member;
}

function renderMember(member: MemberRecord): string {
  return renderFields([
    ['address', member.address],
    ['name', member.name || '-'],
    ['notes', member.notes || '-'],
    ['authorized', member.authorized],
    ['authorized at', renderTime(member.authorizedAt)],
    ['deauthorized at', renderTime(member.deauthorizedAt)],
    ['active bridge', member.activeBridge],
    ['IP assignments', member.ipAssignments.join(', ') || '-'],
    ['held revision', member.clientReportedRevision],
    ['first seen', renderTime(member.firstSeen)],
    ['last seen', renderTime(member.lastSeen)],
    ['last physical address', member.lastAt || '-'],
    ['identity', member.identity || '-'],
  ]);
}

/** Runs a change on one member of an existing network, then prints the member as it is now. */
async function changeMember(
  context: CommandContext,
  nwidText: string,
  addressText: string,
  change: (client: AdminClient, nwid: string, address: string) => Promise<unknown>,
): Promise<void> {
  const nwid = parseNetworkId(nwidText);
  const address = parseAddress(addressText);
  await withNetwork(context, nwid, async (client) => {
    await change(client, nwid, address);
    const member = await requireMember(client, nwid, address);
    context.io.out(context.globals.json ? renderJson(member) : renderMember(member));
  });
}

export function registerMemberCommands(program: Command, context: () => CommandContext): void {
  const member = program.command('member').description('list, inspect and administer a network\'s members');
  const nwidArgument = ['<nwid>', 'network ID (16 hex digits)'] as const;
  const addressArgument = ['<address>', 'member address (10 hex digits)'] as const;

  member
    .command('list')
    .description(
      'list a network\'s members; HELD REVISION is the network revision of the config the member ' +
        'last said it holds (compare it with the network\'s revision)',
    )
    .argument(...nwidArgument)
    .action(async (nwidText: string) => {
      const ctx = context();
      const nwid = parseNetworkId(nwidText);
      await withNetwork(ctx, nwid, async (client) => {
        const members = await client.listMembers(nwid);
        ctx.io.out(renderListing(ctx.globals.json, members, {
          empty: `no members in ${nwid} yet (members appear when they first ask for a config)`,
          columns: ['ADDRESS', 'NAME', 'AUTHORIZED', 'BRIDGE', 'HELD REVISION', 'LAST SEEN', 'IP ASSIGNMENTS'],
          row: (m) => [
            m.address,
            m.name || '-',
            m.authorized,
            m.activeBridge,
            m.clientReportedRevision,
            renderTime(m.lastSeen),
            m.ipAssignments.join(',') || '-',
          ],
        }));
      });
    });

  member
    .command('show')
    .description('show one member')
    .argument(...nwidArgument)
    .argument(...addressArgument)
    .action(async (nwidText: string, addressText: string) => {
      await changeMember(context(), nwidText, addressText, async () => undefined);
    });

  member
    .command('authorize')
    .description('let a member in (works before the member has asked, too)')
    .argument(...nwidArgument)
    .argument(...addressArgument)
    .action(async (nwidText: string, addressText: string) => {
      await changeMember(context(), nwidText, addressText, (client, nwid, address) =>
        client.authorizeMember(nwid, address),
      );
    });

  member
    .command('deauthorize')
    .description('shut a member out; raises the revision past its certificate\'s max delta')
    .argument(...nwidArgument)
    .argument(...addressArgument)
    .action(async (nwidText: string, addressText: string) => {
      await changeMember(context(), nwidText, addressText, async (client, nwid, address) => {
        await requireMember(client, nwid, address);
        await client.deauthorizeMember(nwid, address);
      });
    });

  member
    .command('bridge')
    .description('mark a member as an active bridge, or not')
    .argument(...nwidArgument)
    .argument(...addressArgument)
    .argument('<on|off>', '"on" or "off"')
    .action(async (nwidText: string, addressText: string, onOff: string) => {
      const on = parseOnOff(onOff);
      await changeMember(context(), nwidText, addressText, async (client, nwid, address) => {
        await requireMember(client, nwid, address);
        await client.setActiveBridge(nwid, address, on);
      });
    });

  member
    .command('name')
    .description('give a member a name for administrators (not sent to members)')
    .argument(...nwidArgument)
    .argument(...addressArgument)
    .argument('<name>', 'the name; "" clears it')
    .action(async (nwidText: string, addressText: string, name: string) => {
      await changeMember(context(), nwidText, addressText, async (client, nwid, address) => {
        await requireMember(client, nwid, address);
        await client.setMemberName(nwid, address, name);
      });
    });

  member
    .command('notes')
    .description('keep free-text notes on a member for administrators (not sent to members)')
    .argument(...nwidArgument)
    .argument(...addressArgument)
    .argument('<text>', 'the notes; "" clears them')
    .action(async (nwidText: string, addressText: string, notes: string) => {
      await changeMember(context(), nwidText, addressText, async (client, nwid, address) => {
        await requireMember(client, nwid, address);
        await client.setMemberNotes(nwid, address, notes);
      });
    });

  member
    .command('ip')
    .description('set a member\'s IP assignments (replaces them; none given clears them)')
    .argument(...nwidArgument)
    .argument(...addressArgument)
    .argument('[cidrs...]', 'addresses with prefix length, such as 10.1.0.5/16')
    .action(async (nwidText: string, addressText: string, cidrTexts: string[]) => {
      const cidrs = cidrTexts.map(parseCidr);
      await changeMember(context(), nwidText, addressText, async (client, nwid, address) => {
        await requireMember(client, nwid, address);
        await client.setIpAssignments(nwid, address, cidrs);
      });
    });

  member
    .command('delete')
    .description('forget a member and its assignments (it reappears if it asks again)')
    .argument(...nwidArgument)
    .argument(...addressArgument)
    .action(async (nwidText: string, addressText: string) => {
      const ctx = context();
      const nwid = parseNetworkId(nwidText);
      const address = parseAddress(addressText);
      await withNetwork(ctx, nwid, async (client) => {
        await requireMember(client, nwid, address);
        await client.deleteMember(nwid, address);
        ctx.io.out(
          ctx.globals.json ? renderJson({ deleted: address, network: nwid }) : `deleted member ${address} of ${nwid}\n`,
        );
      });
    });

  registerMemberPrune(member, context);
}
