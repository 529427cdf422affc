/**
 * The library in a bundled page with no configuration: the bundle lives in a subfolder, sql.js's
 * wasm sits next to it, and openSqlJsStorage() is called with no options. sql.js alone would look
 * for its wasm next to the page and fail.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromiumAvailable, CHROMIUM_PATH, launchChromium, type LaunchedBrowser } from './chromium.js';
import { serveFolder, type StaticServer } from './static-server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const ENTRY = `
import { createNetconfMaster, openSqlJsStorage, Identity, NetworkConfig, ResultCode } from ${JSON.stringify(path.join(repoRoot, 'src', 'index.ts'))};
import { TEST_IDENTITIES } from ${JSON.stringify(path.join(repoRoot, 'src', 'testing', 'index.ts'))};
try {
  const storage = await openSqlJsStorage();
  const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]);
  const master = createNetconfMaster(storage, masterIdentity);
  const nwid = await master.createNetwork({ name: 'zero-config', private: false, v4AssignMode: 'zt', ipPools: ['10.9.0.0/16'] });
  const member = Identity.fromString(TEST_IDENTITIES[1]).publicOnly();
  const reply = await master.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid });
  const config = reply.code === ResultCode.OK ? NetworkConfig.fromDictionary(reply.netconf) : null;
  document.body.dataset.result = JSON.stringify({
    code: reply.code,
    verified: reply.netconf?.verify(masterIdentity) ?? false,
    name: config?.name,
    staticIps: config?.staticIps,
    signatureCounts: master.signatureCounts,
  });
} catch (error) {
  document.body.dataset.result = JSON.stringify({ error: String(error) });
}
`;

let root: string;
let server: StaticServer;
let browser: LaunchedBrowser;

before(async () => {
  assert.ok(chromiumAvailable(), `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);
  root = await mkdtemp(path.join(tmpdir(), 'ztnc-zero-config-'));
  const appDir = path.join(root, 'app');
  await mkdir(appDir);
  await writeFile(path.join(root, 'entry.ts'), ENTRY);
  await build({
    entryPoints: [path.join(root, 'entry.ts')],
    outfile: path.join(appDir, 'bundle.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2022'],
    logLevel: 'error',
  });
  await copyFile(
    path.join(repoRoot, 'node_modules', 'sql.js', 'dist', 'sql-wasm-browser.wasm'),
    path.join(appDir, 'sql-wasm-browser.wasm'),
  );
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>zero config</title><script type="module" src="app/bundle.js"></script>');
  server = await serveFolder(root);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

test('a bundle in a subfolder finds sql.js wasm next to itself with no options', async () => {
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(server.url);
  await page.waitForFunction(() => document.body?.dataset.result !== undefined, undefined, { timeout: 60_000 });
  const result = JSON.parse((await page.getAttribute('body', 'data-result')) ?? '{}');
  assert.equal(result.error, undefined, `page failed: ${result.error}`);
  assert.equal(result.code, 0);
  assert.equal(result.verified, true);
  assert.equal(result.name, 'zero-config');
  assert.equal(result.staticIps.length, 1);
  assert.match(result.staticIps[0], /^10\.9\.\d+\.\d+\/16$/);
  // The netconf (a public network: one signature) was signed by the browser's WebCrypto Ed25519.
  assert.deepEqual(result.signatureCounts, { byWorkers: 0, byWebCrypto: 1, inline: 0 });
});
