/**
 * The `zt-netconf-master` command: administration of a master from a shell. Without --url every
 * command opens the database, does one thing and closes it, so it cannot run while a master
 * process holds the database (it then says so and exits with code 2); with --url it administers
 * that running master through its admin API instead, with the same output and exit codes.
 */
import { Command, CommanderError } from 'commander';
import { registerBackupCommands } from './commands/backup.js';
import { registerIdentityCommands } from './commands/identity.js';
import { registerMemberCommands } from './commands/member.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerNetworkCommands } from './commands/network.js';
import { registerPoolCommands } from './commands/pool.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTokenCommands } from './commands/token.js';
import { registerAuditCommands } from './commands/audit.js';
import type { CommandContext, GlobalOptions } from './context.js';
import { DatabaseLockedError } from '../errors.js';
import { ExitCode, errorCodeFor, exitCodeFor } from './exit-codes.js';
import { processIo, type CliIo } from './io.js';
import { packageVersion } from './version.js';

const EXIT_CODE_HELP = `
Exit codes:
  0  done
  1  usage error or bad input (malformed ID, address or CIDR; unknown network or member)
  2  storage: no database, database locked by a running master, not a netconf database, damaged,
     unwritable; with --url: no master answering there
  3  master identity file missing or invalid; with --url: admin token missing or refused
  4  unexpected internal error`;

/** What is added to the lock message: the way to reach the master that holds the database. */
export const LOCKED_HINT = 'to administer the running master, pass --url http://127.0.0.1:9993 (its admin API)';

export function buildProgram(
  io: CliIo,
  options: { jsonErrors: boolean } = { jsonErrors: false },
): { program: Command; context: () => CommandContext } {
  const program = new Command('zt-netconf-master');
  const context = (): CommandContext => ({ io, globals: program.opts<GlobalOptions>() });
  program
    .description('Administer a ZeroTier-style network configuration master: its identity, networks and members.')
    .option('--db <path>', 'the master\'s database file', './netconf.db')
    .option('--identity <path>', 'the master\'s secret identity file', './identity.secret')
    .option('--json', 'print results (and errors, on stderr) as JSON for scripts', false)
    .option('--url <url>', 'administer the master running there through its admin API (e.g. http://127.0.0.1:9993)')
    .option('--token-file <path>', 'admin token for --url (default: authtoken.secret beside --db)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .addHelpText('after', EXIT_CODE_HELP)
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      // Usage errors get the same one-line shape as every other error.
      outputError: (text, write) => {
        const message = `${text.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')} (see --help)`;
        write(options.jsonErrors ? renderError('ERR_USAGE', ExitCode.BAD_INPUT, message) : `zt-netconf-master: ${message}\n`);
      },
    });
  registerIdentityCommands(program, context);
  registerNetworkCommands(program, context);
  registerMemberCommands(program, context);
  registerPoolCommands(program, context);
  registerTokenCommands(program, context);
  registerAuditCommands(program, context);
  registerBackupCommands(program, context);
  registerServeCommand(program, context);
  registerMigrateCommand(program, context);
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

/** One line: the error's message, with the way out added where there is one. */
function describeError(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
  return error instanceof DatabaseLockedError ? `${message}; ${LOCKED_HINT}` : message;
}

/** An error as `--json` prints it on stderr: one line of JSON. */
function renderError(code: string, exitCode: ExitCode, message: string): string {
  return JSON.stringify({ error: { code, exitCode, message } }) + '\n';
}

/** Whether the command line asks for JSON (before any `--`), known before commander parses it. */
function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}

/** Runs the command line `args` (without node and script) and returns the exit code. */
export async function main(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const json = wantsJson(args);
  const { program } = buildProgram(io, { jsonErrors: json });
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
    io.err(json ? renderError(errorCodeFor(error), code, describeError(error)) : `zt-netconf-master: ${describeError(error)}\n`);
    if (code === ExitCode.INTERNAL && error instanceof Error && error.stack && process.env.ZT_NETCONF_DEBUG) {
      io.err(`${error.stack}\n`);
    }
    return code;
  }
}
