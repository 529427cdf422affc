/**
 * The package as a user installs it (built, packed, unpacked into a temporary project; no network):
 * every entry point of package.json `exports` has its files, the published `.d.ts` type-check with
 * `skipLibCheck: false` in a Node project without the DOM lib and without @types/sql.js, and the
 * compiled consumer runs a master from the published JavaScript; a Node host bundled with esbuild
 * keeps file storage, and a bundle without sql.js's wasm fails with a typed error naming it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { build } from 'esbuild';
import { installPackedPackage, repoRoot, specifierOf, type InstalledPackage } from './packaging/install.js';

let installed: InstalledPackage;

before(() => {
  installed = installPackedPackage('ztnc-consumer');
});

after(() => installed?.remove());

const CONSUMER = `
import { createNetconfMaster, openSqlJsStorage, Identity, NetworkConfig, ResultCode, type NetconfStore, type NetworkConfigReply } from 'zt-netconf-master';
import * as root from 'zt-netconf-master';
import { TEST_IDENTITIES, deterministicRandom } from 'zt-netconf-master/testing';
import { call, type MemberRow, type NetconfStoreTx, type RequestState, type StorageWork } from 'zt-netconf-master/storage';

const storage: NetconfStore = await openSqlJsStorage();
const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), {
  random: deterministicRandom('consumer'),
});
const nwid = await master.createNetwork({ name: 'consumer', private: false, v4AssignMode: 'zt', ipPools: ['10.1.0.0/16'] });
const reply: NetworkConfigReply = await master.doNetworkConfigRequest({
  identity: Identity.fromString(TEST_IDENTITIES[1]!).publicOnly(),
  nwid,
});
if (reply.code !== ResultCode.OK) throw new Error('request refused: ' + reply.code);
const config = NetworkConfig.fromDictionary(reply.netconf);
// What an implementer of the storage interface writes against.
const addressOf = (row: MemberRow): string => row.address;
function* stateOf(tx: NetconfStoreTx): StorageWork<RequestState> {
  return yield* call(tx.getRequestState(nwid, config.issuedTo));
}
const member = await storage.read(function* (reader) {
  return yield* call(reader.getMember(nwid, config.issuedTo));
});
console.log(JSON.stringify({
  name: config.name,
  member: member === undefined ? null : addressOf(member),
  authorized: await storage.transaction(function* (tx) {
    return (yield* stateOf(tx)).member?.authorized ?? false;
  }),
  rootExports: Object.keys(root).sort(),
}));
await master.close();
await storage.close();
`;

test('every entry point in package.json exports ships its JavaScript and its types', () => {
  const manifest = JSON.parse(
    readFileSync(path.join(installed.folder, 'node_modules', 'zt-netconf-master', 'package.json'), 'utf8'),
  ) as { exports: Record<string, { types: string; default: string } | string> };
  for (const entry of ['.', './storage', './testing']) assert.ok(installed.entryPoints.includes(entry), `exports has ${entry}`);
  for (const entry of installed.entryPoints) {
    const target = manifest.exports[entry];
    assert.ok(typeof target === 'object', `${entry} names its types and its code`);
    for (const file of [target.types, target.default]) {
      assert.ok(existsSync(path.join(installed.folder, 'node_modules', 'zt-netconf-master', file)), `${entry}: ${file} is in the package`);
    }
  }
  assert.ok(existsSync(path.join(installed.folder, 'node_modules', 'zt-netconf-master', 'LICENSE')), 'the LICENSE is in the package');
});

test('the published types check with skipLibCheck false, no DOM lib and no @types/sql.js, and the consumer runs', () => {
  const main = path.join(installed.folder, 'main.ts');
  // Every entry point is imported, so an entry point added later is checked too.
  const everyEntry = installed.entryPoints.map((entry, i) => `import * as entry${i} from '${specifierOf(entry)}';\nvoid entry${i};`);
  writeFileSync(main, `${everyEntry.join('\n')}\n${CONSUMER}`);
  assert.equal(existsSync(path.join(installed.folder, 'node_modules', '@types', 'sql.js')), false);
  const program = ts.createProgram([main], {
    strict: true,
    skipLibCheck: false,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    typeRoots: [path.join(installed.folder, 'node_modules', '@types')],
    // Resolve the linked dependencies from the consumer, not from this repository's node_modules.
    preserveSymlinks: true,
    outDir: installed.folder,
  });
  const emitted = program.emit();
  const problems = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file || diagnostic.start === undefined) return text;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return `${path.relative(installed.folder, diagnostic.file.fileName)}:${line + 1}: ${text}`;
  });
  assert.deepEqual(problems, []);
  const output = JSON.parse(execFileSync(process.execPath, ['main.js'], { cwd: installed.folder, encoding: 'utf8' })) as {
    name: string; member: string | null; authorized: boolean; rootExports: string[];
  };
  assert.equal(output.name, 'consumer');
  assert.match(output.member ?? '', /^[0-9a-f]{10}$/);
  assert.equal(output.authorized, true);
  for (const name of ['createNetconfMaster', 'openSqlJsStorage', 'Identity', 'Dictionary', 'NetconfError']) {
    assert.ok(output.rootExports.includes(name), `the root exports ${name}`);
  }
  for (const name of ['TEST_IDENTITIES', 'deterministicRandom']) {
    assert.ok(!output.rootExports.includes(name), `${name} is in zt-netconf-master/testing, not the root`);
  }
});

test('every file the package.json browser field replaces exists, in the sources or the package', () => {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { browser: Record<string, false> };
  const keys = Object.keys(manifest.browser);
  assert.ok(keys.length > 0);
  for (const key of keys) {
    const inPackage = path.join(installed.folder, 'node_modules', 'zt-netconf-master', key);
    // Source files are named .js in imports and live as .ts.
    const inSources = path.join(repoRoot, key.replace(/\.js$/, '.ts'));
    assert.ok(existsSync(inPackage) || existsSync(inSources), `${key} names no file: update package.json browser`);
  }
});

/** A Node.js host as a user writes it: file storage at the path given on its command line. */
const HOST = `
import { createNetconfMaster, openSqlJsStorage, Identity, ResultCode } from 'zt-netconf-master';
import { TEST_IDENTITIES } from 'zt-netconf-master/testing';
const [path, reopen] = process.argv.slice(2);
try {
  const storage = await openSqlJsStorage({ path });
  const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]));
  const nwid = reopen ?? (await master.createNetwork({ name: 'bundled', private: false }));
  const reply = await master.doNetworkConfigRequest({ identity: Identity.fromString(TEST_IDENTITIES[1]).publicOnly(), nwid });
  await master.close();
  await storage.close();
  console.log(JSON.stringify({ nwid, ok: reply.code === ResultCode.OK }));
} catch (error) {
  console.log(JSON.stringify({ code: error.code, name: error.name, file: error.file, message: error.message }));
}
`;

