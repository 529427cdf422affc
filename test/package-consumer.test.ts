/**
 * The package as a user installs it (built, packed, unpacked into a temporary project; no network):
 * every entry point of package.json `exports` has its files, the published `.d.ts` type-check with
 * `skipLibCheck: false` in a Node project without the DOM lib and without @types/sql.js, and the
 * compiled consumer runs a master from the published JavaScript.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { installPackedPackage, specifierOf, type InstalledPackage } from './packaging/install.js';

let installed: InstalledPackage;

before(() => {
  installed = installPackedPackage('ztnc-consumer');
});

after(() => installed?.remove());

const CONSUMER = `
import { createNetconfMaster, openSqlJsStorage, Identity, NetworkConfig, ResultCode, type NetconfStore, type NetworkConfigReply } from 'zt-netconf-master';
import * as root from 'zt-netconf-master';
import { TEST_IDENTITIES, deterministicRandom } from 'zt-netconf-master/testing';
import type { MemberRow, NetconfStoreTx, RequestState } from 'zt-netconf-master/storage';

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
const stateOf = (tx: NetconfStoreTx): RequestState => tx.getRequestState(nwid, config.issuedTo);
const member = storage.read((reader) => reader.getMember(nwid, config.issuedTo));
console.log(JSON.stringify({
  name: config.name,
  member: member === undefined ? null : addressOf(member),
  authorized: await storage.transaction((tx) => stateOf(tx).member?.authorized ?? false),
  rootExports: Object.keys(root).sort(),
}));
await master.close();
await storage.close();
`;

test('every entry point in package.json exports ships its JavaScript and its types', () => {
  const manifest = JSON.parse(
    readFileSync(path.join(installed.folder, 'node_modules', 'zt-netconf-master', 'package.json'), 'utf8'),
  ) as { exports: Record<string, { types: string; default: string } | string> };
  assert.deepEqual(installed.entryPoints.sort(), ['.', './storage', './testing']);
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
