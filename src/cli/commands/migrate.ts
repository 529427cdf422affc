/**
 * `migrate --from <source> --to <target>`: moves a whole netconf database between a SQLite file
 * (the sql.js master's database, or a backup) and PostgreSQL, in either direction, row for row.
 * A target that already holds networks or nodes is refused, unchanged, unless --replace is given;
 * a SQLite file held by a running master is refused with the lock message (as every local command).
 */
import type { Command } from 'commander';
import type { PostgresNetconfStore } from '../../storage/postgres/pg-store.js';
import { openSqlJsStorage, restoreDatabaseFile } from '../../storage/index.js';
import { InvalidArgumentError, NotANetconfDatabaseError, CorruptDatabaseError } from '../../errors.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { renderJson } from '../format.js';
import { requireLocal, type CommandContext } from '../context.js';
import { checkReadableFilePath, checkWritableFilePath } from '../paths.js';
import { PROGRESS_DELAY_MS, withDelayedProgress } from '../progress.js';

/** The tables a migration moves, by their PostgreSQL names (the SQLite names differ in case only). */
const SQLITE_TABLES: Readonly<Record<string, string>> = {
  network: 'Network',
  node: 'Node',
  member: 'Member',
  ipassignment: 'IpAssignment',
  ipassignmentpool: 'IpAssignmentPool',
  rule: 'Rule',
  multicastrate: 'MulticastRate',
  route: 'Route',
  jointoken: 'JoinToken',
  memberexpiry: 'MemberExpiry',
  auditentry: 'AuditEntry',
};

/** What `--json` prints, and the text output summarizes. */
export interface MigrationReport {
  from: string;
  to: string;
  /** Rows now in the target, per table. */
  rows: Record<string, number>;
  /** Rows of the source the target's schema cannot hold (orphans, rules other than "accept this Ethernet type"). */
  skipped: Record<string, number>;
  /** Whether the target held networks or nodes that were replaced. */
  replaced: boolean;
}

/** Raised before anything is changed when the target holds data and --replace was not given. */
const TARGET_NOT_EMPTY = 'ERR_TARGET_NOT_EMPTY';

function isPostgresUrl(location: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(location);
}

/** A connection string as it may be printed: without its password. */
export function redactConnectionString(location: string): string {
  return location.replace(/^(postgres(?:ql)?:\/\/[^:/?@]*):[^@/?]*@/i, '$1:***@');
}

function targetNotEmpty(target: string, what: string): CliError {
  return new CliError(
    ExitCode.BAD_INPUT,
    `${target} ${what}; nothing was changed (pass --replace to overwrite it)`,
    TARGET_NOT_EMPTY,
  );
}

async function openPostgres(location: string): Promise<PostgresNetconfStore> {
  // Loaded on use, so the other commands never load the PostgreSQL client.
  const { openPostgresStorage } = await import('../../storage/postgres/open.js');
  return openPostgresStorage({ connectionString: location, maxConnections: 2 });
}

/** Networks plus nodes in a PostgreSQL netconf database. */
async function postgresContentCount(store: PostgresNetconfStore): Promise<number> {
  return store.withClient(async (client) => {
    const row = (await client.query<{ count: string }>(`SELECT (SELECT count(*) FROM network) + (SELECT count(*) FROM node) AS count`)).rows[0];
    return Number(row?.count ?? 0);
  });
}

/** Rows per table of a netconf SQLite database file (opened, and so locked, for the count). */
async function sqliteRowCounts(path: string): Promise<Record<string, number>> {
  const storage = await openSqlJsStorage({ path });
  try {
    return storage.engine.read((reader) =>
      Object.fromEntries(
        Object.entries(SQLITE_TABLES).map(([name, table]) => [name, Number(reader.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)!.n)]),
      ),
    );
  } finally {
    await storage.close();
  }
}

async function fileToPostgres(context: CommandContext, from: string, to: string, replace: boolean): Promise<MigrationReport> {
  const progress = { quiet: context.globals.json, delayMs: PROGRESS_DELAY_MS };
  await checkReadableFilePath(from, '--from', ExitCode.STORAGE);
  // Opening takes the file's lock: a running master's database is refused here, before anything.
  const source = await withDelayedProgress(context.io, `opening ${from}`, progress, () => openSqlJsStorage({ path: from }));
  let image: Uint8Array;
  let store: PostgresNetconfStore | undefined;
  let held: number;
  try {
    store = await openPostgres(to);
    held = await postgresContentCount(store);
    if (held > 0 && !replace) throw targetNotEmpty(redactConnectionString(to), 'already holds networks or nodes');
    image = await source.backup();
  } catch (error) {
    await store?.close();
    throw error;
  } finally {
    await source.close();
  }
  const target = store;
  try {
    const replaced = held > 0;
    const { copySqliteImageToPostgres } = await import('../../storage/postgres/sqlite-image.js');
    const report = await withDelayedProgress(context.io, `copying ${from} into PostgreSQL`, progress, (shown) =>
      copySqliteImageToPostgres(image, target, { replace, onProgress: (detail) => shown.update(detail) }),
    ).catch((error: unknown) => {
      // Another writer filled the database since the check: the copy was rolled back.
      if (error instanceof InvalidArgumentError && /already holds/.test(error.message)) {
        throw targetNotEmpty(redactConnectionString(to), 'already holds networks or nodes');
      }
      throw error;
    });
    return { from, to: redactConnectionString(to), rows: report.rows, skipped: report.skipped, replaced };
  } finally {
    await target.close();
  }
}

