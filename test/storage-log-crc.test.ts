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
  log[log.length - 1]! ^= 0x10;
  assert.deepEqual(parseLog(log)?.records, [payloads[0]]);
});
