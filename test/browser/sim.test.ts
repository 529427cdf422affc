/**
 * Drives the browser simulation (examples/browser-sim) in real headless Chromium: the master runs
 * in the page (sql.js WebAssembly, noble crypto, IndexedDB persistence).
 * Run with `npm run test:browser` (builds the page first).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium, type LaunchedBrowser } from './chromium.js';
import { serveFolder, type StaticServer } from './static-server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const distDir = path.join(repoRoot, 'examples', 'browser-sim', 'dist');
// The picture for the README is refreshed only on request (SCREENSHOT_PATH=docs/browser-sim.png);
// by default it goes to an ignored folder so a test run leaves tracked files alone.
const screenshotPath = path.resolve(repoRoot, process.env.SCREENSHOT_PATH ?? path.join('test', 'browser', 'output', 'browser-sim.png'));
const STEP_TIMEOUT = 30_000;

let server: StaticServer;
let browser: LaunchedBrowser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  assert.ok(existsSync(path.join(distDir, 'app.js')), 'examples/browser-sim/dist is missing: run `npm run build:browser`');
  assert.ok(chromiumAvailable(), `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);
  server = await serveFolder(distDir);
  browser = await launchChromium();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function waitReady(): Promise<void> {
  await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
  const state = await page.getAttribute('body', 'data-ready');
  const status = await page.textContent('[data-testid="status"]');
  assert.equal(state, 'true', `page failed to start: ${status}`);
}

const row = (address: string) => `tr[data-member="${address}"]`;
const cell = (testid: string) => page.locator(`[data-testid="${testid}"]`);

async function memberAddresses(): Promise<string[]> {
  return page.$$eval('tr[data-member]', (rows) => rows.map((r) => r.getAttribute('data-member') ?? ''));
}

async function addInstantMember(): Promise<string> {
  const beforeAdding = await memberAddresses();
  await page.click('[data-testid="spawn-instant"]');
  await page.waitForFunction((count) => document.querySelectorAll('tr[data-member]').length > count, beforeAdding.length);
  const added = (await memberAddresses()).filter((address) => !beforeAdding.includes(address));
  assert.equal(added.length, 1);
  return added[0]!;
}

async function waitResult(address: string, expected: string): Promise<void> {
  await page.waitForFunction(
    ([a, e]) => document.querySelector(`[data-testid="result-${a}"]`)?.textContent === e,
    [address, expected] as const,
  );
}

async function revision(): Promise<number> {
  return Number(await cell('network-revision').textContent());
}

async function pair(a: string, b: string): Promise<string | null> {
  return page.textContent(`[data-pair="${a}:${b}"]`);
}

const members: string[] = [];

test('the page starts: master identity, sql.js and IndexedDB in the browser', async () => {
  await page.goto(server.url);
  await waitReady();
  assert.match((await page.textContent('#master-address')) ?? '', /^[0-9a-f]{10}$/);
  assert.match((await page.textContent('[data-testid="banner"]')) ?? '', /Simulation/);
});

test('create a private network and add members that are denied until authorized', async () => {
  await page.fill('#network-name', 'lab');
  await page.check('#network-private');
  await page.click('#create-network button[type="submit"]');
  await page.waitForSelector('[data-testid="network-settings"]');
  assert.equal(await revision(), 1);
  for (let i = 0; i < 3; i++) members.push(await addInstantMember());
  for (const address of members) await waitResult(address, 'ACCESS_DENIED');
  assert.equal(await page.locator('[data-testid="matrix"]').textContent().then((t) => /No member holds/.test(t ?? '')), true);
});

test('a pool, then authorizing a member gives it a verified config with an address', async () => {
  const [a] = members as [string];
  await page.fill('[data-testid="pool-input"]', '10.147.17.0/24');
  await page.click('[data-testid="add-pool"] button');
  await page.waitForFunction(() => document.querySelector('[data-testid="pools"]')?.textContent?.includes('10.147.17.1–10.147.17.254'));
  await page.click(`[data-testid="authorize-${a}"]`);
  await waitResult(a, 'OK');
  // Both changes went through the admin API's handler in the page, as ZeroTier controller requests.
  const entries = await page.$$eval('[data-testid="log"] li', (items) => items.map((li) => li.textContent ?? ''));
  assert.ok(
    entries.some((entry) => /admin API: POST \/controller\/network\/[0-9a-f]{16} \{"ipAssignmentPools":\[.*"10\.147\.17\.0\/24"\],"v4AssignMode":\{"zt":true\}\} → 200$/.test(entry)),
    'the pool was added by a POST to the network',
  );
  assert.ok(
    entries.some((entry) => entry.endsWith(`/member/${a} {"authorized":true} → 200`) && entry.includes('admin API: POST /controller/network/')),
    'the member was authorized by a POST to the member',
  );
  const rev = await revision();
  assert.equal(Number(await cell(`held-${a}`).textContent()), rev, 'the member holds the current revision');
  assert.match((await cell(`addresses-${a}`).textContent()) ?? '', /^10\.147\.17\.\d+\/24$/);
  const dictionary = (await cell(`config-${a}`).textContent()) ?? '';
  assert.match(dictionary, /(^|\n)n=lab(\n|$)/);
  assert.match(dictionary, /(^|\n)com=/);
  assert.match(dictionary, /(^|\n)v4s=10\.147\.17\./);
});

test('authorized members refresh and their certificates agree; a de-authorized one stops agreeing', async () => {
  const [a, b, c] = members as [string, string, string];
  await page.click(`[data-testid="authorize-${b}"]`);
  await waitResult(b, 'OK');
  await page.click(`[data-testid="authorize-${c}"]`);
  await waitResult(c, 'OK');
  // Every authorized member was refreshed to the newest revision.
  let rev = await revision();
  await page.waitForFunction(
    ([addresses, r]) => addresses.every((x) => document.querySelector(`[data-testid="held-${x}"]`)?.textContent === String(r)),
    [members, rev] as const,
  );
  for (const x of members) for (const y of members) if (x !== y) assert.equal(await pair(x, y), '✓', `${x} agrees with ${y}`);

  const revBefore = rev;
  await page.click(`[data-testid="authorize-${c}"]`); // de-authorize
  await page.waitForFunction((r) => Number(document.querySelector('[data-testid="network-revision"]')?.textContent) > r, revBefore);
  rev = await revision();
  assert.ok(rev > revBefore + 16, `de-authorizing raises the revision past the max delta (${revBefore} → ${rev})`);
  await page.waitForFunction(
    ([addresses, r]) => addresses.every((x) => document.querySelector(`[data-testid="held-${x}"]`)?.textContent === String(r)),
    [[a, b], rev] as const,
  );
  await page.click(`tr[data-member="${c}"] button`); // c asks again: denied, keeps its old certificate
  await waitResult(c, 'ACCESS_DENIED');
  assert.equal(await pair(a, b), '✓');
  assert.equal(await pair(a, c), '✗');
  assert.equal(await pair(c, b), '✗');
  const entries = await page.$$eval('[data-testid="log"] li', (items) => items.map((li) => li.textContent ?? ''));
  const refreshTo = new RegExp(`NETWORK_CONFIG_REFRESH for [0-9a-f]{16} to .*${a}`);
  assert.ok(entries.some((entry) => refreshTo.test(entry)), 'the log shows a refresh sent to the member');
  const refetched = new RegExp(`${a} asks for [0-9a-f]{16} \\(refresh\\): OK rev ${rev}$`);
  assert.ok(entries.some((entry) => refetched.test(entry)), 'the log shows the member fetching the new revision');
});

test('the page administers its master only through the admin API handler, which counts every request', async () => {
  type Admin = { call(method: string, path: string): Promise<unknown>; text(path: string): Promise<string> };
  const metrics = await page.evaluate(async () => {
    const { admin } = (globalThis as unknown as { simulation: { admin: Admin } }).simulation;
    return { status: (await admin.call('GET', '/status')) as { address: string }, text: await admin.text('/metrics') };
  });
  assert.equal(metrics.status.address, await page.textContent('#master-address'));
  const count = (method: string, status: number) =>
    Number(new RegExp(`^zt_netconf_admin_http_requests_total\\{method="${method}",status="${status}"\\} (\\d+)$`, 'm').exec(metrics.text)?.[1] ?? 0);
  // create network, add pool, authorize three members, de-authorize one: at least six POSTs answered 200.
  assert.ok(count('POST', 200) >= 6, metrics.text);
  assert.ok(count('GET', 200) > 0, 'the page reads through the handler too');
  const creations = await page.$$eval('[data-testid="log"] li', (items) => items.filter((li) => /admin API: POST \/controller\/network \{"name":"lab","private":true\} → 200$/.test(li.textContent ?? '')).length);
  assert.equal(creations, 1, 'the network was created by a POST to /controller/network');
  // And the page's code calls none of the master's administrative methods itself.
  const sourceDir = path.join(repoRoot, 'examples', 'browser-sim', 'src');
  for (const file of readdirSync(sourceDir)) {
    const text = readFileSync(path.join(sourceDir, file), 'utf8');
    assert.doesNotMatch(
      text,
      /master\.(createNetwork|getNetwork|listNetworks|updateNetwork|deleteNetwork|addIpPool|removeIpPool|getMember|listMembers|pageMembers|authorizeMembers?|deauthorizeMembers?|setActiveBridge|updateMember|setMember\w+|setIpAssignments|deleteMember)\(/,
      file,
    );
  }
});

test('a fresh identity is generated in the page without freezing it', async () => {
  const beforeAdding = await memberAddresses();
  await page.click('[data-testid="spawn-fresh"]');
  await page.waitForFunction((count) => document.querySelectorAll('tr[data-member]').length > count, beforeAdding.length, {
    timeout: 60_000,
  });
  const fresh = (await memberAddresses()).find((address) => !beforeAdding.includes(address));
  assert.ok(fresh !== undefined && /^[0-9a-f]{10}$/.test(fresh));
  await waitResult(fresh, 'ACCESS_DENIED');
  members.push(fresh);
  // The picture for the README: members, a config, the agreement matrix and the log.
  await page.locator(`${row(members[0]!)} details summary`).click();
  await mkdir(path.dirname(screenshotPath), { recursive: true });
  await page.screenshot({ path: screenshotPath, fullPage: true });
  if (process.env.SCREENSHOT_PATH === undefined && existsSync(path.join(repoRoot, '.git'))) {
    // git check-ignore exits 0 only for an ignored path: the default screenshot is never tracked.
    execFileSync('git', ['check-ignore', '--quiet', path.relative(repoRoot, screenshotPath)], { cwd: repoRoot });
  }
});

test('reloading keeps the master identity and state (IndexedDB)', async () => {
  const masterBefore = await page.textContent('#master-address');
  const revBefore = await revision();
  const rowsBefore = await memberAddresses();
  await page.reload();
  await waitReady();
  assert.equal(await page.textContent('#master-address'), masterBefore);
  await page.waitForSelector('[data-testid="network-settings"]');
  assert.equal(await revision(), revBefore);
  assert.deepEqual((await memberAddresses()).sort(), rowsBefore.sort());
  const [a, b, c] = members as [string, string, string];
  assert.equal(await page.isChecked(`[data-testid="authorize-${a}"]`), true);
  assert.equal(await page.isChecked(`[data-testid="authorize-${c}"]`), false);
  // The simulated nodes started again and asked for their configs.
  await waitResult(a, 'OK');
  await waitResult(c, 'ACCESS_DENIED');
  assert.equal(await pair(a, b), '✓');
});

test('an active bridge shows in every authorized member\'s config after the refresh', async () => {
  const [a, b] = members as [string, string];
  const revBefore = await revision();
  await page.click(`[data-testid="bridge-${a}"]`);
  await page.waitForFunction((r) => Number(document.querySelector('[data-testid="network-revision"]')?.textContent) > r, revBefore);
  const rev = await revision();
  await page.waitForFunction(
    ([addresses, r]) => addresses.every((x) => document.querySelector(`[data-testid="held-${x}"]`)?.textContent === String(r)),
    [[a, b], rev] as const,
  );
  for (const x of [a, b]) assert.match((await cell(`config-${x}`).textContent()) ?? '', new RegExp(`(^|\\n)ab=${a}(\\n|$)`));
  assert.equal(await page.isChecked(`[data-testid="bridge-${a}"]`), true);
});

test('a public network admits members at once and carries no certificate', async () => {
  await page.fill('#network-name', 'open');
  await page.uncheck('#network-private');
  await page.click('#create-network button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="network-settings"] h2')?.textContent?.startsWith('open'));
  const address = await addInstantMember();
  await waitResult(address, 'OK');
  const dictionary = (await cell(`config-${address}`).textContent()) ?? '';
  assert.match(dictionary, /(^|\n)p=0(\n|$)/);
  assert.doesNotMatch(dictionary, /(^|\n)com=/);
  assert.match((await cell('matrix').textContent()) ?? '', /Public network/);
  assert.equal(await page.locator('[data-testid="network-list"] li').count(), 2);
});

test('reset forgets the simulated master, its database and its nodes', async () => {
  const masterBefore = await page.textContent('#master-address');
  await Promise.all([page.waitForEvent('load'), page.click('#reset')]);
  await waitReady();
  assert.notEqual(await page.textContent('#master-address'), masterBefore, 'a new master identity');
  assert.match((await cell('network-list').textContent()) ?? '', /No network yet/);
});

test('no error was reported by the page', () => {
  assert.deepEqual(pageErrors, []);
});
