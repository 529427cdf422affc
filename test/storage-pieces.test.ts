/** Parts regrouped into pieces for writing (persistence/pieces.ts), checked against plain concatenation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { inPieces } from '../src/storage/sqljs/persistence/pieces.js';

const concat = (parts: readonly Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]));

test('pieces hold the parts\' bytes in order, each piece but the last at least the piece size', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 60 }), fc.integer({ min: 1, max: 100 }), (parts, size) => {
      const pieces = [...inPieces(parts, size)];
      assert.deepEqual(concat(pieces), concat(parts));
      pieces.slice(0, -1).forEach((piece) => assert.ok(piece.length >= size));
      assert.ok(pieces.every((piece) => piece.length > 0));
    }),
  );
});

test('a part as large as a piece is passed on as it is, not copied', () => {
  const large = new Uint8Array(64).fill(7);
  const pieces = [...inPieces([large], 16)];
  assert.equal(pieces.length, 1);
  assert.equal(pieces[0], large);
});
