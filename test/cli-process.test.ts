/**
 * The real `zt-netconf-master` binary (bin/, run through tsx) in temporary directories: `init`
 * with its files and permissions, help and usage exit codes, and the message when a running master
 * holds the database lock.
 */
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Identity } from '../src/crypto/identity.js';

const binary = fileURLToPath(new URL('../bin/zt-netconf-master.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');
const storageModule = new URL('../src/storage/index.ts', import.meta.url).href;

const dir = mkdtempSync(join(tmpdir(), 'cli-process-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The lock message docs/operations.md quotes, as a pattern: each <placeholder> matches anything. */
function documentedLockMessage(): RegExp {
  const docs = readFileSync(new URL('../docs/operations.md', import.meta.url), 'utf8');
  const quoted = docs.split('\n').filter((line) => line.startsWith('zt-netconf-master: ') && line.includes('in use by process'));
  assert.equal(quoted.length, 1, 'docs/operations.md quotes the lock message once');
  const pattern = quoted[0]!
    .split(/<[^>]+>/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.+');
  return new RegExp(`^${pattern}$`);
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd = dir): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', tsxLoader, binary, ...args], { cwd }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('init creates the secret (0600), the public file and the database, and refuses to run twice', async () => {
  const first = await run(['--json', 'init']);
  assert.equal(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout) as { address: string; identity: string; createdDatabase: boolean };
  assert.equal(report.createdDatabase, true);
  assert.equal(first.stderr, '', '--json keeps stderr quiet');

  const secretText = readFileSync(join(dir, 'identity.secret'), 'utf8').trim();
  const secret = Identity.fromString(secretText);
  assert.ok(secret.hasPrivate);
  assert.ok(secret.locallyValidate());
  assert.equal(secret.address, report.address);
  assert.equal(statSync(join(dir, 'identity.secret')).mode & 0o777, 0o600);
  assert.equal(readFileSync(join(dir, 'identity.public'), 'utf8').trim(), secret.toString(false));
  assert.equal(report.identity, secret.toString(false));
  assert.ok(statSync(join(dir, 'netconf.db')).isFile());

  // The admin API's token, beside the database: ZeroTier's form, no trailing newline, 0600.
  const tokenFile = join(dir, 'authtoken.secret');
  const token = readFileSync(tokenFile, 'utf8');
  assert.match(token, /^[a-z0-9]{24}$/);
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  assert.equal((report as unknown as { authTokenFile: string }).authTokenFile, join('.', 'authtoken.secret'));

  const again = await run(['--identity', 'second.secret', 'init']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /^generating the master identity .*\.\.\.\ngenerated master identity [0-9a-f]{10}\n$/);
  assert.match(again.stdout, /database: +\.\/netconf\.db \(already there, kept\)/);
  assert.match(again.stdout, /admin token: +authtoken\.secret \(already there, kept\)/);
  assert.equal(readFileSync(tokenFile, 'utf8'), token, 'an existing token is kept');
  assert.equal(statSync(join(dir, 'second.secret')).mode & 0o777, 0o600);
  assert.ok(statSync(join(dir, 'second.public')).isFile());

  const second = await run(['init']);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /identity\.secret already exists; refusing to overwrite/);
  assert.equal(readFileSync(join(dir, 'identity.secret'), 'utf8').trim(), secretText, 'the secret is untouched');
});

test('the token init wrote is the one serve uses: curl-style requests and the CLI with --url get in with it', async () => {
  const token = readFileSync(join(dir, 'authtoken.secret'), 'utf8');
  const serve = spawn(process.execPath, ['--import', tsxLoader, binary, 'serve', '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  serve.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => serve.on('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      serve.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /^(http:\/\/\S+)\n/.exec(stdout);
        if (found) resolve(found[1]!);
      });
      void exited.then((code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
    });
    assert.doesNotMatch(stderr, /created .*authtoken/, 'serve keeps the token init wrote');
    const status = await fetch(`${url}/status`, { headers: { 'X-ZT1-Auth': token } });
    assert.equal(status.status, 200);
    assert.equal(((await status.json()) as { address: string }).address, Identity.fromString(readFileSync(join(dir, 'identity.secret'), 'utf8').trim()).address);
    assert.equal((await fetch(`${url}/status`, { headers: { 'X-ZT1-Auth': `${token}x` } })).status, 401);

    // The CLI finds the token beside --db (./netconf.db) by default.
    const listed = await run(['--url', url, '--json', 'network', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), []);
    const wrongToken = join(dir, 'wrong.secret');
    writeFileSync(wrongToken, 'notthetoken0123456789abc');
    const refused = await run(['--url', url, '--token-file', wrongToken, 'network', 'list']);
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /refused the admin token/);
    assert.ok(!refused.stderr.includes('notthetoken'), 'a token is never printed');
  } finally {
    serve.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
  }
});

