/**
 * `backup <file>` and `restore <file>`: the fail-over path of master.md §5. A backup is an ordinary
 * SQLite file; together with the master's secret identity it is everything needed to bring the
 * master up elsewhere. Both work on the database file, so they run where it is (not with --url).
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { Command } from 'commander';
import { openSqlJsStorage, restoreDatabaseFile } from '../../storage/index.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { renderJson } from '../format.js';
import { requireLocal, type CommandContext } from '../context.js';
import { checkReadableFilePath, checkWritableFilePath, requireDatabase } from '../paths.js';
import { PROGRESS_DELAY_MS, withDelayedProgress } from '../progress.js';
import type { CliIo } from '../io.js';

/** Bytes written per step, so progress can be shown on a big backup. */
const WRITE_CHUNK_BYTES = 4 * 1024 * 1024;

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Writes `bytes` to `path` through a temporary file and a rename, so `path` is never half-written
 * and a failure (full disk, a folder in the way) leaves no temporary file behind.
 */
async function writeFileAtomically(path: string, bytes: Uint8Array, onProgress: (detail: string) => void): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let handle;
  try {
    handle = await open(temporary, 'wx', 0o600);
  } catch (error) {
    throw new CliError(ExitCode.BAD_INPUT, `cannot write backup ${path}: ${(error as Error).message}`);
  }
  try {
    for (let offset = 0; offset < bytes.length; offset += WRITE_CHUNK_BYTES) {
      const chunk = bytes.subarray(offset, offset + WRITE_CHUNK_BYTES);
      await handle.write(chunk);
      onProgress(`${megabytes(offset + chunk.length)} of ${megabytes(bytes.length)}`);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw new CliError(ExitCode.BAD_INPUT, `cannot write backup ${path}: ${(error as Error).message}`);
  }
}

function progressOptions(context: CommandContext): { quiet: boolean; delayMs: number } {
  return { quiet: context.globals.json, delayMs: PROGRESS_DELAY_MS };
}

async function takeBackup(io: CliIo, context: CommandContext): Promise<Uint8Array> {
  const db = context.globals.db;
  return withDelayedProgress(io, `reading ${db}`, progressOptions(context), async () => {
    const storage = await openSqlJsStorage({ path: db });
    try {
      return await storage.backup();
    } finally {
      await storage.close();
    }
  });
}

export function registerBackupCommands(program: Command, context: () => CommandContext): void {
  program
    .command('backup')
    .description('write a consistent copy of the database (an ordinary SQLite file) to <file>')
    .argument('<file>', 'where to write the backup')
    .option('--force', 'replace <file> if it exists')
    .action(async (file: string, flags: { force?: boolean }) => {
      const ctx = context();
      requireLocal(ctx, 'backup');
      await requireDatabase(ctx.globals.db);
      const exists = await checkWritableFilePath(file, 'backup', ExitCode.BAD_INPUT);
      if (exists && !flags.force) {
        throw new CliError(ExitCode.BAD_INPUT, `${file} already exists (pass --force to replace it)`);
      }
      const image = await takeBackup(ctx.io, ctx);
      await withDelayedProgress(ctx.io, `writing ${file}`, progressOptions(ctx), (progress) =>
        writeFileAtomically(file, image, progress.update),
      );
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
      requireLocal(ctx, 'restore');
      const db = ctx.globals.db;
      await checkReadableFilePath(file, 'backup', ExitCode.BAD_INPUT);
      const exists = await checkWritableFilePath(db, '--db', ExitCode.STORAGE);
      if (exists && !flags.force) {
        throw new CliError(ExitCode.BAD_INPUT, `${db} already exists (pass --force to replace it with the backup)`);
      }
      let image: Uint8Array;
      try {
        image = new Uint8Array(await readFile(file));
      } catch (error) {
        throw new CliError(ExitCode.BAD_INPUT, `cannot read backup ${file}: ${(error as Error).message}`);
      }
      await withDelayedProgress(ctx.io, `restoring ${db} from ${file}`, progressOptions(ctx), () =>
        restoreDatabaseFile(db, image),
      );
      ctx.io.out(
        ctx.globals.json
          ? renderJson({ restored: file, database: db, bytes: image.length })
          : `restored ${db} from ${file} (${image.length} bytes)\n`,
      );
    });
}
