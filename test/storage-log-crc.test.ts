import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32, frameRecords, parseLog, encodeLogHeader, portableCrc32 } from '../src/storage/sqljs/persistence/log-format.js';

test('CRC-32 check value: "123456789" gives cbf43926, in both implementations', () => {
  const bytes = new TextEncoder().encode('123456789');
  assert.equal(portableCrc32(bytes), 0xcbf43926);
  assert.equal(crc32(bytes), 0xcbf43926);
});

test('property: crc32 and portableCrc32 agree, on whole inputs and continued across a split', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), fc.nat(), (bytes, cut) => {
      const at = bytes.length === 0 ? 0 : cut % (bytes.length + 1);
      const whole = portableCrc32(bytes);
      assert.equal(crc32(bytes), whole);
      assert.equal(crc32(bytes.subarray(at), crc32(bytes.subarray(0, at))), whole);
      assert.equal(portableCrc32(bytes.subarray(at), portableCrc32(bytes.subarray(0, at))), whole);
    }),
  );
});

test('a framed record whose payload changes by one bit is cut off as a torn tail', () => {
  const header = encodeLogHeader({ snapshotDigest: new Uint8Array(32), snapshotSize: 0 });
  const payloads = [Uint8Array.of(1, 2, 3), new TextEncoder().encode('second record')];
  const frames = frameRecords(payloads);
  const log = new Uint8Array(header.length + frames.length);
  log.set(header);
  log.set(frames, header.length);
  assert.deepEqual(parseLog(log)?.records, payloads);
  assert.equal(parseLog(log)?.damaged, false);
  log[log.length - 1]! ^= 0x10;
  assert.deepEqual(parseLog(log)?.records, [payloads[0]]);
  assert.equal(parseLog(log)?.damaged, false, 'nothing valid follows the bad record: a torn tail');
});

function logOf(payloads: Uint8Array[]): Uint8Array {
  const header = encodeLogHeader({ snapshotDigest: new Uint8Array(32), snapshotSize: 0 });
  const frames = frameRecords(payloads);
  const log = new Uint8Array(header.length + frames.length);
  log.set(header);
  log.set(frames, header.length);
  return log;
}

test('a bad record followed by an intact one is damage, whether its payload or its length was hit', () => {
  const payloads = Array.from({ length: 6 }, (_, i) => new TextEncoder().encode(`record ${i} `.repeat(i + 2)));
  const clean = logOf(payloads);
  const secondStart = 64 + 8 + payloads[0]!.length;
  for (const at of [secondStart + 12, secondStart, secondStart + 4]) {
    const log = clean.slice();
    log[at]! ^= 0x41;
    const parsed = parseLog(log)!;
    assert.deepEqual(parsed.records, [payloads[0]], `byte ${at}`);
    assert.equal(parsed.validLength, secondStart);
    assert.equal(parsed.damaged, true, `byte ${at}: intact records follow`);
  }
});

test('property: a log cut anywhere is a torn tail, never damage', () => {
  const clean = logOf(Array.from({ length: 5 }, (_, i) => new Uint8Array(20 + i * 7).fill(i + 1)));
  fc.assert(
    fc.property(fc.integer({ min: 64, max: clean.length }), (cut) => {
      assert.equal(parseLog(clean.subarray(0, cut))?.damaged, false);
    }),
  );
});
