/**
 * Opening what a command works on: the master identity, the durable database file, and the
 * master over both. Everything opened is closed again (releasing the file lock) when the command ends.
 */
import { stat } from 'node:fs/promises';
import { createNetconfMaster, type NetconfMaster } from '../master/index.js';
import { openSqlJsStorage } from '../storage/index.js';
import { CliError, ExitCode } from './exit-codes.js';
import { loadMasterIdentity } from './identity-files.js';
import type { CliIo } from './io.js';

export interface GlobalOptions {
  db: string;
  identity: string;
  json: boolean;
}

export interface CommandContext {
  io: CliIo;
  globals: GlobalOptions;
}

export type Master = NetconfMaster;

export async function databaseExists(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

export async function requireDatabase(path: string): Promise<void> {
  if (!(await databaseExists(path))) {
    throw new CliError(
      ExitCode.STORAGE,
      `no database at ${path} (create one with "zt-netconf-master init", or pass --db <path>)`,
    );
  }
}

/** Runs `fn` with a master over the existing database; closes the storage whatever happens. */
export async function withMaster<T>(context: CommandContext, fn: (master: Master) => Promise<T>): Promise<T> {
  const { db, identity: identityPath } = context.globals;
  const identity = await loadMasterIdentity(identityPath);
  await requireDatabase(db);
  const storage = await openSqlJsStorage({ path: db });
  try {
    const master = createNetconfMaster(storage, identity);
    return await fn(master);
  } finally {
    await storage.close();
  }
}
