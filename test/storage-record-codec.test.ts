import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeStatements, encodeStatements, type RecordedStatement } from '../src/storage/sqljs/persistence/record-codec.js';

const value = fc.oneof(
  fc.constant(null),
  fc.double({ noNaN: true }),
  fc.integer(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.uint8Array({ maxLength: 64 }),
);

const statement = fc.record({
  sql: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
  params: fc.array(value, { maxLength: 8 }),
});

test('property: a log record decodes to exactly the statements and parameters encoded', () => {
  fc.assert(
    fc.property(fc.array(statement, { maxLength: 6 }), (generated) => {
      const statements: RecordedStatement[] = generated.map(({ sql, params }) => ({ sql, params: [...params] }));
      const encoded = encodeStatements(statements);
      assert.equal(encoded.byteOffset, 0);
      assert.equal(encoded.buffer.byteLength, encoded.length, 'no slack bytes behind the record');
      assert.deepEqual(decodeStatements(encoded), statements);
    }),
    { numRuns: 300 },
  );
});

test('multi-byte text is measured in bytes, not UTF-16 units', () => {
  const statements = [{ sql: 'INSERT INTO t VALUES (?)', params: ['naïve 漢字 🚀'] }];
  assert.deepEqual(decodeStatements(encodeStatements(statements)), statements);
});