/** Whether a SQLite file at `path` holds networks or nodes (a file that is not a netconf database counts as holding data). */
async function sqliteFileHoldsData(path: string): Promise<boolean> {
  let storage;
  try {
    storage = await openSqlJsStorage({ path });
  } catch (error) {
    if (error instanceof NotANetconfDatabaseError || error instanceof CorruptDatabaseError) return true;
    throw error;
  }
  try {
    return storage.engine.read((reader) =>
      Number(reader.get<{ n: number }>(`SELECT (SELECT count(*) FROM Network) + (SELECT count(*) FROM Node) AS n`)!.n) > 0,
    );
  } finally {
    await storage.close();
  }
}

async function postgresToFile(context: CommandContext, from: string, to: string, replace: boolean): Promise<MigrationReport> {
  const progress = { quiet: context.globals.json, delayMs: PROGRESS_DELAY_MS };
  const exists = await checkWritableFilePath(to, '--to', ExitCode.BAD_INPUT);
  // A target file held by a running master is refused here (its lock), whatever --replace says.
  const replaced = exists && (await sqliteFileHoldsData(to));
  if (replaced && !replace) throw targetNotEmpty(to, 'already holds networks or nodes (or is not an empty netconf database)');
  const store = await openPostgres(from);
  let image: Uint8Array;
  try {
    const { sqliteImageFromPostgres } = await import('../../storage/postgres/sqlite-image.js');
    image = await withDelayedProgress(context.io, 'reading PostgreSQL', progress, (shown) =>
      sqliteImageFromPostgres(store, (detail) => shown.update(detail)),
    );
  } finally {
    await store.close();
  }
  await withDelayedProgress(context.io, `writing ${to}`, progress, () => restoreDatabaseFile(to, image));
  const rows = await sqliteRowCounts(to);
  return { from: redactConnectionString(from), to, rows, skipped: {}, replaced };
}

function describe(report: MigrationReport): string {
  const counts = Object.keys(SQLITE_TABLES).map((table) => `${table} ${report.rows[table] ?? 0}`).join(', ');
  const skipped = Object.entries(report.skipped).map(([table, count]) => `${table} ${count}`).join(', ');
  return (
    `migrated ${report.from} to ${report.to}${report.replaced ? ' (replacing what it held)' : ''}; rows: ${counts}\n` +
    (skipped === '' ? '' : `left behind (the target cannot hold them): ${skipped}\n`)
  );
}

export function registerMigrateCommand(program: Command, context: () => CommandContext): void {
  program
    .command('migrate')
    .description(
      'copy the whole database between a SQLite file (a sql.js master\'s database or a backup) and ' +
        'PostgreSQL, either way; a target holding networks or nodes is left unchanged unless --replace',
    )
    .requiredOption('--from <source>', 'a SQLite database file, or a postgres:// connection string')
    .requiredOption('--to <target>', 'a postgres:// connection string, or a SQLite file to write')
    .option('--replace', 'replace what the target holds', false)
    .action(async (flags: { from: string; to: string; replace: boolean }) => {
      const ctx = context();
      requireLocal(ctx, 'migrate');
      const fromPostgres = isPostgresUrl(flags.from);
      const toPostgres = isPostgresUrl(flags.to);
      if (fromPostgres === toPostgres) {
        throw new CliError(
          ExitCode.BAD_INPUT,
          fromPostgres
            ? 'both --from and --to are PostgreSQL; one side of a migration is a SQLite file (use pg_dump between servers)'
            : 'neither --from nor --to is a postgres:// connection string (between SQLite files, use backup and restore)',
        );
      }
      const report = fromPostgres
        ? await postgresToFile(ctx, flags.from, flags.to, flags.replace)
        : await fileToPostgres(ctx, flags.from, flags.to, flags.replace);
      ctx.io.out(ctx.globals.json ? renderJson(report) : describe(report));
    });
}