async function bundleHost(outfile: string, options: { banner?: string; external?: string[] }): Promise<void> {
  writeFileSync(path.join(installed.folder, 'host.mjs'), HOST);
  await build({
    entryPoints: [path.join(installed.folder, 'host.mjs')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: options.external ?? [],
    ...(options.banner ? { banner: { js: options.banner } } : {}),
    logLevel: 'error',
  });
}

function runHost(bundle: string, ...args: string[]): Record<string, unknown> {
  // Run from another folder: the bundle must not lean on the consumer's node_modules for our code.
  const output = execFileSync(process.execPath, [bundle, ...args], { cwd: path.dirname(bundle), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

test('a Node host bundled with esbuild (platform node, esm, sql.js external) keeps file storage', async () => {
  const bundle = path.join(installed.folder, 'bundled', 'host.mjs');
  await bundleHost(bundle, { external: ['sql.js'] });
  const database = path.join(installed.folder, 'bundled', 'netconf.db');
  const first = runHost(bundle, database);
  assert.equal(first.ok, true, JSON.stringify(first));
  assert.ok(existsSync(database), 'the database file was written');
  // A second run of the bundle finds the network the first one stored.
  const second = runHost(bundle, database, first.nwid as string);
  assert.deepEqual(second, { nwid: first.nwid, ok: true });
});

test('a Node bundle that includes sql.js but not its wasm fails with a typed error naming the file and the options', async (t) => {
  // A folder with no node_modules above it: the bundle is all there is.
  const folder = mkdtempSync(path.join(tmpdir(), 'ztnc-whole-bundle-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const bundle = path.join(folder, 'host.mjs');
  // sql.js's glue is CommonJS: in an ESM bundle it needs require and __dirname (esbuild's usual banner).
  const banner = "import { createRequire } from 'node:module'; import { fileURLToPath } from 'node:url'; " +
    "const require = createRequire(import.meta.url); const __dirname = fileURLToPath(new URL('.', import.meta.url));";
  await bundleHost(bundle, { banner });
  const missing = runHost(bundle, path.join(folder, 'netconf.db'));
  assert.equal(missing.code, 'ERR_WASM_NOT_FOUND');
  assert.equal(missing.name, 'WasmNotFoundError');
  assert.equal(missing.file, path.join(folder, 'sql-wasm.wasm'));
  assert.match(missing.message as string, /sql-wasm\.wasm/);
  assert.match(missing.message as string, /locateFile/);
  assert.match(missing.message as string, /wasmBinary/);
  assert.equal(existsSync(path.join(folder, 'netconf.db')), false, 'nothing was written');
  // The fix the message gives: the wasm next to the bundle.
  copyFileSync(path.join(repoRoot, 'node_modules', 'sql.js', 'dist', 'sql-wasm.wasm'), path.join(folder, 'sql-wasm.wasm'));
  assert.equal(runHost(bundle, path.join(folder, 'netconf.db')).ok, true);
});
