import { copyFileSync, mkdtempSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Identity } from './src/crypto/identity.js';
import { TEST_IDENTITIES } from './src/crypto/test-identities.js';
import { createNetconfMaster } from './src/master/index.js';
import { openSqlJsStorage } from './src/storage/index.js';
import { buildScale } from './scripts/bench-scale.js';
const dir = '/tmp/s18/prof';
const path = join(dir, 'netconf.db');
const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
if (!existsSync(path)) {
  const { mkdirSync } = await import('node:fs'); mkdirSync(dir, { recursive: true });
  const setup = await buildScale(1000, masterIdentity);
  writeFileSync(path, setup.storage.engine.exportImage());
  await setup.storage.close();
  const storage = await openSqlJsStorage({ path, compaction: { minLogBytes: 2 ** 40 } });
  const master = createNetconfMaster(storage, masterIdentity, { validateIdentities: false });
  let i = 0;
  while (statSync(`${path}-log`).size < 8 * 2 ** 20) {
    const nwid = setup.networks[(i * 7919) % setup.networks.length]!;
    const identity = setup.sample.get(nwid)![i % 3]!;
    if (i % 4 === 0) await master.setMemberName(nwid, identity.address, `renamed ${i}`);
    await master.doNetworkConfigRequest({ fromAddr: null, identity, nwid });
    if (i++ % 64 === 0) await new Promise((r) => setImmediate(r));
  }
  await storage.engine.flush();
  copyFileSync(path, path + '.crash');
  copyFileSync(`${path}-log`, `${path}.crash-log`);
  console.log('made', i);
  process.exit(0);
}
copyFileSync(path + '.crash', join(dir, 'c.db'));
copyFileSync(`${path}.crash-log`, join(dir, 'c.db-log'));
const t = performance.now();
const s = await openSqlJsStorage({ path: join(dir, 'c.db'), compaction: { minLogBytes: 2 ** 40 } });
console.log('open', performance.now() - t);
process.exit(0);
