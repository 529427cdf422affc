/**
 * Room for the database file to grow in without being copied.
 *
 * sql.js keeps its database file in one `Uint8Array` of Emscripten's in-memory file system. When a
 * write goes past the array's end, the file system allocates one an eighth larger and copies the
 * whole file into it, inside that write: at a million members (a 617 MB file) a `COMMIT` then
 * stops the thread for about a third of a second, once per eighth the database grows by
 * (docs/benchmarks.md, "File storage at a million members").
 *
 * The file system takes a new file's first contents with `slice()` of the bytes it is given. The
 * image handed to sql.js here answers `slice()` with the image at the start of a larger array, so
 * the file starts with room to grow in place. The room is address space, not memory: the operating
 * system commits its pages only as the database grows into them. Had a sql.js build stopped calling
 * `slice()`, the file would simply start without room (a plain copy), with the same contents.
 */

/** The largest capacity given: typed arrays and sql.js's file sizes stay below 4 GiB. */
const MAX_CAPACITY = 2 ** 32 - 1;

/** The capacity a database file of `size` bytes starts with: room to double before its first copy. */
export function capacityFor(size: number): number {
  return Math.min(MAX_CAPACITY, 2 * size);
}

/** A zeroed array of `capacity` bytes to hold a file of `size`, or of `size` when so much memory cannot be had. */
export function allocateWithRoom(size: number, capacity: number): Uint8Array {
  try {
    return new Uint8Array(Math.max(size, capacity));
  } catch {
    return new Uint8Array(size);
  }
}

/**
 * `image` as sql.js should receive it: the same bytes, whose `slice()` (what the file system copies
 * them with) returns them at the start of a larger array.
 *
 * - `take: false`: that array is a new one of `capacity` bytes (the image's size if so much memory
 *   cannot be had); the image itself is never written to.
 * - `take: true`: the image's own buffer is that array, as far as it reaches past the image (a
 *   backend reads the file into a buffer with room, see PersistenceFs.readFile): no copy at all.
 *   The caller gives the buffer up: sql.js writes to it from then on.
 */
export function withRoomToGrow(image: Uint8Array, options: { take?: boolean; capacity?: number } = {}): Uint8Array {
  const view = new Uint8Array(image.buffer, image.byteOffset, image.length);
  const slice = (start = 0, end = image.length): Uint8Array => {
    if (start !== 0 || end !== image.length) return image.slice(start, end);
    if (options.take) return new Uint8Array(image.buffer, image.byteOffset, image.buffer.byteLength - image.byteOffset);
    const file = allocateWithRoom(image.length, options.capacity ?? capacityFor(image.length));
    file.set(image);
    return file;
  };
  Object.defineProperty(view, 'slice', { value: slice, configurable: true });
  return view;
}
