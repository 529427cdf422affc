/**
 * Checks on the paths a user gives, made before any work so that a mistake (a folder that does
 * not exist, a folder where a file is expected) is one clear line and leaves nothing behind.
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError, ExitCode } from './exit-codes.js';

type Kind = 'file' | 'directory' | 'other' | 'absent';

async function kindOf(path: string): Promise<Kind> {
  try {
    const info = await stat(path);
    return info.isFile() ? 'file' : info.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'absent';
  }
}

/** The database file must exist (and be a file). */
export async function requireDatabase(path: string): Promise<void> {
  const kind = await kindOf(path);
  if (kind === 'file') return;
  if (kind === 'directory') {
    throw new CliError(ExitCode.STORAGE, `${path} is a directory; --db names the database file (such as ${path}/netconf.db)`);
  }
  throw new CliError(
    ExitCode.STORAGE,
    `no database at ${path} (create one with "zt-netconf-master init", or pass --db <path>)`,
  );
}

/**
 * A file about to be written: its folder must exist and the path must not be a folder. Returns
 * whether a file is already there. `what` names the file in the message ("backup", "--db").
 */
export async function checkWritableFilePath(path: string, what: string, exitCode: ExitCode): Promise<boolean> {
  const kind = await kindOf(path);
  if (kind === 'directory') {
    throw new CliError(exitCode, `${what} ${path} is a directory; give a file name inside it`);
  }
  if (kind === 'other') throw new CliError(exitCode, `${what} ${path} is not a regular file`);
  const folder = dirname(path);
  const folderKind = await kindOf(folder);
  if (folderKind === 'absent') throw new CliError(exitCode, `${what} ${path}: folder ${folder} does not exist`);
  if (folderKind !== 'directory') throw new CliError(exitCode, `${what} ${path}: ${folder} is not a folder`);
  return kind === 'file';
}

/** A file about to be read: it must exist and be a file. */
export async function checkReadableFilePath(path: string, what: string, exitCode: ExitCode): Promise<void> {
  const kind = await kindOf(path);
  if (kind === 'file') return;
  if (kind === 'directory') throw new CliError(exitCode, `${what} ${path} is a directory, not a file`);
  if (kind === 'absent') throw new CliError(exitCode, `${what} ${path} does not exist`);
  throw new CliError(exitCode, `${what} ${path} is not a regular file`);
}
