/** The file map of src/ as a Markdown table, one line per file (scripts/file-map.mjs). */
export function fileMap(): string;
/** The first sentence of a source file's opening comment. */
export function summary(source: string): string;
