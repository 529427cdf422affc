/**
 * The rows `read` can read, in order: a row other software wrote in a form this library cannot read
 * (an address pool it does not understand, say) is left out, where the table's meaning allows it,
 * rather than failing every request of its network.
 */
export function readableRows<R, T>(rows: readonly R[], read: (row: R) => T): T[] {
  const readable: T[] = [];
  for (const row of rows) {
    try {
      readable.push(read(row));
    } catch {
      // left out, as the header says
    }
  }
  return readable;
}
