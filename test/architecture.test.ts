/**
 * The layout is the architecture (docs/architecture.md): each folder of src/ imports only the
 * layers before it, storage reaches the master only through its storage interface, and no import
 * loop exists anywhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Each file of src/ (relative, e.g. `master/request.ts`) with the files of src/ it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const path of sourceFiles(src)) {
    const text = readFileSync(path, 'utf8');
    const targets = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)]
      .map((match) => normalize(join(dirname(path), (match[1] ?? match[2])!)).replace(/\.js$/, '.ts'))
      .map((target) => relative(src, target));
    graph.set(relative(src, path), targets);
  }
  return graph;
}

/** Which folders (first path segment; '' for the files at the top) each folder may import. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  '': [''],
  crypto: ['', 'crypto'],
  protocol: ['', 'crypto', 'protocol'],
  master: ['', 'crypto', 'protocol', 'master'],
  storage: ['', 'crypto', 'protocol', 'storage', 'master/store.ts'],
  'admin-api': ['', 'crypto', 'protocol', 'master', 'admin-api'],
  testing: ['', 'crypto', 'testing'],
  node: ['', 'crypto', 'protocol', 'master', 'storage', 'admin-api', 'node'],
  postgres: ['', 'crypto', 'protocol', 'master/store.ts', 'storage', 'postgres'],
  cli: ['', 'crypto', 'protocol', 'master', 'storage', 'admin-api', 'node', 'cli'],
};

function folderOf(file: string): string {
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : '';
}

test('each folder of src/ imports only the layers before it; storage sees the master only through store.ts', () => {
  const wrong: string[] = [];
  for (const [file, targets] of importGraph()) {
    if (file === 'index.ts') continue; // the package root gathers every layer
    const allowed = MAY_IMPORT[folderOf(file)];
    assert.ok(allowed !== undefined, `src/${file} is in a folder the layering does not name`);
    for (const target of targets) {
      if (!allowed.includes(folderOf(target)) && !allowed.includes(target)) wrong.push(`src/${file} → src/${target}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('src/ has no import loop', () => {
  const graph = importGraph();
  const loops: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (state.get(target) === 'open') loops.push([...path.slice(path.indexOf(target)), target].join(' → '));
      else if (state.get(target) === undefined) visit(target);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  assert.deepEqual(loops, []);
});
