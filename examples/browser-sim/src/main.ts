/**
 * Browser simulation of a netconf master: boots the master in this page (sql.js in WebAssembly,
 * noble crypto, IndexedDB persistence) with its admin API handler beside it, then hands over to the
 * UI, which administers the master through that handler only.
 */
import { Identity, createAdminApi, createNetconfMaster, openSqlJsStorage } from '../../../src/index.js';
import { AdminHttp } from './admin-http.js';
import { SimulationApp } from './app.js';
import { byId } from './dom.js';
import { log } from './log.js';
import { DATABASE_NAME, clearEverything, loadMasterSecret, saveMasterSecret } from './persisted.js';

function status(text: string): void {
  byId('status').textContent = text;
}

async function loadOrCreateMasterIdentity(): Promise<Identity> {
  const secret = loadMasterSecret();
  if (secret !== null) return Identity.fromString(secret);
  status('Generating the master identity (first visit)…');
  const identity = await Identity.generate({
    onProgress: (attempts) => status(`Generating the master identity (first visit)… ${attempts} attempts`),
  });
  saveMasterSecret(identity.toString(true));
  return identity;
}

async function boot(): Promise<void> {
  const identity = await loadOrCreateMasterIdentity();
  byId('master-address').textContent = identity.address;
  status('Opening the database (sql.js + IndexedDB)…');
  const storage = await openSqlJsStorage({
    indexedDb: { name: DATABASE_NAME },
    // sql-wasm.wasm is copied next to this bundle by scripts/build-browser.mjs.
    locateFile: (file: string) => new URL(file, import.meta.url).href,
  });
  byId('storage-info').textContent = `IndexedDB "${DATABASE_NAME}"`;
  const master = createNetconfMaster(storage, identity);
  // The admin API in the page, with a token made for this page load.
  const token = [...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const api = createAdminApi(master, { tokens: [{ name: 'browser-sim', token, scope: 'admin' }], publicIdentity: identity.toString(false) });
  const admin = new AdminHttp(api, token, (line, ok) => log(ok ? 'quiet' : 'error', line));
  // For the browser console: `await simulation.admin.call('GET', '/status')`.
  (globalThis as { simulation?: unknown }).simulation = { admin };
  const app = new SimulationApp(master, admin, identity);
  app.listenToChanges();

  byId('reset').addEventListener('click', () => {
    void (async () => {
      await storage.close();
      await clearEverything();
      location.reload();
    })();
  });
  byId<HTMLFormElement>('create-network').addEventListener('submit', (event) => {
    event.preventDefault();
    const name = byId<HTMLInputElement>('network-name').value.trim();
    const isPrivate = byId<HTMLInputElement>('network-private').checked;
    void app.createNetwork(name, isPrivate);
  });

  const networks = await admin.call<string[]>('GET', '/controller/network');
  app.selected = networks[0] ?? null;
  byId('app').hidden = false;
  await app.render();
  if (app.nodes.size > 0) {
    status('Simulated nodes start and ask for their configs…');
    await app.bootNodes();
    await app.render();
  }
  log('event', `master ${identity.address} ready; ${networks.length} network(s) in IndexedDB`);
  status('Ready.');
  document.body.dataset.ready = 'true';
}

boot().catch((error: unknown) => {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  status(`Failed to start: ${message}`);
  document.body.dataset.ready = 'error';
  console.error(error);
});
