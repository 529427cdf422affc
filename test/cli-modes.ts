/**
 * The modes the CLI's command tests run in: `local` (the CLI opens the database itself) and
 * `remote` (the CLI administers a running `zt-netconf-master serve` through --url). The same test
 * cases run in every mode listed in CLI_MODES.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What every mode starts from: a database and a master identity in a temporary folder. */
export interface CliSetup {
  dir: string;
  db: string;
  identityFile: string;
}

/** A started mode: the global arguments that point the CLI at the master, and how to stop. */
export interface CliMode {
  name: string;
  /** Whether the CLI itself opens the database (so the test may compare its files). */
  local: boolean;
  args: readonly string[];
  stop(): Promise<void>;
}

export interface CliModeFactory {
  name: string;
  start(setup: CliSetup): Promise<CliMode>;
}

export const localMode: CliModeFactory = {
  name: 'local',
  start: async (setup) => ({
    name: 'local',
    local: true,
    args: ['--db', setup.db, '--identity', setup.identityFile],
    stop: async () => undefined,
  }),
};

/** A running admin API: its URL, the token file to use, and how to stop it. */
export interface RunningServer {
  url: string;
  tokenFile: string;
  stop(): Promise<void>;
}

/** The remote mode over whatever `startServer` starts on the setup's database and identity. */
export function remoteMode(startServer: (setup: CliSetup) => Promise<RunningServer>): CliModeFactory {
  return {
    name: 'remote',
    async start(setup) {
      const server = await startServer(setup);
      return {
        name: 'remote',
        local: false,
        // --db stays given: commands that take it (and the default token path) see the same file.
        args: ['--db', setup.db, '--url', server.url, '--token-file', server.tokenFile],
        stop: () => server.stop(),
      };
    },
  };
}

const binary = fileURLToPath(new URL('../bin/zt-netconf-master.ts', import.meta.url));

/**
 * Starts the real `zt-netconf-master serve` on a free port and waits for the URL it prints once
 * listening; stopping sends SIGTERM (a graceful stop that releases the database) and waits.
 */
export async function spawnServe(setup: CliSetup): Promise<RunningServer> {
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), binary, 'serve', '--db', setup.db, '--identity', setup.identityFile, '--port', '0'],
    { cwd: setup.dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /https?:\/\/[^\s]+/.exec(stdout);
      if (found) resolve(found[0].replace(/\/+$/, ''));
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)));
  });
  return {
    url,
    tokenFile: join(dirname(setup.db), 'authtoken.secret'),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Every mode the command tests run in: the database directly, and a real `serve` through --url. */
export const CLI_MODES: readonly CliModeFactory[] = [localMode, remoteMode(spawnServe)];
