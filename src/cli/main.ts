/**
 * The `zt-netconf-master` command: administration of a master's durable database from a shell.
 * Every command opens the database, does one thing and closes it, so it cannot run while a master
 * process holds the database; it then says so and exits with code 2.
 */
import { Command, CommanderError } from 'commander';
import { registerBackupCommands } from './commands/backup.js';
import { registerIdentityCommands } from './commands/identity.js';
import { registerMemberCommands } from './commands/member.js';
import { registerNetworkCommands } from './commands/network.js';
import { registerPoolCommands } from './commands/pool.js';
import { registerServeCommand } from './commands/serve.js';
import type { CommandContext, GlobalOptions } from './context.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { processIo, type CliIo } from './io.js';
import { packageVersion } from './version.js';

const EXIT_CODE_HELP = `
Exit codes:
  0  done
  1  usage error or bad input (malformed ID, address or CIDR; unknown network or member)
  2  storage: no database, database locked by a running master, not a netconf database, damaged, unwritable
  3  master identity file missing or invalid
  4  unexpected internal error`;

export function buildProgram(io: CliIo): { program: Command; context: () => CommandContext } {
  const program = new Command('zt-netconf-master');
  const context = (): CommandContext => ({ io, globals: program.opts<GlobalOptions>() });
  program
    .description('Administer a ZeroTier-style network configuration master: its identity, networks and members.')
    .option('--db <path>', 'the master\'s database file', './netconf.db')
    .option('--identity <path>', 'the master\'s secret identity file', './identity.secret')
    .option('--json', 'print results as JSON for scripts', false)
    .version(packageVersion(), '-V, --version', 'print the version')
    .addHelpText('after', EXIT_CODE_HELP)
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      // Usage errors get the same one-line shape as every other error.
      outputError: (text, write) =>
        write(`zt-netconf-master: ${text.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')} (see --help)\n`),
    });
  registerIdentityCommands(program, context);
  registerNetworkCommands(program, context);
  registerMemberCommands(program, context);
  registerPoolCommands(program, context);
  registerBackupCommands(program, context);
  registerServeCommand(program, context);
  applyToAll(program, (command) => {
    command.exitOverride();
    command.configureOutput(program.configureOutput());
  });
  return { program, context };
}

function applyToAll(command: Command, fn: (command: Command) => void): void {
  fn(command);
  for (const sub of command.commands) applyToAll(sub, fn);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs the command line `args` (without node and script) and returns the exit code. */
export async function main(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const { program } = buildProgram(io);
  if (args.length === 0) {
    program.outputHelp({ error: true });
    return ExitCode.BAD_INPUT;
  }
  try {
    await program.parseAsync([...args], { from: 'user' });
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed help or the usage error.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.BAD_INPUT;
    }
    const code = exitCodeFor(error);
    io.err(`zt-netconf-master: ${describeError(error)}\n`);
    if (code === ExitCode.INTERNAL && error instanceof Error && error.stack && process.env.ZT_NETCONF_DEBUG) {
      io.err(`${error.stack}\n`);
    }
    return code;
  }
}
