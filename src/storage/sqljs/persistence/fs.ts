/**
 * The few file-system calls file persistence and its lock make (docs/architecture.md,
 * "Persistence"), as an object: Node's by default, a wrapper that injects faults in tests.
 */
import * as nodeFs from 'node:fs';
import { promisify } from 'node:util';
import { allocateWithRoom } from '../room-to-grow.js';

/** Identity of a file as seen by stat. */
export interface FileIdentity {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** The few file-system calls file persistence and its lock make; inject a wrapper to simulate faults. */
export interface PersistenceFs {
  /**
   * A whole file. With `capacity`, its bytes are read to the start of a buffer of `capacity(size)`
   * bytes (room that a database loaded from it grows into; see room-to-grow.ts).
   */
  readFile(path: string, capacity?: (size: number) => number): Promise<Uint8Array>;
  /** flags as in fs.open: 'r', 'r+', 'w', 'wx'; `mode` for a file it creates. */
  open(path: string, flags: string, mode?: number): Promise<number>;
  write(fd: number, data: Uint8Array, position: number): Promise<number>;
  /** fdatasync: file data and the size needed to read it back. */
  fdatasync(fd: number): Promise<void>;
  /** fsync of a file or, opened with 'r', a directory. */
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  copyFileExclusive(from: string, to: string): Promise<void>;
  /** The names of a directory's entries. */
  list(directory: string): Promise<string[]>;
  /** Synchronous stat; null when the path does not exist. */
  statSync(path: string): FileIdentity | null;
}

export const nodePersistenceFs: PersistenceFs = {
  readFile: async (path, capacity) => {
    if (capacity === undefined) return new Uint8Array(await nodeFs.promises.readFile(path));
    const file = await nodeFs.promises.open(path, 'r');
    try {
      const { size } = await file.stat();
      const buffer = allocateWithRoom(size, capacity(size));
      let done = 0;
      while (done < size) {
        const { bytesRead } = await file.read(buffer, done, Math.min(size - done, READ_CHUNK), done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buffer.subarray(0, done);
    } finally {
      await file.close();
    }
  },
  open: promisify(nodeFs.open) as (path: string, flags: string, mode?: number) => Promise<number>,
  write: async (fd, data, position) => (await promisify(nodeFs.write)(fd, data, 0, data.length, position)).bytesWritten,
  fdatasync: promisify(nodeFs.fdatasync),
  fsync: promisify(nodeFs.fsync),
  ftruncate: promisify(nodeFs.ftruncate),
  close: promisify(nodeFs.close),
  rename: nodeFs.promises.rename,
  unlink: nodeFs.promises.unlink,
  copyFileExclusive: (from, to) => nodeFs.promises.copyFile(from, to, nodeFs.constants.COPYFILE_EXCL),
  list: (directory) => nodeFs.promises.readdir(directory),
  statSync: (path) => {
    const s = nodeFs.statSync(path, { throwIfNoEntry: false });
    return s ? { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs } : null;
  },
};

/** The most one read asks for (Node refuses reads of 2 GiB or more). */
const READ_CHUNK = 64 * 2 ** 20;

/** Writes all of `data` at `position`, however many calls that takes. */
export async function writeFully(fs: PersistenceFs, fd: number, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const n = await fs.write(fd, data.subarray(done), position + done);
    if (n <= 0) throw new Error('write made no progress');
    done += n;
  }
}
