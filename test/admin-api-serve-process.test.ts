/**
 * `zt-netconf-master serve` as a real child process: the URL on stdout, authtoken.secret in
 * ZeroTier's form, a POST answered 200 survives kill -9, SIGTERM stops cleanly and releases the
 * database, `--udp` answers plain config requests, a non-loopback host needs --allow-remote, and
 * ztncui's and zero-ui's request flows work in raw HTTP with the token from authtoken.secret.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { request as httpRequest } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { createNetconfMaster } from '../src/master/index.js';
import { decodePlainFrame, encodePlainFrame } from '../src/node/plain-udp-frame.js';
import { Verb, encodeNetworkConfigRequest, parseNetworkConfigOk } from '../src/protocol/wire.js';
import { openSqlJsStorage } from '../src/storage/index.js';

const binary = fileURLToPath(new URL('../bin/zt-netconf-master.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');
const root = mkdtempSync(join(tmpdir(), 'admin-serve-'));
after(() => rmSync(root, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', tsxLoader, binary, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

let folders = 0;
async function initialized(): Promise<{ dir: string; db: string; identity: string }> {
  const dir = join(root, `m${folders++}`);
  const db = join(dir, 'netconf.db');
  const identity = join(dir, 'identity.secret');
  mkdirSync(dir);
  // The published test identity (instead of init's proof of work) and a fresh database.
  writeFileSync(identity, `${TEST_IDENTITIES[0]!}\n`, { mode: 0o600 });
  await (await openSqlJsStorage({ path: db })).close();
  return { dir, db, identity };
}

interface Running {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function startServe(paths: { db: string; identity: string }, extra: string[] = []): Promise<Running> {
  const child = spawn(process.execPath, ['--import', tsxLoader, binary, '--db', paths.db, '--identity', paths.identity, 'serve', '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n');
      if (line.length > 1) resolve(line[0]!);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr, exited };
}

async function post(url: string, token: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'X-ZT1-Auth': token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

test('serve prints the bound URL first and creates authtoken.secret: 24 characters of [a-z0-9], mode 0600, no newline', async () => {
  const paths = await initialized();
  const running = await startServe(paths);
  try {
    assert.match(running.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const tokenFile = join(paths.dir, 'authtoken.secret');
    const token = readFileSync(tokenFile, 'utf8');
    assert.match(token, /^[a-z0-9]{24}$/);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    assert.ok(!running.stderr().includes(token), 'the token is never printed');
    const status = await fetch(`${running.url}/status`, { headers: { 'X-ZT1-Auth': token } });
    assert.equal(status.status, 200);
    assert.equal(((await status.json()) as { online: boolean }).online, true);
  } finally {
    running.child.kill('SIGTERM');
    await running.exited;
  }
});

test('a POST answered 200 is durable: kill -9 right after the answer, reopen, it is there', async () => {
  const paths = await initialized();
  const running = await startServe(paths);
  const token = readFileSync(join(paths.dir, 'authtoken.secret'), 'utf8');
  const identity = Identity.fromString(readFileSync(paths.identity, 'utf8').trim());
  const created = await post(`${running.url}/controller/network/${identity.address}______`, token, { name: 'durable' });
  assert.equal(created.status, 200);
  const nwid = ((await created.json()) as { id: string }).id;
  const member = await post(`${running.url}/controller/network/${nwid}/member/0123456789`, token, { authorized: true, name: 'kept' });
  assert.equal(member.status, 200);
  running.child.kill('SIGKILL');
  await running.exited;

  const storage = await openSqlJsStorage({ path: paths.db });
  try {
    const master = createNetconfMaster(storage, identity, { signingWorkers: 0 });
    assert.equal((await master.getNetwork(nwid))?.name, 'durable');
    const reopened = await master.getMember(nwid, '0123456789');
    assert.equal(reopened?.authorized, true);
    assert.equal(reopened?.name, 'kept');
    await master.close();
  } finally {
    await storage.close();
  }
});

test('SIGTERM stops serving, exits 0 and releases the database', async () => {
  const paths = await initialized();
  const running = await startServe(paths);
  running.child.kill('SIGTERM');
  assert.equal(await running.exited, 0, running.stderr());
  const storage = await openSqlJsStorage({ path: paths.db });
  await storage.close();
  const listed = await cli(['--db', paths.db, '--identity', paths.identity, 'network', 'list']);
  assert.equal(listed.code, 0, listed.stderr);
});

test('--udp answers a plain NETWORK_CONFIG_REQUEST with a netconf signed by the master', async () => {
  const paths = await initialized();
  const running = await startServe(paths, ['--udp', '127.0.0.1:0']);
  const socket = createSocket('udp4');
  try {
    const token = readFileSync(join(paths.dir, 'authtoken.secret'), 'utf8');
    const masterIdentity = Identity.fromString(readFileSync(paths.identity, 'utf8').trim());
    const nwid = ((await (await post(`${running.url}/controller/network`, token, { private: false })).json()) as { id: string }).id;
    const udpPort = await (async () => {
      for (let i = 0; i < 100; i++) {
        const match = /plain UDP config requests on 127\.0\.0\.1:(\d+)/.exec(running.stderr());
        if (match) return Number(match[1]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no UDP port announced: ${running.stderr()}`);
    })();
    const member = Identity.fromString(TEST_IDENTITIES[1]!).publicOnly();
    const answer = new Promise<Buffer>((resolve) => socket.once('message', resolve));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const frame = encodePlainFrame({ verb: Verb.NETWORK_CONFIG_REQUEST, senderIdentity: member.toString(false), payload: encodeNetworkConfigRequest({ nwid }) });
    socket.send(frame, udpPort, '127.0.0.1');
    const reply = decodePlainFrame(new Uint8Array(await answer));
    assert.equal(reply.verb, Verb.OK);
    assert.equal(reply.senderIdentity, masterIdentity.toString(false));
    const ok = parseNetworkConfigOk(reply.payload);
    assert.ok(ok.netconf.verify(masterIdentity));
    const metrics = await (await fetch(`${running.url}/metrics`, { headers: { 'X-ZT1-Auth': token } })).text();
    assert.match(metrics, /^controller_network_config_request\{result="ok"\} 1$/m);
  } finally {
    socket.close();
    running.child.kill('SIGTERM');
    await running.exited;
  }
});

test('serve refuses a non-loopback --host without --allow-remote', async () => {
  const paths = await initialized();
  const refused = await cli(['--db', paths.db, '--identity', paths.identity, 'serve', '--host', '0.0.0.0', '--port', '0']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /allowRemote|--allow-remote/);
});

/** One raw HTTP/1.1 request as a third-party tool sends it (node:http, no fetch): status and parsed body. */
function rawRequest(url: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any; type: string }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      new URL(path, url),
      { method, headers: { ...headers, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}) } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text), type: response.headers['content-type'] ?? '' }));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

