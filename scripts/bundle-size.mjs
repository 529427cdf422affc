#!/usr/bin/env node
/**
 * Measures what the library costs a web page: bundles src/index.ts for the browser with esbuild
 * (ESM, minified), gzips the result and prints the sizes in KB (1 KB = 1024 bytes).
 *
 * - library only (the budget, ≤ 60 KB min+gzip): the package's own code and the small library it
 *   bundles (valibot); only @noble/* and sql.js are left external. Every module the library
 *   loads with import() is counted (IndexedDB persistence included), except those in ON_DEMAND;
 * - on demand: modules the library imports only when a rare request asks for them (the admin
 *   API's OpenAPI document, on GET /openapi.json; its metrics page, on GET /metrics, which a page
 *   in a browser is not scraped for): a page's bundler puts each in a chunk of its own, fetched
 *   only then. Reported on their own, outside the budget;
 * - with dependencies: noble (curves, hashes, ciphers) and sql.js's JavaScript glue bundled in;
 * - sql.js's WebAssembly binary is never bundled; its size is reported on its own.
 *
 * Exits 1 when the library-only bundle is over the budget.
 *
 * Usage: node scripts/bundle-size.mjs [--json] [--target-kb 60]
 */
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(repoRoot, 'src', 'index.ts');
const targetAt = process.argv.indexOf('--target-kb');
/** The budget; `--target-kb N` sets another (the test that the script fails above it uses a tiny one). */
const TARGET_LIBRARY_KB = targetAt === -1 ? 60 : Number(process.argv[targetAt + 1]);
/** Modules loaded with import() only on a rare request, as `importer → specifier`. */
const ON_DEMAND = [
  { importer: 'src/admin-api/admin-api.ts', specifier: './openapi.js', file: 'src/admin-api/openapi.ts' },
  { importer: 'src/admin-api/admin-api.ts', specifier: './metrics-page.js', file: 'src/admin-api/metrics-page.ts' },
];

/** Leaves the ON_DEMAND dynamic imports out of the bundle (they are measured on their own). */
const onDemandExternal = {
  name: 'on-demand-external',
  setup(builder) {
    builder.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const importer = path.relative(repoRoot, args.importer);
      const lazy = ON_DEMAND.some((item) => item.importer === importer && item.specifier === args.path);
      return lazy ? { path: args.path, external: true } : undefined;
    });
  },
};

async function bundle(external, entryPoint = entry) {
  const result = await build({
    entryPoints: [entryPoint],
    plugins: [onDemandExternal],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2022'],
    minify: true,
    write: false,
    metafile: true,
    // No node:* external: the browser graph reaches no Node.js module (package.json `browser`
    // replaces the file persistence); a build that would need one fails.
    external,
    logLevel: 'error',
  });
  const code = result.outputFiles[0].contents;
  return { code, metafile: result.metafile };
}

/** Bytes of the bundle's input that came from each top-level package (or "library"). */
function bytesBySource(metafile) {
  const output = Object.values(metafile.outputs)[0];
  const totals = new Map();
  for (const [file, info] of Object.entries(output.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const source = match ? match[1] : 'library';
    totals.set(source, (totals.get(source) ?? 0) + info.bytesInOutput);
  }
  return [...totals.entries()].sort((x, y) => y[1] - x[1]);
}

const kb = (bytes) => Number((bytes / 1024).toFixed(1));

const libraryOnly = await bundle(['@noble/*', 'sql.js']);
const withDeps = await bundle([]);
const onDemand = await Promise.all(ON_DEMAND.map((item) => bundle(['@noble/*', 'sql.js'], path.join(repoRoot, item.file))));
const wasm = await readFile(path.join(repoRoot, 'node_modules', 'sql.js', 'dist', 'sql-wasm.wasm'));

const report = {
  libraryOnly: { minKB: kb(libraryOnly.code.length), gzipKB: kb(gzipSync(libraryOnly.code, { level: 9 }).length) },
  onDemand: {
    minKB: kb(onDemand.reduce((sum, chunk) => sum + chunk.code.length, 0)),
    gzipKB: kb(onDemand.reduce((sum, chunk) => sum + gzipSync(chunk.code, { level: 9 }).length, 0)),
  },
  withDependencies: { minKB: kb(withDeps.code.length), gzipKB: kb(gzipSync(withDeps.code, { level: 9 }).length) },
  sqlJsWasm: { KB: kb(wasm.length), gzipKB: kb(gzipSync(wasm, { level: 9 }).length) },
  libraryBySource: Object.fromEntries(bytesBySource(libraryOnly.metafile).map(([s, b]) => [s, kb(b)])),
  withDependenciesBySource: Object.fromEntries(bytesBySource(withDeps.metafile).map(([s, b]) => [s, kb(b)])),
  targetLibraryGzipKB: TARGET_LIBRARY_KB,
};

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log('Browser bundle of src/index.ts (esbuild, ESM, minified; KB = 1024 bytes)');
  console.log(`  library only       ${report.libraryOnly.minKB} KB min, ${report.libraryOnly.gzipKB} KB min+gzip (target ≤ ${TARGET_LIBRARY_KB})`);
  console.log(`  on demand          ${report.onDemand.minKB} KB min, ${report.onDemand.gzipKB} KB min+gzip (${ON_DEMAND.map((item) => item.file).join(', ')}: import() on first use)`);
  console.log(`  with dependencies  ${report.withDependencies.minKB} KB min, ${report.withDependencies.gzipKB} KB min+gzip (noble + sql.js glue)`);
  console.log(`  sql.js wasm        ${report.sqlJsWasm.KB} KB, ${report.sqlJsWasm.gzipKB} KB gzip (loaded separately)`);
  console.log('  minified bytes by source (with dependencies):');
  for (const [source, size] of Object.entries(report.withDependenciesBySource)) console.log(`    ${source.padEnd(18)} ${size} KB`);
}
if (report.libraryOnly.gzipKB > TARGET_LIBRARY_KB) {
  console.error(`library bundle ${report.libraryOnly.gzipKB} KB min+gzip exceeds the ${TARGET_LIBRARY_KB} KB target`);
  process.exitCode = 1;
}
