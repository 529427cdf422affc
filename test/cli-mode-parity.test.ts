/**
 * The same administrative session in local mode (the CLI opens the database) and in remote mode
 * (the CLI talks to a running `zt-netconf-master serve` with --url): every command prints the same
 * text and JSON and exits with the same code. The one difference the admin API cannot avoid is
 * asserted exactly: assigned addresses come back as plain IPs (docs/operations.md, "Administering a running master").
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../src/cli/main.js';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import { createNetconfMaster } from '../src/master/index.js';
import { localMode, remoteMode, spawnServe, type CliModeFactory } from './cli-modes.js';

const member = Identity.fromString(TEST_IDENTITIES[1]!).address;
const other = Identity.fromString(TEST_IDENTITIES[2]!).address;
const foreignNetwork = 'ffffffffff000000';

interface Step {
  args: string[];
  /**
   * A refusal the admin service words itself (it names the request's field): the exit code and
   * the --json error code must match, the wording may not.
   */
  serviceWording?: boolean;
}

/** The session: `NW0`, `NW1` stand for the networks created first and second. */
const SESSION: Step[] = [
  { args: ['network', 'list'] },
  { args: ['network', 'create', '--name', 'lab', '--v4-assign', 'zt', '--pool', '10.1.0.0/16'] },
  {
    args: [
      '--json', 'network', 'create', '--name', 'lab2', '--public', '--v6-assign', 'rfc4193', '--pool', 'fd00:1::/64',
      '--pool', '10.2.0.0/24', '--ether-types', '0800,0806,86dd', '--multicast-limit', '8', '--com-max-delta', '20',
      '--description', 'second', '--no-broadcast', '--passive-bridging',
    ],
  },
  { args: ['network', 'list'] },
  { args: ['--json', 'network', 'list'] },
  { args: ['network', 'show', 'NW0'] },
  { args: ['--json', 'network', 'show', 'NW1'] },
  { args: ['network', 'set', 'NW0', '--ether-types', ''] },
  { args: ['network', 'set', 'NW0', '--ether-types', '0800,0'] },
  { args: ['network', 'set', 'NW0', '--ether-types', 'all'] },
  { args: ['network', 'set', 'NW0', '--v6-assign', 'zt'] },
  { args: ['network', 'set', 'NW0', '--v6-assign', 'none', '--private', '--broadcast'] },
  { args: ['network', 'set', 'NW0', '--multicast-limit', '0', '--com-max-delta', '0'] },
  { args: ['network', 'set', 'NW0', '--name', 'ünï', '--description', ''] },
  { args: ['network', 'set', 'NW0', '--pool', '10.1.0.0/16', '--pool', '10.1.0.0/16'] },
  { args: ['network', 'set', 'NW0', '--pool', '10.1.0.0/16', '--pool', 'fd00:9::/64'] },
  { args: ['network', 'set', 'NW0', '--pool', '10.9.0.0/31'] },
  { args: ['network', 'set', 'NW0', '--com-max-delta', '99999999999'] },
  { args: ['network', 'set', 'NW0', '--description', 'x'.repeat(300)] },
  { args: ['network', 'set', foreignNetwork, '--name', 'x'] },
  { args: ['pool', 'add', 'NW0', '10.5.5.5/24'] },
  { args: ['pool', 'add', 'NW0', '10.5.5.0/24'] },
  { args: ['pool', 'add', 'NW0', '10.5.5.5/31'] },
  { args: ['pool', 'remove', 'NW0', '10.5.5.0/24'] },
  { args: ['pool', 'remove', 'NW0', '10.99.5.0/24'] },
  { args: ['--json', 'pool', 'remove', 'NW0', '10.99.5.0/24'] },
  { args: ['pool', 'add', foreignNetwork, '10.5.5.5/24'] },
  { args: ['member', 'list', 'NW0'] },
  { args: ['--json', 'member', 'list', 'NW0'] },
  { args: ['member', 'show', 'NW0', member] },
  { args: ['member', 'authorize', 'NW0', member] },
  { args: ['--json', 'member', 'authorize', 'NW0', member] },
  { args: ['member', 'name', 'NW0', member, 'build box'] },
  { args: ['member', 'notes', 'NW0', member, 'rack 4'] },
  { args: ['member', 'name', 'NW0', member, 'x'.repeat(300)] },
  { args: ['--json', 'member', 'name', 'NW0', member, 'x'.repeat(300)] },
  { args: ['member', 'notes', 'NW0', member, 'n'.repeat(5000)] },
  { args: ['member', 'bridge', 'NW0', member, 'on'] },
  { args: ['member', 'deauthorize', 'NW0', member] },
  { args: ['member', 'deauthorize', 'NW0', other] },
  { args: ['member', 'bridge', 'NW0', other, 'on'] },
  { args: ['member', 'authorize', 'NW1', other] },
  { args: ['--json', 'member', 'list', 'NW1'] },
  { args: ['member', 'ip', 'NW0', member, '10.1.0.5/16', '10.1.0.5/16'], serviceWording: true },
  { args: ['--json', 'member', 'ip', 'NW0', member, '10.1.0.5/0'], serviceWording: true },
  { args: ['--json', 'member', 'ip', 'NW0', member, ...Array.from({ length: 17 }, (_, i) => `10.7.0.${i + 1}/24`)], serviceWording: true },
  { args: ['member', 'authorize', foreignNetwork, member] },
  { args: ['member', 'show', 'NW0', '00000000aa'] },
  { args: ['identity', 'show'] },
  { args: ['--json', 'identity', 'show'] },
  { args: ['member', 'delete', 'NW0', member] },
  { args: ['--json', 'member', 'delete', 'NW0', member] },
  { args: ['member', 'list', 'NW0'] },
  { args: ['network', 'delete', foreignNetwork] },
  { args: ['--json', 'network', 'delete', 'NW1'] },
  { args: ['network', 'delete', 'NW0'] },
  { args: ['network', 'list'] },
];

