/**
 * A Vite browser app using the package as a user installs it (built, packed, unpacked; no network):
 * built by Vite with no configuration file, run in headless Chromium. With no options the app gets
 * a typed error naming the wasm file and the option to set; with the README's one-line recipe
 * (import the wasm's URL with `?url`, pass it as `locateFile`) the master runs in the page.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'vite';
import { chromiumAvailable, CHROMIUM_PATH, launchChromium, type LaunchedBrowser } from './chromium.js';
import { serveFolder } from './static-server.js';
import { installPackedPackage, repoRoot, type InstalledPackage } from '../packaging/install.js';

let installed: InstalledPackage;
let browser: LaunchedBrowser;

before(() => {
  assert.ok(chromiumAvailable(), `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);
  installed = installPackedPackage('ztnc-vite');
  symlinkSync(path.join(repoRoot, 'node_modules', 'vite'), path.join(installed.folder, 'node_modules', 'vite'), 'dir');
});

after(async () => {
  await browser?.close();
  installed?.remove();
});

/** The page's script: a master in the browser, its outcome written to body[data-result]. */
function appScript(recipe: boolean): string {
  return `
import { createNetconfMaster, openSqlJsStorage, Identity, ResultCode } from 'zt-netconf-master';
import { TEST_IDENTITIES } from 'zt-netconf-master/testing';
${recipe ? "import sqlWasm from 'sql.js/dist/sql-wasm-browser.wasm?url';" : ''}
try {
  const storage = await openSqlJsStorage(${recipe ? '{ locateFile: () => sqlWasm }' : ''});
  const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]);
  const master = createNetconfMaster(storage, masterIdentity);
  const nwid = await master.createNetwork({ name: 'vite', private: false });
  const reply = await master.doNetworkConfigRequest({ identity: Identity.fromString(TEST_IDENTITIES[1]).publicOnly(), nwid });
  // A page has no file system: the path option is refused with a typed error.
  const pathRefused = await openSqlJsStorage({ path: 'netconf.db' }).then(() => 'opened', (error) => error.code);
  document.body.dataset.result = JSON.stringify({ ok: reply.code === ResultCode.OK && reply.netconf.verify(masterIdentity), pathRefused });
} catch (error) {
  document.body.dataset.result = JSON.stringify({ code: error.code, file: error.file, message: error.message });
}
`;
}

/** Builds the app with Vite (no configuration file) and returns what the page reported. */
async function buildAndRun(name: string, recipe: boolean): Promise<Record<string, unknown>> {
  const appDir = path.join(installed.folder, name);
  mkdirSync(appDir);
  writeFileSync(path.join(appDir, 'index.html'), '<!doctype html><title>vite app</title><script type="module" src="./main.js"></script>');
  writeFileSync(path.join(appDir, 'main.js'), appScript(recipe));
  await build({ root: appDir, configFile: false, logLevel: 'error', build: { outDir: 'dist', target: 'es2022' } });
  const server = await serveFolder(path.join(appDir, 'dist'));
  try {
    browser ??= await launchChromium();
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
    await page.waitForFunction(() => document.body?.dataset.result !== undefined, undefined, { timeout: 60_000 });
    const result = JSON.parse((await page.getAttribute('body', 'data-result')) ?? '{}') as Record<string, unknown>;
    assert.deepEqual(pageErrors, []);
    await page.close();
    return result;
  } finally {
    await server.close();
  }
}

test('a Vite app with no configuration gets a typed error naming the wasm file and the option', async () => {
  const result = await buildAndRun('bare', false);
  assert.equal(result.code, 'ERR_WASM_NOT_FOUND');
  assert.match(result.file as string, /\/sql-wasm-browser\.wasm$/);
  assert.match(result.message as string, /locateFile/);
});

test('a Vite app with the one-line recipe (the wasm imported with ?url as locateFile) runs the master', async () => {
  const result = await buildAndRun('recipe', true);
  assert.deepEqual(result, { ok: true, pathRefused: 'ERR_INVALID_ARGUMENT' });
});
