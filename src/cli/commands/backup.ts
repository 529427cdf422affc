/**
 * `backup <file>` and `restore <file>`: the fail-over path of master.md §5. A backup is an ordinary
 * SQLite file; together with the master's secret identity it is everything needed to bring the
 * master up elsewhere.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { Command } from 'commander';
import { openSqlJsStorage, restoreDatabaseFile } from '../../storage/index.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { renderJson } from '../format.js';
import { databaseExists, requireDatabase, type CommandContext } from '../context.js';

/** Writes `bytes` to `path` through a temporary file and a rename, so `path` is never half-written. */
async function writeFileAtomically(path: string, bytes: Uint8Array, overwrite: boolean): Promise<void> {
  if (!overwrite && (await databaseExists(path))) {
    throw new CliError(ExitCode.BAD_INPUT, `${path} already exists (pass --force to replace it)`);
  }
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(temporary, path);
}

export function registerBackupCommands(program: Command, context: () => CommandContext): void {
  program
    .command('backup')
    .description('write a consistent copy of the database (an ordinary SQLite file) to <file>')
    .argument('<file>', 'where to write the backup')
    .option('--force', 'replace <file> if it exists')
    .action(async (file: string, flags: { force?: boolean }) => {
      const ctx = context();
      await requireDatabase(ctx.globals.db);
      const storage = await openSqlJsStorage({ path: ctx.globals.db });
      let image: Uint8Array;
      try {
        image = await storage.backup();
      } finally {
        await storage.close();
      }
      await writeFileAtomically(file, image, Boolean(flags.force));
      ctx.io.out(
        ctx.globals.json
          ? renderJson({ backup: file, bytes: image.length, database: ctx.globals.db })
          : `wrote backup of ${ctx.globals.db} to ${file} (${image.length} bytes)\n`,
      );
    });

  program
    .command('restore')
    .description(
      'replace the database (--db) with a backup; the file is checked first, and the database is ' +
        'left as it was if the backup is not a readable netconf database',
    )
    .argument('<file>', 'a backup written by "backup" (or by master.backup())')
    .option('--force', 'replace an existing database')
    .action(async (file: string, flags: { force?: boolean }) => {
      const ctx = context();
      const db = ctx.globals.db;
      let image: Uint8Array;
      try {
        image = new Uint8Array(await readFile(file));
      } catch (error) {
        throw new CliError(ExitCode.BAD_INPUT, `cannot read backup ${file}: ${(error as Error).message}`);
      }
      if (!flags.force && (await databaseExists(db))) {
        throw new CliError(ExitCode.BAD_INPUT, `${db} already exists (pass --force to replace it with the backup)`);
      }
      await restoreDatabaseFile(db, image);
      ctx.io.out(
        ctx.globals.json
          ? renderJson({ restored: file, database: db, bytes: image.length })
          : `restored ${db} from ${file} (${image.length} bytes)\n`,
      );
    });
}
