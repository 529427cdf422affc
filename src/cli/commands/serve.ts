/**
 * `serve`: runs the master on the database with the admin API (ZeroTier's controller API) on
 * HTTP, loopback by default, until SIGINT or SIGTERM; then it stops accepting, finishes what is in
 * flight, closes the storage (flushing it and releasing its lock) and exits 0.
 *
 * The first line on stdout is the bound URL, printed once the port answers. `authtoken.secret` is
 * created beside the database when missing; its text is never printed. The master's warnings are
 * lines on stderr starting with "warning: ".
 */
import type { Command } from 'commander';
import { createNetconfMaster } from '../../master/index.js';
import { DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT, serveAdminApi } from '../../node/serve-admin-api.js';
import { parseHostPort, startPlainUdpHost, type PlainUdpHost } from '../../node/plain-udp-host.js';
import { loadAdminTokens } from '../../node/token-files.js';
import { openSqlJsStorage } from '../../storage/index.js';
import { requireLocal, type CommandContext } from '../context.js';
import { requireDatabase } from '../paths.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { loadMasterIdentity } from '../identity-files.js';
import { packageVersion } from '../version.js';

interface ServeFlags {
  host: string;
  port: string;
  allowRemote?: boolean;
  udp?: string;
  onlineWindow?: string;
}

export function registerServeCommand(program: Command, context: () => CommandContext): void {
  program
    .command('serve')
    .description('run the master with the admin HTTP API (ZeroTier\'s controller API) until SIGINT/SIGTERM')
    .option('--host <ip>', 'address to listen on (anything but loopback needs --allow-remote)', DEFAULT_ADMIN_HOST)
    .option('--port <n>', 'TCP port (0 picks a free one)', String(DEFAULT_ADMIN_PORT))
    .option('--allow-remote', 'allow a non-loopback --host (put TLS in front: tokens travel in clear text)')
    .option('--udp <host:port>', 'also answer PLAIN (unencrypted) config request frames on UDP: simulations and test harnesses only')
    .option('--online-window <seconds>', 'a member seen within this many seconds counts as online', '180')
    .action(async (flags: ServeFlags) => {
      const ctx = context();
      requireLocal(ctx, 'serve');
      const port = Number(flags.port);
      if (!/^\d{1,5}$/.test(flags.port) || port > 65535) throw new CliError(ExitCode.BAD_INPUT, `--port must be 0..65535, got ${flags.port}`);
      if (!/^\d+$/.test(flags.onlineWindow ?? '')) throw new CliError(ExitCode.BAD_INPUT, '--online-window must be a number of seconds');
      const udp = flags.udp === undefined ? undefined : parseHostPort(flags.udp);
      const identity = await loadMasterIdentity(ctx.globals.identity);
      await requireDatabase(ctx.globals.db);
      const { tokens, authtokenCreated, authtokenPath } = await loadAdminTokens(ctx.globals.db);
      if (authtokenCreated) ctx.io.err(`created ${authtokenPath} (mode 0600)\n`);

      const storage = await openSqlJsStorage({ path: ctx.globals.db });
      const master = createNetconfMaster(storage, identity);
      // The master's warnings (settings 2015 nodes misread, shortages met answering) go to the log.
      master.on('warning', (event) => ctx.io.err(`warning: ${event.message.replace(/\s*\n\s*/g, ' ')}\n`));
      let server;
      let udpHost: PlainUdpHost | undefined;
      try {
        server = await serveAdminApi(master, {
          host: flags.host,
          port,
          allowRemote: Boolean(flags.allowRemote),
          tokens,
          publicIdentity: identity.toString(false),
          version: packageVersion(),
          onlineWindowMs: Number(flags.onlineWindow) * 1000,
        });
        if (udp !== undefined) {
          udpHost = await startPlainUdpHost({
            master,
            identity,
            ...udp,
            metrics: server.api.metrics,
            log: (line) => ctx.io.err(`${line}\n`),
          });
        }
      } catch (error) {
        await server?.close();
        await master.close();
        await storage.close();
        throw error;
      }
      // Listening for the stop signals before the URL is printed: a harness may signal as soon as it reads it.
      const stopped = new Promise<NodeJS.Signals>((resolve) => {
        const stop = (received: NodeJS.Signals) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve(received);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      ctx.io.out(`${server.url}\n`);
      if (udpHost !== undefined) ctx.io.err(`plain UDP config requests on ${udpHost.host}:${udpHost.port} (unencrypted)\n`);

      const signal = await stopped;
      ctx.io.err(`${signal}: stopping\n`);
      await server.close();
      await udpHost?.close();
      await master.close();
      await storage.close();
    });
}