/** The session's assignments, whose prefix length only local mode can print. */
const ASSIGNMENT_SESSION: Step[] = [
  { args: ['network', 'create', '--name', 'ips', '--pool', '10.1.0.0/16'] },
  { args: ['member', 'authorize', 'NW0', member] },
  { args: ['member', 'ip', 'NW0', member, '10.1.0.5/16', 'fd00:1::5/64'] },
  { args: ['--json', 'member', 'show', 'NW0', member] },
  { args: ['member', 'list', 'NW0'] },
];

interface Recorded {
  command: string;
  code: number;
  out: string;
  err: string;
}

/** Runs `steps` against a fresh database in one mode; network IDs and times are normalized. */
async function record(factory: CliModeFactory, steps: readonly Step[]): Promise<Recorded[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cli-parity-'));
  const db = join(dir, 'netconf.db');
  const identityFile = join(dir, 'identity.secret');
  writeFileSync(identityFile, `${TEST_IDENTITIES[0]!}\n`, { mode: 0o600 });
  await (await openSqlJsStorage({ path: db })).close();
  const mode = await factory.start({ dir, db, identityFile });
  const networks: string[] = [];
  const recorded: Recorded[] = [];
  try {
    for (const step of steps) {
      const args = step.args.map((arg) => arg.replace(/^NW(\d)$/, (_, index: string) => networks[Number(index)] ?? arg));
      let out = '';
      let err = '';
      const code = await main([...mode.args, ...args], { out: (text) => (out += text), err: (text) => (err += text), errIsTty: false });
      if (code === 0 && args.includes('network') && args.includes('create')) {
        networks.push(/"id": "([0-9a-f]{16})"/.exec(out)?.[1] ?? out.trim());
      }
      const normalize = (text: string) => {
        let result = text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>').replace(/(": )\d{13}\b/g, '$1"<ms>"');
        networks.forEach((id, index) => (result = result.split(id).join(`NW${index}`)));
        return result;
      };
      const command = step.args.join(' ').slice(0, 120);
      const errorCode = args.includes('--json') && code !== 0 ? (JSON.parse(err) as { error: { code: string } }).error.code : '';
      recorded.push({
        command,
        code,
        out: normalize(sortListed(step.args, out)),
        err: step.serviceWording ? `(worded by the service; code ${errorCode})` : normalize(err),
      });
    }
  } finally {
    await mode.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return recorded;
}

/** Network IDs are random, and lists are sorted by ID: lists are compared in name order. */
function sortListed(args: readonly string[], out: string): string {
  if (!(args.includes('network') && args.includes('list')) || out.startsWith('no networks')) return out;
  if (args.includes('--json')) {
    const networks = JSON.parse(out) as { name: string }[];
    return `${JSON.stringify(networks.sort((a, b) => (a.name < b.name ? -1 : 1)), null, 2)}\n`;
  }
  const [header, ...rows] = out.trimEnd().split('\n');
  return `${[header, ...rows.sort((a, b) => a.slice(18).localeCompare(b.slice(18)))].join('\n')}\n`;
}

test('a whole session prints the same output and exits with the same codes in local and remote mode', async () => {
  const local = await record(localMode, SESSION);
  const remote = await record(remoteMode(spawnServe), SESSION);
  assert.ok(local.some((step) => step.code !== 0) && local.some((step) => step.code === 0), 'the session has successes and refusals');
  for (let i = 0; i < SESSION.length; i++) {
    assert.deepEqual(remote[i], local[i], `step ${i}: ${local[i]!.command}`);
  }
});

test('remote mode prints assigned addresses without their prefix length: the admin API answers plain IPs', async () => {
  const local = await record(localMode, ASSIGNMENT_SESSION);
  const remote = await record(remoteMode(spawnServe), ASSIGNMENT_SESSION);
  const v6 = 'fd00:0001:0000:0000:0000:0000:0000:0005';
  assert.match(local[2]!.out, new RegExp(`^IP assignments: +10\\.1\\.0\\.5/16, ${v6}/64$`, 'm'));
  assert.match(remote[2]!.out, new RegExp(`^IP assignments: +10\\.1\\.0\\.5, ${v6}$`, 'm'));
  assert.deepEqual((JSON.parse(local[3]!.out) as { ipAssignments: string[] }).ipAssignments, ['10.1.0.5/16', `${v6}/64`]);
  assert.deepEqual((JSON.parse(remote[3]!.out) as { ipAssignments: string[] }).ipAssignments, ['10.1.0.5', v6]);
  for (let i = 0; i < ASSIGNMENT_SESSION.length; i++) {
    // Everything else is the same: local output with the prefix lengths of the assignments taken out.
    const expected = local[i]!.out.replace('10.1.0.5/16', '10.1.0.5').replace(`${v6}/64`, v6);
    assert.deepEqual(remote[i], { ...local[i]!, out: expected }, `step ${i}: ${local[i]!.command}`);
  }
});

test('"none" over --url sets none on a network the file says is dhcp, as local mode does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-parity-dhcp-'));
  const db = join(dir, 'netconf.db');
  const identityFile = join(dir, 'identity.secret');
  writeFileSync(identityFile, `${TEST_IDENTITIES[0]!}\n`, { mode: 0o600 });
  const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
  const reopen = async <T>(fn: (master: ReturnType<typeof createNetconfMaster>) => Promise<T>): Promise<T> => {
    const storage = await openSqlJsStorage({ path: db });
    const master = createNetconfMaster(storage, masterIdentity, { signingWorkers: 0 });
    try {
      return await fn(master);
    } finally {
      await master.close();
      await storage.close();
    }
  };
  try {
    const nwid = await reopen((master) => master.createNetwork({ name: 'dhcp', v4AssignMode: 'dhcp', v6AssignMode: 'dhcp6' }));
    const mode = await remoteMode(spawnServe).start({ dir, db, identityFile });
    let out = '';
    let err = '';
    let code: number;
    try {
      code = await main([...mode.args, '--json', 'network', 'set', nwid, '--v4-assign', 'none', '--v6-assign', 'none'], {
        out: (text) => (out += text),
        err: (text) => (err += text),
        errIsTty: false,
      });
    } finally {
      await mode.stop();
    }
    assert.equal(code, 0, err);
    assert.deepEqual(
      [(JSON.parse(out) as { v4AssignMode: string }).v4AssignMode, (JSON.parse(out) as { v6AssignMode: string }).v6AssignMode],
      ['none', 'none'],
    );
    const stored = await reopen((master) => master.getNetwork(nwid));
    assert.deepEqual([stored?.v4AssignMode, stored?.v6AssignMode], ['none', 'none'], 'the file says none, not dhcp');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
