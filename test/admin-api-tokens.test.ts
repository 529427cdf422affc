/** Token files beside the database, and the listening rules of serveAdminApi. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createAdminApi } from '../src/index.js';
import { InvalidArgumentError } from '../src/errors.js';
import { ensureAuthTokenFile, generateAuthToken, loadAdminTokens, parseNamedTokens, serveAdminApi } from '../src/node/index.js';
import { served } from './admin-api-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'admin-tokens-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('generated tokens are 24 characters of [a-z0-9] and differ', () => {
  const tokens = new Set(Array.from({ length: 50 }, generateAuthToken));
  assert.equal(tokens.size, 50);
  for (const token of tokens) assert.match(token, /^[a-z0-9]{24}$/);
});

test('ensureAuthTokenFile creates the file once (0600, no newline) and reads it back afterwards', async () => {
  const path = join(dir, 'authtoken.secret');
  const first = await ensureAuthTokenFile(path);
  assert.equal(first.created, true);
  assert.equal(readFileSync(path, 'utf8'), first.token);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const second = await ensureAuthTokenFile(path);
  assert.deepEqual(second, { token: first.token, created: false });
  writeFileSync(path, 'handwrittentoken12345678\n');
  assert.equal((await ensureAuthTokenFile(path)).token, 'handwrittentoken12345678', 'white space around it is ignored');
});

test('the named-tokens file: one "<name> <scope> <token>" per line, comments and blank lines ignored', () => {
  const tokens = parseNamedTokens('# monitoring\n\ngrafana read aaaaaaaaaaaaaaaaaaaa\n  ops admin bbbbbbbbbbbbbbbbbbbb  \n');
  assert.deepEqual(tokens, [
    { name: 'grafana', scope: 'read', token: 'aaaaaaaaaaaaaaaaaaaa' },
    { name: 'ops', scope: 'admin', token: 'bbbbbbbbbbbbbbbbbbbb' },
  ]);
});

test('a bad named-tokens line is refused with its line number, never quoting the secret', () => {
  const secret = 'sup3rs3cretsup3rs3cret';
  for (const text of [`a write ${secret}`, `a read ${secret} extra`, `a read short`, `bad/name read ${secret}`, `a read ${secret}\na admin ${secret}x`]) {
    assert.throws(
      () => parseNamedTokens(text, 'tokens'),
      (error: unknown) => error instanceof InvalidArgumentError && /tokens line \d/.test(error.message) && !error.message.includes(secret),
      text,
    );
  }
});

test('loadAdminTokens gives authtoken.secret the admin scope and adds the named tokens', async () => {
  const folder = mkdtempSync(join(dir, 'db-'));
  writeFileSync(join(folder, 'admin-tokens.secret'), 'grafana read cccccccccccccccccccc\n', { mode: 0o600 });
  const loaded = await loadAdminTokens(join(folder, 'netconf.db'));
  assert.equal(loaded.authtokenCreated, true);
  assert.deepEqual(
    loaded.tokens.map(({ name, scope }) => ({ name, scope })),
    [{ name: 'authtoken.secret', scope: 'admin' }, { name: 'grafana', scope: 'read' }],
  );
  assert.equal(loaded.tokens[0]!.token, readFileSync(join(folder, 'authtoken.secret'), 'utf8'));
});

test('serveAdminApi listens on loopback only unless allowRemote is given', async () => {
  const s = await served();
  try {
    await assert.rejects(
      serveAdminApi(s.master, { host: '0.0.0.0', port: 0, tokens: [] }),
      (error: unknown) => error instanceof InvalidArgumentError && /allowRemote/.test(error.message),
    );
    assert.equal(new URL(s.server.url).hostname, '127.0.0.1');
  } finally {
    await s.close();
  }
});

test('createAdminApi refuses a token without a secret or with an unknown scope', async () => {
  const s = await served();
  try {
    assert.throws(() => createAdminApi(s.master, { tokens: [{ name: 'x', token: '', scope: 'admin' }] }), InvalidArgumentError);
    assert.throws(() => createAdminApi(s.master, { tokens: [{ name: 'x', token: 'abc', scope: 'root' as 'admin' }] }), InvalidArgumentError);
  } finally {
    await s.close();
  }
});

test('the handler works without any server: a Request in, a Response out', async () => {
  const s = await served();
  try {
    const api = createAdminApi(s.master, { tokens: [{ name: 'root', token: 'in-process-token-1234', scope: 'admin' }] });
    const response = await api.handle(new Request('http://in.process/controller', { headers: { 'X-ZT1-Auth': 'in-process-token-1234' } }));
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { apiVersion: number }).apiVersion, 4);
    api.close();
  } finally {
    await s.close();
  }
});

test('the admin API\'s own files import nothing Node-only, so browser bundles can carry it', () => {
  const folder = new URL('../src/admin-api/', import.meta.url);
  for (const file of readdirSync(folder)) {
    const text = readFileSync(new URL(file, folder), 'utf8');
    assert.doesNotMatch(text, /from ['"](node:|@hono\/node-server)/, file);
    assert.doesNotMatch(text, /from ['"]\.\.\/(node|cli|storage)\//, file);
  }
});
