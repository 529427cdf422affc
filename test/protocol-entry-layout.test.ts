import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dictionary } from '../src/protocol/dictionary.js';
import { EntryLayout, SerializedEntries, type SlotValue } from '../src/protocol/entry-layout.js';
import { InvalidArgumentError } from '../src/errors.js';

const bytes = fc.uint8Array({ maxLength: 12 });
const awkward = fc.oneof(
  bytes,
  fc.constantFrom(Uint8Array.of(0x3d), Uint8Array.of(0x5c, 0x0a), Uint8Array.of(0x00, 0x0d), Uint8Array.of(0xc3, 0xa9)),
);
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('x=y', 'a\nb', 'é', '\\', 'plain', 'p'.repeat(40)));

test('property: a layout writes the bytes and the signing message Dictionary writes for the same entries', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(awkward, awkward), { selector: ([key]) => Array.from(key).join(','), maxLength: 6 }),
      fc.array(fc.option(fc.oneof(text, bytes), { nil: undefined }), { minLength: 3, maxLength: 3 }),
      (fixed, drawn) => {
        const slotKeys = ['~!ed25519', 'slot\u0001', '\u00ffslot'];
        const fixedKeys = new Set(fixed.map(([key]) => Array.from(key).join(',')));
        for (const key of slotKeys) fc.pre(!fixedKeys.has(Array.from(new TextEncoder().encode(key)).join(',')));
        const layout = new EntryLayout(fixed, slotKeys);
        const values: SlotValue[] = [undefined, drawn[1], drawn[2]];
        const expected = new Dictionary(fixed);
        values.forEach((value, slot) => value !== undefined && expected.set(slotKeys[slot]!, value));

        const written = Dictionary.fromSerialized(layout.serialize(values));
        assert.deepEqual(written.toBytes(), expected.toBytes());
        assert.equal(layout.serializedLength(values), expected.byteLength);
        assert.deepEqual(written.entryBytes(), expected.entryBytes());

        // with the signature's slot: the message (every other entry, key=value NUL, 0xff, BE32 count)
        // leaves it out; its place takes the signature's hex
        values[0] = '0'.repeat(192);
        const prepared = layout.prepare(values);
        const messageOf = (dict: Dictionary): number[] => {
          const out: number[] = [];
          for (const [key, value] of dict.entryBytes()) out.push(...key, 0x3d, ...value, 0);
          const count = dict.size;
          return [...out, 0xff, count >>> 24, (count >>> 16) & 0xff, (count >>> 8) & 0xff, count & 0xff];
        };
        assert.deepEqual(Array.from(prepared.message), messageOf(expected));
        const signature = Uint8Array.from({ length: 96 }, (_, i) => i);
        const signed = Dictionary.fromSerialized(prepared.draft.complete([[0, signature]]));
        assert.deepEqual(signed.toBytes(), expected.clone().completeSignature(signature).toBytes());
      },
    ),
    { numRuns: 300 },
  );
});

test('a draft fills only a place of hex digits in a value written without escapes; its results never change', () => {
  const layout = new EntryLayout([[Uint8Array.of(0x61), Uint8Array.of(0x62)]], ['~!ed25519', 'v']);
  const signature = new Uint8Array(96).fill(0xab);
  const prepared = layout.prepare(['0'.repeat(192), 'x'.repeat(192)]);
  assert.equal(prepared.draft.hasPlace(0, 192), true);
  assert.equal(prepared.draft.hasPlace(1, 192), false, 'not hex');
  assert.throws(() => prepared.draft.complete([[1, signature]]), InvalidArgumentError);
  assert.throws(() => prepared.draft.complete([[0, new Uint8Array(95)]]), InvalidArgumentError);
  const escaped = layout.prepare(['0'.repeat(192), `\\${'0'.repeat(192)}`]);
  assert.equal(escaped.draft.hasPlace(1, 192), false, 'a value written with escapes has no place');
  const first = Dictionary.fromSerialized(prepared.draft.complete([[0, signature]]));
  const firstBytes = first.toBytes();
  Dictionary.fromSerialized(prepared.draft.complete([[0, new Uint8Array(96)]]));
  assert.deepEqual(first.toBytes(), firstBytes);
  assert.equal(first.get('~!ed25519'), 'ab'.repeat(96));
});

test('serialized entries come from a layout only; a layout refuses a key given twice or a fixed signature', () => {
  assert.throws(() => new SerializedEntries(Symbol('forged') as never, new Uint8Array(1)), InvalidArgumentError);
  assert.throws(() => Dictionary.fromSerialized(new Uint8Array(1) as never), InvalidArgumentError);
  assert.throws(() => new EntryLayout([[Uint8Array.of(0x76), new Uint8Array()]], ['v']), InvalidArgumentError);
  assert.throws(() => new EntryLayout([], ['v', 'v']), InvalidArgumentError);
  assert.throws(() => new EntryLayout([[new TextEncoder().encode('~!ed25519'), new Uint8Array()]], []), InvalidArgumentError);
  assert.throws(() => new EntryLayout([], ['v']).serialize([]), InvalidArgumentError);
});
