import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlJsStorage } from '../src/storage/index.js';
import { PersistenceError } from '../src/errors.js';

test('a database path in a folder that does not exist gives a PersistenceError naming it, and creates nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ztnc-open-'));
  const path = join(dir, 'missing', 'netconf.db');
  await assert.rejects(openSqlJsStorage({ path }), (error: unknown) => {
    assert.ok(error instanceof PersistenceError, String(error));
    assert.equal(error.code, 'ERR_PERSISTENCE');
    assert.match(error.message, /missing\/netconf\.db/);
    return true;
  });
  assert.equal(existsSync(join(dir, 'missing')), false);
  rmSync(dir, { recursive: true, force: true });
});
