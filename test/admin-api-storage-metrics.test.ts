/**
 * /metrics carries the storage's own work as the contract asks: write transactions, syncs and
 * snapshots with their seconds, and the database's size, from what each engine counts
 * (`NetconfStore.stats`): a durable file counts all four, memory only its writes, PostgreSQL its
 * writes and its database's size.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAdminApi } from '../src/index.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { createNetconfMaster } from '../src/master/index.js';
import type { NetconfStore } from '../src/master/store.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import { forEachEngine } from './support/engines.js';
import { ADMIN_TOKEN, masterIdentity } from './admin-api-helpers.js';

async function metricsAfterChanges(storage: NetconfStore): Promise<string> {
  const master = createNetconfMaster(storage, masterIdentity, { random: deterministicRandom('storage-metrics'), signingWorkers: 0, memberExpiryInterval: 0 });
  const api = createAdminApi(master, { tokens: [{ name: 'root', token: ADMIN_TOKEN, scope: 'admin' }] });
  const nwid = await master.createNetwork({ name: 'counted' });
  for (let i = 0; i < 5; i++) await master.authorizeMember(nwid, `0a0000000${i}`);
  const answer = await api.handle(new Request('http://127.0.0.1/metrics', { headers: { 'X-ZT1-Auth': ADMIN_TOKEN } }));
  assert.equal(answer.status, 200);
  const text = await answer.text();
  await master.close();
  return text;
}

const value = (text: string, name: string): number | undefined => {
  const found = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return found === null ? undefined : Number(found[1]);
};

test('a durable file reports its writes, syncs, snapshots and size', async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'zt-storage-metrics-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const storage = await openSqlJsStorage({ path: join(folder, 'netconf.db') });
  t.after(() => storage.close());
  const text = await metricsAfterChanges(storage);
  assert.match(text, /^# TYPE zt_netconf_storage_write_seconds summary$/m);
  assert.ok(value(text, 'zt_netconf_storage_write_seconds_count')! >= 6, 'a network and five authorizations');
  assert.ok(value(text, 'zt_netconf_storage_write_seconds_sum')! > 0);
  assert.ok(value(text, 'zt_netconf_storage_sync_seconds_count')! >= 6, 'each change synced before its answer');
  assert.ok(value(text, 'zt_netconf_storage_snapshot_seconds_count')! >= 1, 'the new file\'s first snapshot');
  assert.ok(value(text, 'zt_netconf_database_bytes')! > 4096);
});

test('memory reports its writes only: nothing is synced, snapshotted or stored', async () => {
  const text = await metricsAfterChanges(await openSqlJsStorage());
  assert.ok(value(text, 'zt_netconf_storage_write_seconds_count')! >= 6);
  for (const name of ['zt_netconf_storage_sync_seconds', 'zt_netconf_storage_snapshot_seconds', 'zt_netconf_database_bytes']) {
    assert.doesNotMatch(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
});

forEachEngine((engine) => {
  if (engine.name !== 'PostgreSQL') return;
  test('PostgreSQL reports its committed writes and its database size', async () => {
    const text = await metricsAfterChanges(await engine.open());
    assert.ok(value(text, 'zt_netconf_storage_write_seconds_count')! >= 6);
    assert.ok(value(text, 'zt_netconf_database_bytes')! > 1_000_000);
    assert.doesNotMatch(text, /^# TYPE zt_netconf_storage_sync_seconds /m, 'the server syncs its own commits');
  });
});

test('a transaction that only reads is not counted as a write', async () => {
  const storage = await openSqlJsStorage();
  const before = storage.stats().writes.count;
  await storage.engine.write((writer) => writer.get('SELECT count(*) AS n FROM Network'));
  assert.equal(storage.stats().writes.count, before);
  await storage.engine.write((writer) => writer.run(`INSERT INTO Config (k, v) VALUES ('metrics-test', '1')`));
  assert.equal(storage.stats().writes.count, before + 1);
  await storage.close();
});
