/** `network create | list | show | set | delete`: the networks this master serves. */
import type { Command } from 'commander';
import {
  parseCidr,
  parseEtherTypes,
  parseNetworkId,
  parseNonNegativeInteger,
  parseV4AssignMode,
  parseV6AssignMode,
} from '../arguments.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { renderFields, renderJson, renderListing, renderTime } from '../format.js';
import { withClient, type CommandContext } from '../context.js';
import type { AdminClient, NetworkRecord, NetworkSettingsPatch } from '../client/admin-client.js';

interface SettingsFlags {
  name?: string;
  description?: string;
  private?: boolean;
  public?: boolean;
  broadcast?: boolean;
  passiveBridging?: boolean;
  v4Assign?: string;
  v6Assign?: string;
  pool?: string[];
  etherTypes?: string;
  multicastLimit?: string;
  comMaxDelta?: string;
}

function addSettingsOptions(command: Command): Command {
  return command
    .option('--name <name>', 'network name')
    .option('--description <text>', 'free text shown to members')
    .option('--private', 'members need authorization (the default for new networks)')
    .option('--public', 'anyone who asks becomes a member')
    .option('--broadcast', 'allow Ethernet broadcast')
    .option('--no-broadcast', 'forbid Ethernet broadcast')
    .option('--passive-bridging', 'allow passive bridging')
    .option('--no-passive-bridging', 'forbid passive bridging')
    .option('--v4-assign <mode>', 'IPv4 assignment: none, zt (from pools) or dhcp')
    .option('--v6-assign <mode>', 'IPv6 assignment: none, zt, rfc4193 or dhcp6')
    .option('--pool <cidr>', 'an IP pool (repeatable; on "set" replaces all pools)', collect)
    .option('--ether-types <list>', 'allowed Ethernet types, hex comma list such as 0800,0806,86dd, or "all"')
    .option('--multicast-limit <n>', 'multicast recipient limit')
    .option('--com-max-delta <n>', 'certificate revision max delta');
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Turns flags into a settings object holding only what was given; validates every value first. */
function settingsFromFlags(flags: SettingsFlags): NetworkSettingsPatch {
  if (flags.private && flags.public) {
    throw new CliError(ExitCode.BAD_INPUT, '--private and --public cannot both be given');
  }
  const settings: Record<string, unknown> = {};
  if (flags.name !== undefined) settings.name = flags.name;
  if (flags.description !== undefined) settings.description = flags.description;
  if (flags.private) settings.private = true;
  if (flags.public) settings.private = false;
  if (flags.broadcast !== undefined) settings.enableBroadcast = flags.broadcast;
  if (flags.passiveBridging !== undefined) settings.allowPassiveBridging = flags.passiveBridging;
  if (flags.v4Assign !== undefined) settings.v4AssignMode = parseV4AssignMode(flags.v4Assign);
  if (flags.v6Assign !== undefined) settings.v6AssignMode = parseV6AssignMode(flags.v6Assign);
  if (flags.pool !== undefined) settings.ipPools = flags.pool.map(parseCidr);
  if (flags.etherTypes !== undefined) settings.etherTypes = parseEtherTypes(flags.etherTypes);
  if (flags.multicastLimit !== undefined) {
    settings.multicastLimit = parseNonNegativeInteger(flags.multicastLimit, '--multicast-limit');
  }
  if (flags.comMaxDelta !== undefined) {
    settings.comRevisionMaxDelta = BigInt(parseNonNegativeInteger(flags.comMaxDelta, '--com-max-delta'));
  }
  return settings as NetworkSettingsPatch;
}

export async function requireNetwork(client: AdminClient, nwid: string): Promise<NetworkRecord> {
  const network = await client.getNetwork(nwid);
  if (!network) throw new CliError(ExitCode.BAD_INPUT, `unknown network ${nwid}`, 'ERR_NOT_FOUND');
  return network;
}

/** Runs `fn` with the command's admin client and network `nwid`, refusing an unknown network first. */
export async function withNetwork<T>(
  context: CommandContext,
  nwid: string,
  fn: (client: AdminClient, network: NetworkRecord) => Promise<T>,
): Promise<T> {
  return withClient(context, async (client) => fn(client, await requireNetwork(client, nwid)));
}

function hex4(type: number): string {
  return type.toString(16).padStart(4, '0');
}

export function renderNetwork(network: NetworkRecord): string {
  const etherTypes = network.etherTypes ?? [];
  return renderFields([
    ['id', network.id],
    ['name', network.name],
    ['description', network.description || '-'],
    ['private', network.private],
    ['revision', network.revision],
    ['created', renderTime(network.creationTime)],
    ['broadcast', network.enableBroadcast],
    ['passive bridging', network.allowPassiveBridging],
    ['IPv4 assignment', network.v4AssignMode],
    ['IPv6 assignment', network.v6AssignMode],
    ['IP pools', (network.ipPools ?? []).join(', ') || '-'],
    ['Ethernet types', etherTypes.includes(0) ? 'all' : etherTypes.map(hex4).join(', ') || 'none'],
    ['multicast limit', network.multicastLimit],
    ['COM max delta', network.comRevisionMaxDelta],
  ]);
}

export function registerNetworkCommands(program: Command, context: () => CommandContext): void {
  const network = program
    .command('network')
    .description('create, list, inspect, change and delete networks');

  addSettingsOptions(
    network
      .command('create')
      .description('create a network; prints its ID (this master\'s address + a 24-bit number)'),
  ).action(async (flags: SettingsFlags) => {
    const ctx = context();
    const settings = settingsFromFlags(flags);
    await withClient(ctx, async (client) => {
      client.onWarning((message) => ctx.io.err(`warning: ${message}\n`));
      const nwid = await client.createNetwork(settings);
      if (ctx.globals.json) {
        ctx.io.out(renderJson(await client.getNetwork(nwid)));
      } else {
        ctx.io.out(`${nwid}\n`);
      }
    });
  });

  network
    .command('list')
    .description('list networks')
    .action(async () => {
      const ctx = context();
      await withClient(ctx, async (client) => {
        const networks = await client.listNetworks();
        const { address } = await client.masterIdentity();
        const foreign = networks.filter((n) => !n.id.startsWith(address));
        if (foreign.length > 0) {
          // Typical after a restore with the wrong identity file: this master would answer
          // OBJECT_NOT_FOUND for these networks.
          ctx.io.err(
            `warning: ${foreign.length} network(s) were created by another master identity ` +
              `(${[...new Set(foreign.map((n) => n.id.slice(0, 10)))].join(', ')}); ` +
              `this identity (${address}) will not serve them\n`,
          );
        }
        ctx.io.out(renderListing(ctx.globals.json, networks, {
          empty: 'no networks (create one with "zt-netconf-master network create --name <name>")',
          columns: ['ID', 'NAME', 'PRIVATE', 'REVISION', 'IP POOLS'],
          row: (n) => [n.id, n.name, n.private, n.revision, (n.ipPools ?? []).join(',') || '-'],
        }));
      });
    });

  network
    .command('show')
    .description('show a network\'s settings')
    .argument('<nwid>', 'network ID (16 hex digits)')
    .action(async (nwidText: string) => {
      const ctx = context();
      const nwid = parseNetworkId(nwidText);
      await withNetwork(ctx, nwid, async (client, record) => {
        ctx.io.out(ctx.globals.json ? renderJson(record) : renderNetwork(record));
      });
    });

  addSettingsOptions(
    network
      .command('set')
      .description('change a network\'s settings (only the options given); raises its revision')
      .argument('<nwid>', 'network ID (16 hex digits)'),
  ).action(async (nwidText: string, flags: SettingsFlags) => {
    const ctx = context();
    const nwid = parseNetworkId(nwidText);
    const patch = settingsFromFlags(flags);
    if (Object.keys(patch).length === 0) {
      throw new CliError(ExitCode.BAD_INPUT, 'nothing to change: give at least one setting (see "network set --help")');
    }
    await withNetwork(ctx, nwid, async (client) => {
      client.onWarning((message) => ctx.io.err(`warning: ${message}\n`));
      await client.updateNetwork(nwid, patch);
      const record = await requireNetwork(client, nwid);
      ctx.io.out(ctx.globals.json ? renderJson(record) : renderNetwork(record));
    });
  });

  network
    .command('delete')
    .description('delete a network with its members and assignments')
    .argument('<nwid>', 'network ID (16 hex digits)')
    .action(async (nwidText: string) => {
      const ctx = context();
      const nwid = parseNetworkId(nwidText);
      await withNetwork(ctx, nwid, async (client) => {
        await client.deleteNetwork(nwid);
        ctx.io.out(ctx.globals.json ? renderJson({ deleted: nwid }) : `deleted network ${nwid}\n`);
      });
    });
}
