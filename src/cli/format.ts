/**
 * Output shapes: aligned tables and "key: value" blocks for people, JSON for scripts.
 * JSON output turns bigints into decimal strings and byte arrays into hex, so `JSON.parse` works.
 */

export type Cell = string | number | bigint | boolean | null | undefined;

export function renderCell(value: Cell): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** A table with a header row; columns are padded to their widest cell, the last one is not. */
export function renderTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => row.map(renderCell));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...text.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...text.map(line)].join('\n') + '\n';
}

/** "key: value" lines with the keys aligned. */
export function renderFields(fields: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(0, ...fields.map(([key]) => key.length));
  return fields.map(([key, value]) => `${(key + ':').padEnd(width + 2)}${renderCell(value)}`).join('\n') + '\n';
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}

export function renderJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer, 2) + '\n';
}

/** Milliseconds since the epoch as an ISO time, or '-' for never (0 / absent). */
export function renderTime(ms: number | bigint | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  const value = Number(ms);
  if (!Number.isFinite(value) || value <= 0) return '-';
  return new Date(value).toISOString();
}

/**
 * A listing as a command prints it: the items as JSON with `--json`, else `empty` when there are
 * none, else a table of `columns` with one row per item.
 */
export function renderListing<T>(
  json: boolean,
  items: readonly T[],
  listing: { empty: string; columns: readonly string[]; row: (item: T) => readonly Cell[] },
): string {
  if (json) return renderJson(items);
  if (items.length === 0) return `${listing.empty}\n`;
  return renderTable(listing.columns, items.map(listing.row));
}
