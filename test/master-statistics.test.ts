/**
 * Statistics (lastSeen, lastAt) are batched by the store: repeated requests write nothing each,
 * yet every read, backup, flush and close sees them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '../src/crypto/identity.js';
import { TEST_IDENTITIES } from '../src/crypto/test-identities.js';
import { createNetconfMaster, ResultCode } from '../src/master/index.js';
import { openSqlJsStorage } from '../src/storage/index.js';

const masterIdentity = Identity.fromString(TEST_IDENTITIES[0]!);
const member = Identity.fromString(TEST_IDENTITIES[1]!).publicOnly();

test('repeated requests share one statistics write; lastSeen and lastAt are current for readers and after reopening', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ztnc-stats-'));
  const path = join(dir, 'netconf.db');
  let clock = 1_800_000_000_000;
  const storage = await openSqlJsStorage({ path });
  const master = createNetconfMaster(storage, masterIdentity, { now: () => clock });
  const nwid = await master.createNetwork({ name: 'stats', private: false });
  const first = await master.doNetworkConfigRequest({ fromAddr: '198.51.100.1/9993', identity: member, nwid });
  assert.equal(first.code, ResultCode.OK);
  const revision = (await master.getNetwork(nwid))!.revision;
  await storage.flush();
  const logBefore = statSync(`${path}-log`).size;

  for (let i = 1; i <= 50; i++) {
    clock += 1_000;
    const reply = await master.doNetworkConfigRequest({
      fromAddr: i === 50 ? '203.0.113.9/9993' : null, identity: member, nwid, haveRevision: revision,
    });
    assert.equal(reply.code, ResultCode.OK_BUT_NOT_NEWER);
  }
  const seen = await master.getMember(nwid, member.address);
  assert.equal(seen!.lastSeen, clock);
  assert.equal(seen!.lastAt, '203.0.113.9/9993');
  await storage.flush();
  const grown = statSync(`${path}-log`).size - logBefore;
  // One record with one UPDATE, not fifty (each is ~80 bytes on its own).
  assert.ok(grown > 0 && grown < 400, `the log grew by ${grown} bytes for 50 repeated requests`);

  clock += 1_000;
  await master.doNetworkConfigRequest({ fromAddr: null, identity: member, nwid, haveRevision: revision });
  await storage.close(); // right after the request: the sighting must still be written
  const reopened = await openSqlJsStorage({ path });
  const again = createNetconfMaster(reopened, masterIdentity);
  const after = await again.getMember(nwid, member.address);
  assert.equal(after!.lastSeen, clock);
  assert.equal(after!.lastAt, '203.0.113.9/9993', 'a relayed request keeps the last direct address');
  await reopened.close();
  rmSync(dir, { recursive: true, force: true });
});
