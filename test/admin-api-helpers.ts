/** A master served over real HTTP on 127.0.0.1 (port 0) for the admin API tests. */
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { createNetconfMaster } from '../src/master/index.js';
import { serveAdminApi, type ServeAdminApiOptions } from '../src/node/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';

export const ids = TEST_IDENTITIES.map((text) => Identity.fromString(text));
export const masterIdentity = ids[0]!;
export const ADMIN_TOKEN = 'adminadminadmin0123456789';
export const READ_TOKEN = 'readreadread0123456789ab';
export const START = 1_800_000_000_000;

export interface Answer {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

export async function served(options: Partial<ServeAdminApiOptions> = {}) {
  const storage = await openSqlJsStorage();
  let clock = START;
  const master = createNetconfMaster(storage, masterIdentity, {
    now: () => clock,
    random: deterministicRandom('admin-api'),
    signingWorkers: 0,
  });
  const server = await serveAdminApi(master, {
    host: '127.0.0.1',
    port: 0,
    tokens: [
      { name: 'root', token: ADMIN_TOKEN, scope: 'admin' },
      { name: 'dashboard', token: READ_TOKEN, scope: 'read' },
    ],
    now: () => clock,
    version: 'test',
    publicIdentity: masterIdentity.toString(false),
    ...options,
  });
  /** One request; `token: null` sends none. */
  async function call(
    method: string,
    path: string,
    init: { body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    const token = init.token === undefined ? ADMIN_TOKEN : init.token;
    if (token !== null) headers['X-ZT1-Auth'] = token;
    const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(server.url + path, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (metrics)
    }
    return { status: response.status, body: parsed, text, headers: response.headers };
  }
  return {
    storage,
    master,
    server,
    call,
    tick: (ms = 1000) => (clock += ms),
    now: () => clock,
    async close() {
      await server.close();
      await master.close();
      await storage.close();
    },
  };
}
