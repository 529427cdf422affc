#!/usr/bin/env node
/**
 * Builds the browser simulation (examples/browser-sim) into examples/browser-sim/dist:
 * an ES module bundle of the page's code (the whole library, sql.js's JavaScript glue and noble
 * included), the page, its stylesheet, and sql.js's WebAssembly binary copied next to the bundle.
 *
 * Usage: node scripts/build-browser.mjs [--minify] [--serve [port]]
 * With --serve it then serves the page on http://127.0.0.1:<port>/ (default 8080) until stopped.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const exampleDir = path.join(repoRoot, 'examples', 'browser-sim');
const outDir = path.join(exampleDir, 'dist');
const sqlJsDist = path.join(repoRoot, 'node_modules', 'sql.js', 'dist');

export async function buildBrowserSim({ minify = false } = {}) {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [path.join(exampleDir, 'src', 'main.ts')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2022'],
    sourcemap: true,
    minify,
    // No node:* external: the library's browser graph reaches no Node.js module (package.json
    // `browser` replaces the file persistence), and the build fails if that ever changes.
    logLevel: 'warning',
    metafile: true,
  });
  // sql.js's browser glue fetches "sql-wasm-browser.wasm" relative to the page by default; the
  // page also passes locateFile explicitly. Both names are copied so either convention works.
  const wasm = path.join(sqlJsDist, 'sql-wasm.wasm');
  await copyFile(wasm, path.join(outDir, 'sql-wasm.wasm'));
  await copyFile(wasm, path.join(outDir, 'sql-wasm-browser.wasm'));
  await copyFile(path.join(exampleDir, 'index.html'), path.join(outDir, 'index.html'));
  await copyFile(path.join(exampleDir, 'style.css'), path.join(outDir, 'style.css'));
  return { outDir, metafile: result.metafile };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outDir: dir, metafile } = await buildBrowserSim({ minify: process.argv.includes('--minify') });
  const bytes = Object.values(metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.log(`browser-sim built into ${path.relative(repoRoot, dir)} (${(bytes / 1024).toFixed(1)} KiB of JS + maps)`);
}

const CONTENT_TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.map': 'application/json' };

/** A static server for the built page, on 127.0.0.1 only. */
function serve(dir, port) {
  const server = createServer(async (req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = path.resolve(dir, `.${urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath}`);
    if (!file.startsWith(dir + path.sep)) return res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  server.listen(port, '127.0.0.1', () => console.log(`serving the browser simulation on http://127.0.0.1:${port}/ (Ctrl-C stops)`));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const serveAt = process.argv.indexOf('--serve');
  if (serveAt !== -1) serve(outDir, Number(process.argv[serveAt + 1]) || 8080);
}
