/**
 * A copy of a SQLite image into PostgreSQL writes the runs of held addresses once, from the copied
 * addresses, with the row triggers off for its own transaction only: the runs must be exactly those
 * of the addresses, the revisions those of the source, and every trigger on again afterwards.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { createNetconfMaster } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';
import { openPostgresStorage } from '../src/storage/postgres/open.js';
import { copySqliteImageToPostgres } from '../src/storage/postgres/sqlite-image.js';
import { createMemoryPersistence } from '../src/storage/sqljs/persistence/memory.js';
import { freshPostgresDatabase, postgresAvailable } from './support/postgres.js';

const skip = !postgresAvailable();

type Run = [network: string, version: number, first: string, last: string];

/** The maximal runs of consecutive addresses, computed here from the addresses themselves. */
function runsOf(held: { networkid: string; ipversion: number; ipint: string }[]): Run[] {
  const sorted = held
    .map((row) => ({ network: row.networkid, version: Number(row.ipversion), address: BigInt(row.ipint) }))
    .sort((a, b) => a.network.localeCompare(b.network) || a.version - b.version || (a.address < b.address ? -1 : 1));
  const runs: { network: string; version: number; first: bigint; last: bigint }[] = [];
  for (const { network, version, address } of sorted) {
    const previous = runs.at(-1);
    if (previous !== undefined && previous.network === network && previous.version === version && previous.last + 1n === address) {
      previous.last = address;
    } else {
      runs.push({ network, version, first: address, last: address });
    }
  }
  return runs.map((run) => [run.network, run.version, String(run.first), String(run.last)]);
}

/** A SQLite image of two networks: runs with gaps, IPv4 and IPv6, automatic and chosen addresses, active bridges. */
async function sourceImage(): Promise<{ image: Uint8Array; networks: string[]; revisions: Map<string, bigint> }> {
  const storage = await openSqlJsStorage({ persistence: createMemoryPersistence() });
  const master = createNetconfMaster(storage, Identity.fromString(TEST_IDENTITIES[0]!), { validateIdentities: false, signingWorkers: 0 });
  const networks = [
    await master.createNetwork({ name: 'a', private: true, v4AssignMode: 'zt', ipPools: ['10.0.0.0/24'] }),
    await master.createNetwork({ name: 'b', private: true, v4AssignMode: 'zt', ipPools: ['10.9.0.0/16'] }),
  ];
  const addresses = Array.from({ length: 40 }, (_, i) => (0x2000000000 + i).toString(16).padStart(10, '0'));
  for (const [n, nwid] of networks.entries()) {
    for (const [i, address] of addresses.entries()) {
      // Gaps after every seventh address; every fifth member an active bridge; every third an IPv6 address too.
      const v4 = `10.${n === 0 ? '0.0' : '9.1'}.${i + 1 + Math.floor(i / 7)}`;
      const v6 = `fd00::${(i + 1 + Math.floor(i / 4)).toString(16)}`;
      await master.authorizeMember(nwid, address);
      await master.setIpAssignments(nwid, address, i % 3 === 0 ? [`${v4}/24`, `${v6}/64`] : [`${v4}/24`]);
      if (i % 5 === 0) await master.setActiveBridge(nwid, address, true);
    }
  }
  const revisions = new Map<string, bigint>();
  for (const nwid of networks) revisions.set(nwid, (await master.getNetwork(nwid))!.revision);
  await master.close();
  await storage.flush();
  const image = await storage.backup();
  await storage.close();
  return { image, networks, revisions };
}

test('a copy into PostgreSQL writes exactly the runs of the copied addresses, keeps every revision, and leaves the triggers on', { skip }, async (t) => {
  const { image, networks, revisions } = await sourceImage();
  const url = await freshPostgresDatabase(t);
  const store = await openPostgresStorage({ connectionString: url });
  t.after(() => store.close());
  const progress: string[] = [];
  const report = await copySqliteImageToPostgres(image, store, { onProgress: (detail) => progress.push(detail) });
  assert.equal(report.rows.ipassignment, 2 * (40 + 14));
  assert.ok(progress.some((detail) => detail === 'member: 80 of 80 rows'), `progress told: ${progress.join('; ')}`);
  assert.ok(progress.includes('address runs'));

  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // the database is dropped when the test ends
  await client.connect();
  t.after(() => client.end());
  const runs = async (): Promise<Run[]> =>
    (await client.query<{ networkid: string; ipversion: number; first: string; last: string }>(
      `SELECT networkid, ipversion, first::text, last::text FROM iprun ORDER BY networkid, ipversion, first`,
    )).rows.map((row) => [row.networkid, Number(row.ipversion), row.first, row.last]);
  const held = async () =>
    (await client.query<{ networkid: string; ipversion: number; ipint: string }>(`SELECT networkid, ipversion, ipint::text FROM ipassignment`)).rows;
  const expectedRuns = runsOf(await held());
  assert.equal(expectedRuns.filter((run) => run[1] === 4).length, 2 * 6, 'six IPv4 runs a network: the gaps are there');
  assert.deepEqual(await runs(), expectedRuns);

  const revisionsNow = async () => new Map((await client.query<{ id: string; revision: string }>(`SELECT id, revision::text FROM network`)).rows
    .map((row) => [row.id, BigInt(row.revision)]));
  assert.deepEqual(await revisionsNow(), revisions, 'no revision raised by the copy');
  assert.equal((await client.query(`SELECT 1 FROM revisionhold`)).rowCount, 0);

  const disabled = await client.query(`SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'`);
  assert.deepEqual(disabled.rows, [], 'every trigger is on again');
  // And they work: an address filling a gap joins two runs, and raises the revision by 1.
  const [nwid] = networks as [string];
  await client.query(
    `INSERT INTO ipassignment (networkid, nodeid, ipversion, ipint, ipnetmaskbits) VALUES ($1, '2000000099', 4, $2, 24)`,
    [nwid, String((10n << 24n) + 8n)],
  );
  assert.deepEqual(await runs(), runsOf(await held()));
  assert.equal((await revisionsNow()).get(nwid), revisions.get(nwid)! + 1n);
});

test('a copy that fails leaves the target as it was, triggers on', { skip }, async (t) => {
  const { image } = await sourceImage();
  const url = await freshPostgresDatabase(t);
  const store = await openPostgresStorage({ connectionString: url });
  t.after(() => store.close());
  await copySqliteImageToPostgres(image, store);
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  t.after(() => client.end());
  // The second copy fails at its last step: nothing of it stays, and no trigger is left off.
  await client.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`);
  await client.query(`CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON iprun DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse()`);
  const before = (await client.query(`SELECT count(*)::int AS n FROM member`)).rows[0].n as number;
  await assert.rejects(copySqliteImageToPostgres(image, store, { replace: true }), /refused/);
  assert.equal((await client.query(`SELECT count(*)::int AS n FROM member`)).rows[0].n, before);
  const disabled = await client.query(`SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'`);
  assert.deepEqual(disabled.rows, []);
});