test('npm run cli reads relative paths in the folder it was started from, not the package folder', async () => {
  const caller = mkdtempSync(join(dir, 'caller-'));
  const packageRoot = fileURLToPath(new URL('..', import.meta.url));
  const secret = readFileSync(join(dir, 'identity.secret'));
  writeFileSync(join(caller, 'identity.secret'), secret, { mode: 0o600 });
  const shown = await new Promise<Run>((resolve) => {
    execFile(
      process.platform === 'win32' ? 'npm.cmd' : 'npm',
      ['--prefix', packageRoot, 'run', '--silent', 'cli', '--', '--json', 'identity', 'show'],
      { cwd: caller },
      (error, out, err) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout: out, stderr: err }),
    );
  });
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal((JSON.parse(shown.stdout) as { address: string }).address, Identity.fromString(secret.toString().trim()).address);
});

test('help exits 0 on stdout; no command or an unknown one is a usage error (1)', async () => {
  const help = await run(['member', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /authorize \[options\] <nwid> <address>|authorize <nwid> <address>/);
  const none = await run([]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Usage: zt-netconf-master/);
  const unknown = await run(['networks']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, "zt-netconf-master: unknown command 'networks' (Did you mean network?) (see --help)\n");
});

test('a command on a database held by a running master says so and exits 2, changing nothing', async () => {
  const network = await run(['network', 'create', '--name', 'held']);
  assert.equal(network.code, 0, network.stderr);
  const nwid = network.stdout.trim();
  const dbBefore = readFileSync(join(dir, 'netconf.db'));

  // A second process opens the database the way a master does and keeps it open.
  const holder = spawn(
    process.execPath,
    [
      '--import',
      tsxLoader,
      '--input-type=module',
      '-e',
      `const { openSqlJsStorage } = await import(${JSON.stringify(storageModule)});
       const storage = await openSqlJsStorage({ path: 'netconf.db' });
       console.log('ready');
       process.stdin.on('end', async () => { await storage.close(); process.exit(0); });
       process.stdin.resume();`,
    ],
    { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      holder.on('exit', (code) => reject(new Error(`holder exited early (${code})`)));
    });

    const blocked = await run(['member', 'authorize', nwid, '1a2b3c4d5e']);
    assert.equal(blocked.code, 2);
    assert.match(blocked.stderr, new RegExp(`in use by process ${holder.pid}`));
    assert.equal(blocked.stderr.trim().split('\n').length, 1);
    // docs/operations.md quotes this line; its <placeholders> stand for what varies.
    assert.match(blocked.stderr.trim(), documentedLockMessage());
    assert.deepEqual(readFileSync(join(dir, 'netconf.db')), dbBefore);

    const restore = await run(['restore', '--force', 'netconf.db']);
    assert.equal(restore.code, 2, 'restore refuses a database a master holds');
    assert.match(restore.stderr, /in use by process/);
    assert.deepEqual(readFileSync(join(dir, 'netconf.db')), dbBefore);
  } finally {
    holder.stdin.end();
    await new Promise((resolve) => holder.on('exit', resolve));
  }

  const afterwards = await run(['member', 'authorize', nwid, '1a2b3c4d5e']);
  assert.equal(afterwards.code, 0, 'works again once the master has stopped');
});

test('a reader that stops early (| head) ends the command quietly', async () => {
  const child = spawn(process.execPath, ['--import', tsxLoader, binary, 'network', '--help'], { cwd: dir });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.destroy(); // gone before the command writes anything
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
});
