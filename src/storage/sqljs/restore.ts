/**
 * Restore of a database file from a backup image (Node.js; used by the CLI `restore`). See
 * docs/architecture.md, "Persistence": the image is validated first, the target's lock is taken
 * (a running master refuses it), and the image is installed like a snapshot: written to a
 * temporary file, synced, renamed over the main file, with a fresh empty log. A crash at any
 * point leaves either the old database or the restored one.
 */
import type { SchemaManager } from './engine.js';
import { loadFilePersistenceModule, validateDatabaseImage } from './open.js';
import type { PersistenceFs } from './persistence/fs.js';

export async function restoreDatabaseFile(
  path: string,
  image: Uint8Array,
  schema: SchemaManager,
  options: { fs?: PersistenceFs } = {},
): Promise<void> {
  await validateDatabaseImage(image, schema, 'the backup image');
  const { openFilePersistence } = await loadFilePersistenceModule();
  const persistence = await openFilePersistence({ path, fs: options.fs });
  try {
    await persistence.replaceSnapshot(image);
  } finally {
    await persistence.close();
  }
}
