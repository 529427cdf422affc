import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlJsStorage } from '../src/storage/index.js';
import { PersistenceError } from '../src/errors.js';
import { tempDatabase } from './fixtures/durability-helpers.js';

test('a database path in a folder that does not exist gives a PersistenceError naming it, and creates nothing', async (t) => {
  const { dir } = tempDatabase(t, 'ztnc-open-');
  const path = join(dir, 'missing', 'netconf.db');
  await assert.rejects(openSqlJsStorage({ path }), (error: unknown) => {
    assert.ok(error instanceof PersistenceError, String(error));
    assert.equal(error.code, 'ERR_PERSISTENCE');
    assert.match(error.message, /missing\/netconf\.db/);
    return true;
  });
  assert.equal(existsSync(join(dir, 'missing')), false);
});
