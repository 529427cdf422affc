// Writes the file map of src/ (scripts/file-map.mjs) into docs/architecture.md, between its markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileMap } from './file-map.mjs';

const path = new URL('../docs/architecture.md', import.meta.url);
const doc = readFileSync(path, 'utf8');
writeFileSync(path, doc.replace(/<!-- file-map -->\n[\s\S]*?<!-- \/file-map -->/, `<!-- file-map -->\n${fileMap()}\n<!-- /file-map -->`));
