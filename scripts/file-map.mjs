// Prints the file map of src/ for docs/architecture.md: one line per file, from the first sentence
// of each file's opening comment. `node scripts/file-map.mjs` (the map is checked by a test).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../src/', import.meta.url).pathname;

function files(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.ts') ? [path] : [];
  });
}

export function summary(source) {
  const match = /^(?:#![^\n]*\n)?\s*(?:\/\*\*?([\s\S]*?)\*\/|((?:\s*\/\/[^\n]*\n)+))/.exec(source);
  if (match === null) return '';
  const body = (match[1] ?? match[2] ?? '')
    .split('\n')
    .map((line) => line.replace(/^\s*(?:\*|\/\/)\s?/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('@'))
    .join(' ');
  const sentence = /^(.*?[^.]\.)(?:\s|$)/.exec(body);
  let text = sentence ? sentence[1] : body;
  if (text.length > 170) text = `${text.slice(0, 170).replace(/\s+\S*$/, '')} …`;
  return text.replace(/\|/g, '\\|');
}

export function fileMap() {
  const lines = ['| file | what it holds |', '| --- | --- |'];
  for (const path of files(root)) lines.push(`| \`src/${relative(root, path)}\` | ${summary(readFileSync(path, 'utf8'))} |`);
  return lines.join('\n');
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) console.log(fileMap());