test('ztncui and zero-ui flows in raw HTTP against serve, with X-ZT1-Auth from authtoken.secret', async () => {
  const paths = await initialized();
  const running = await startServe(paths);
  try {
    const token = readFileSync(join(paths.dir, 'authtoken.secret'), 'utf8');
    const auth = { 'X-ZT1-Auth': token };
    const call = (method: string, path: string, body?: unknown) => rawRequest(running.url, method, path, auth, body);
    const node = Identity.fromString(TEST_IDENTITIES[1]!).address;

    // Both tools start by asking who the controller is.
    const status = await call('GET', '/status');
    assert.equal(status.status, 200);
    assert.match(status.type, /^application\/json/);
    const address = status.body.address as string;
    assert.equal(address, Identity.fromString(TEST_IDENTITIES[0]!).address);
    const controller = await call('GET', '/controller');
    assert.deepEqual([controller.status, controller.body.controller, controller.body.apiVersion], [200, true, 4]);
    assert.deepEqual((await call('GET', '/controller/network')).body, []);
    assert.equal((await rawRequest(running.url, 'GET', '/controller/network', {})).status, 401, 'no header, no entry');

    // ztncui: create by address, then its "easy setup" (a pool, its route, zt assignment).
    const created = await call('POST', `/controller/network/${address}______`, { name: 'ztncui-net' });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const nwid = created.body.id as string;
    assert.match(nwid, new RegExp(`^${address}[0-9a-f]{6}$`));
    const easy = await call('POST', `/controller/network/${nwid}`, {
      ipAssignmentPools: [{ ipRangeStart: '10.147.17.1', ipRangeEnd: '10.147.17.254' }],
      routes: [{ target: '10.147.17.0/24', via: null }],
      v4AssignMode: { zt: true },
    });
    assert.equal(easy.status, 200, JSON.stringify(easy.body));
    assert.deepEqual(easy.body.routes, [{ target: '10.147.17.0/24', via: null }]);
    assert.equal(easy.body.name, 'ztncui-net', 'a POST changes only what it sends');

    // zero-ui: a network created with its whole default body, rules as its compiler writes them.
    const zeroUi = await call('POST', `/controller/network/${address}______`, {
      name: 'zero-ui-net',
      private: true,
      v4AssignMode: { zt: true },
      v6AssignMode: { '6plane': false, rfc4193: false, zt: false },
      ipAssignmentPools: [{ ipRangeStart: '172.30.41.1', ipRangeEnd: '172.30.41.254' }],
      routes: [{ target: '172.30.41.0/24', via: null, flags: 0, metric: 0 }],
      rules: [
        { etherType: 2048, not: true, or: false, type: 'MATCH_ETHERTYPE' },
        { etherType: 2054, not: true, or: false, type: 'MATCH_ETHERTYPE' },
        { etherType: 34525, not: true, or: false, type: 'MATCH_ETHERTYPE' },
        { type: 'ACTION_DROP' },
        { type: 'ACTION_ACCEPT' },
      ],
      rulesSource: 'drop not ethertype ipv4 and not ethertype arp and not ethertype ipv6;\naccept;',
      dns: { domain: '', servers: [] },
      capabilities: [],
      tags: [],
      mtu: 2800,
    });
    assert.equal(zeroUi.status, 200, JSON.stringify(zeroUi.body));
    assert.equal(zeroUi.body.rules.length, 5);
    const listed = (await call('GET', '/controller/network')).body as string[];
    assert.deepEqual(listed, [nwid, zeroUi.body.id].sort());

    // A node asks to join (here: authorized ahead of its first request), is renamed, and leaves.
    assert.deepEqual((await call('GET', `/controller/network/${nwid}/member`)).body, {});
    const authorized = await call('POST', `/controller/network/${nwid}/member/${node}`, { authorized: true });
    assert.equal(authorized.status, 200, JSON.stringify(authorized.body));
    assert.equal(authorized.body.authorized, true);
    const revision = (await call('GET', `/controller/network/${nwid}`)).body.revision as number;
    assert.deepEqual((await call('GET', `/controller/network/${nwid}/member`)).body, { [node]: revision });
    const named = await call('POST', `/controller/network/${nwid}/member/${node}`, { name: 'laptop', ipAssignments: ['10.147.17.20'] });
    assert.deepEqual([named.body.name, named.body.authorized, named.body.ipAssignments], ['laptop', true, ['10.147.17.20']]);
    const deleted = await call('DELETE', `/controller/network/${nwid}/member/${node}`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.address, node);
    assert.equal((await call('GET', `/controller/network/${nwid}/member/${node}`)).status, 404);
    assert.deepEqual((await call('GET', `/controller/network/${nwid}/member`)).body, {});
    assert.ok(Array.isArray((await call('GET', '/peer')).body), 'ztncui lists peers as an array');

    // Refusals a UI can show: a bad field names itself, with the library's code.
    const refused = await call('POST', `/controller/network/${nwid}`, { v6AssignMode: { '6plane': true } });
    assert.deepEqual([refused.status, refused.body.error, refused.body.code], [400, 400, 'ERR_INVALID_ARGUMENT']);
    assert.match(refused.body.description, /6plane/);

    // A setting 2015 nodes misread is accepted, and the master's warning lands in serve's log.
    const rate = { mac: '01005e000001', adi: 0, preload: 1, maxBalance: 2, accrual: 3 };
    assert.equal((await call('POST', `/controller/network/${nwid}`, { multicastRates: [rate] })).status, 200);
    assert.match(running.stderr(), new RegExp(`^warning: network ${nwid} has multicast rates for 1 particular group`, 'm'));
  } finally {
    running.child.kill('SIGTERM');
    assert.equal(await running.exited, 0, running.stderr());
  }
});
