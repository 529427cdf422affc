/**
 * The master identity on disk: the secret file (public and private key, mode 0600) and the public
 * file beside it. Losing the secret means losing the networks: their IDs carry its address.
 */
import { readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, basename, extname, join } from 'node:path';
import { Identity } from '../crypto/identity.js';
import { CliError, ExitCode } from './exit-codes.js';

/** identity.secret → identity.public; anything else gets ".public" appended. */
export function publicIdentityPath(secretPath: string): string {
  const name = basename(secretPath);
  const stem = extname(name) === '.secret' ? name.slice(0, -'.secret'.length) : name;
  return join(dirname(secretPath), `${stem}.public`);
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function isExists(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EEXIST';
}

/** Reads the master identity and checks it holds its private key and validates. */
export async function loadMasterIdentity(path: string): Promise<Identity> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isNotFound(error)) {
      throw new CliError(
        ExitCode.IDENTITY,
        `no master identity at ${path} (create one with "zt-netconf-master init", or pass --identity <path>)`,
      );
    }
    throw new CliError(ExitCode.IDENTITY, `cannot read master identity ${path}: ${(error as Error).message}`);
  }
  let identity: Identity;
  try {
    identity = Identity.fromString(text.trim());
  } catch (error) {
    throw new CliError(ExitCode.IDENTITY, `${path} does not hold an identity: ${(error as Error).message}`);
  }
  if (!identity.hasPrivate) {
    throw new CliError(ExitCode.IDENTITY, `${path} holds only a public identity; the master needs the secret file`);
  }
  if (!(await identity.locallyValidate())) {
    throw new CliError(ExitCode.IDENTITY, `${path} holds an identity whose address does not match its key`);
  }
  return identity;
}

/**
 * Writes the secret (mode 0600) and public files; refuses to replace either. If the public file
 * cannot be written the secret is removed again, so a failed init leaves nothing behind.
 */
export async function writeIdentityFiles(secretPath: string, identity: Identity): Promise<string> {
  const publicPath = publicIdentityPath(secretPath);
  try {
    await writeFile(secretPath, identity.toString(true) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (isExists(error)) {
      throw new CliError(ExitCode.BAD_INPUT, `${secretPath} already exists; refusing to overwrite a master identity`);
    }
    throw new CliError(ExitCode.IDENTITY, `cannot write ${secretPath}: ${(error as Error).message}`);
  }
  try {
    await writeFile(publicPath, identity.toString(false) + '\n', { mode: 0o644, flag: 'wx' });
  } catch (error) {
    await unlink(secretPath).catch(() => undefined);
    if (isExists(error)) {
      throw new CliError(ExitCode.BAD_INPUT, `${publicPath} already exists; refusing to overwrite it`);
    }
    throw new CliError(ExitCode.IDENTITY, `cannot write ${publicPath}: ${(error as Error).message}`);
  }
  return publicPath;
}

/** Fails early, before any slow work, when init would have to overwrite something. */
export async function assertIdentityFilesAbsent(secretPath: string): Promise<void> {
  for (const path of [secretPath, publicIdentityPath(secretPath)]) {
    const exists = await stat(path).then(
      () => true,
      (error: unknown) => !isNotFound(error),
    );
    if (exists) {
      throw new CliError(ExitCode.BAD_INPUT, `${path} already exists; refusing to overwrite a master identity`);
    }
  }
}
