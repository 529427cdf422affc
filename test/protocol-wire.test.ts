import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Dictionary } from '../src/protocol/dictionary.js';
import {
  Verb,
  WireErrorCode,
  encodeNetworkConfigError,
  encodeNetworkConfigOk,
  encodeNetworkConfigRefresh,
  encodeNetworkConfigRequest,
  parseNetworkConfigError,
  parseNetworkConfigOk,
  parseNetworkConfigRefresh,
  parseNetworkConfigRequest,
} from '../src/protocol/wire.js';
import { InvalidArgumentError, LimitExceededError, ParseError } from '../src/errors.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const MAX64 = (1n << 64n) - 1n;

test('verb and error code numbers are those of §7', () => {
  assert.deepEqual(Verb, { ERROR: 2, OK: 3, NETWORK_CONFIG_REQUEST: 11, NETWORK_CONFIG_REFRESH: 12 });
  assert.deepEqual(WireErrorCode, { OBJECT_NOT_FOUND: 3, UNSUPPORTED_OPERATION: 5, NETWORK_ACCESS_DENIED: 7 });
});

test('request: exact bytes with and without haveRevision', () => {
  assert.equal(hex(encodeNetworkConfigRequest({ nwid: 0x0102030405060708n })), '01020304050607080000');
  const meta = new Dictionary({ v: '1' });
  assert.equal(
    hex(encodeNetworkConfigRequest({ nwid: '3f5bca409b000002', metaData: meta, haveRevision: 5n })),
    '3f5bca409b000002' + '0004' + '763d310a' + '0000000000000005',
  );
  const parsed = parseNetworkConfigRequest(Buffer.from('3f5bca409b000002' + '0004' + '763d310a' + '0000000000000005', 'hex'));
  assert.equal(parsed.nwid, 0x3f5bca409b000002n);
  assert.equal(parsed.metaData.get('v'), '1');
  assert.equal(parsed.haveRevision, 5n);
  assert.equal(parseNetworkConfigRequest(Buffer.from('01020304050607080000', 'hex')).haveRevision, 0n);
});

test('request: truncations and trailing bytes are ParseErrors', () => {
  const full = encodeNetworkConfigRequest({ nwid: 7n, metaData: new Dictionary({ abc: 'def' }), haveRevision: 9n });
  const metaEnd = 10 + 8;
  for (let length = 0; length < full.length; length++) {
    if (length === metaEnd) continue; // the form without haveRevision
    assert.throws(() => parseNetworkConfigRequest(full.subarray(0, length)), ParseError, `length ${length}`);
  }
  for (const extra of [1, 7, 9, 16]) {
    const longer = new Uint8Array(full.length + extra);
    longer.set(full);
    assert.throws(() => parseNetworkConfigRequest(longer), ParseError, `extra ${extra}`);
  }
  const duplicate = new TextEncoder().encode('a=1\na=2\n');
  const payload = new Uint8Array(10 + duplicate.length);
  payload[9] = duplicate.length;
  payload.set(duplicate, 10);
  assert.throws(() => parseNetworkConfigRequest(payload), ParseError, 'bad metadata');
  assert.throws(() => parseNetworkConfigRequest('x' as unknown as Uint8Array), ParseError);
});

test('request encoder rejects bad arguments', () => {
  assert.throws(() => encodeNetworkConfigRequest({ nwid: 'nope' }), ParseError);
  assert.throws(() => encodeNetworkConfigRequest({ nwid: 1n << 64n }), ParseError);
  assert.throws(() => encodeNetworkConfigRequest({ nwid: 1n, haveRevision: -1n }), InvalidArgumentError);
  assert.throws(() => encodeNetworkConfigRequest({ nwid: 1n, metaData: new Uint8Array(65536) }), LimitExceededError);
});

test('OK: round trip, exact layout, 65,535-byte limit', () => {
  const netconf = new Dictionary({ nwid: '0000000000000001', n: 'x' });
  const payload = encodeNetworkConfigOk('0000000000000001', netconf);
  assert.equal(hex(payload.subarray(0, 10)), '0000000000000001' + netconf.byteLength.toString(16).padStart(4, '0'));
  const parsed = parseNetworkConfigOk(payload);
  assert.equal(parsed.nwid, 1n);
  assert.ok(parsed.netconf.equals(netconf));
  assert.deepEqual(parsed.netconfBytes, netconf.toBytes());

  const atLimit = new Dictionary({ k: 'v'.repeat(65535 - 3) });
  assert.equal(atLimit.byteLength, 65535);
  assert.equal(encodeNetworkConfigOk(1n, atLimit).length, 65545);
  const overLimit = new Dictionary({ k: 'v'.repeat(65535 - 2) });
  assert.throws(() => encodeNetworkConfigOk(1n, overLimit), LimitExceededError);
  assert.throws(() => encodeNetworkConfigOk(1n, 'k=v' as unknown as Uint8Array), InvalidArgumentError);

  for (let length = 0; length < payload.length; length++) {
    assert.throws(() => parseNetworkConfigOk(payload.subarray(0, length)), ParseError);
  }
  const longer = new Uint8Array(payload.length + 1);
  longer.set(payload);
  assert.throws(() => parseNetworkConfigOk(longer), ParseError);
});

test('ERROR: code byte then nwid; only codes 3, 5, 7 are encoded', () => {
  assert.equal(hex(encodeNetworkConfigError(WireErrorCode.NETWORK_ACCESS_DENIED, 0x3f5bca409b000002n)), '073f5bca409b000002');
  assert.equal(hex(encodeNetworkConfigError(WireErrorCode.OBJECT_NOT_FOUND, 'ffffffffffffffff')), '03ffffffffffffffff');
  assert.deepEqual(parseNetworkConfigError(Buffer.from('05000000000000002a', 'hex')), { code: 5, nwid: 42n });
  assert.throws(() => encodeNetworkConfigError(4 as WireErrorCode, 1n), InvalidArgumentError);
  assert.throws(() => parseNetworkConfigError(new Uint8Array(8)), ParseError);
  assert.throws(() => parseNetworkConfigError(new Uint8Array(10)), ParseError);
});

test('REFRESH: a list of BE64 network IDs', () => {
  assert.equal(hex(encodeNetworkConfigRefresh([1n, '3f5bca409b000002'])), '0000000000000001' + '3f5bca409b000002');
  assert.deepEqual(parseNetworkConfigRefresh(new Uint8Array(0)), []);
  assert.throws(() => parseNetworkConfigRefresh(new Uint8Array(12)), ParseError);
  assert.throws(() => encodeNetworkConfigRefresh(['x']), ParseError);
});

const nwidArbitrary = fc.bigInt({ min: 0n, max: MAX64 });
const dictArbitrary = fc
  .uniqueArray(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.uint8Array({ maxLength: 16 })), {
    selector: ([key]) => Buffer.from(key).toString('hex'),
    maxLength: 6,
  })
  .map((entries) => new Dictionary(entries));

test('property: payload round trips', () => {
  fc.assert(
    fc.property(nwidArbitrary, dictArbitrary, fc.bigInt({ min: 0n, max: MAX64 }), (nwid, metaData, haveRevision) => {
      const request = parseNetworkConfigRequest(encodeNetworkConfigRequest({ nwid, metaData, haveRevision }));
      assert.equal(request.nwid, nwid);
      assert.equal(request.haveRevision, haveRevision);
      assert.ok(request.metaData.equals(metaData));
      const ok = parseNetworkConfigOk(encodeNetworkConfigOk(nwid, metaData));
      assert.equal(ok.nwid, nwid);
      assert.ok(ok.netconf.equals(metaData));
      const hexForm = nwid.toString(16).padStart(16, '0');
      assert.deepEqual(parseNetworkConfigError(encodeNetworkConfigError(WireErrorCode.OBJECT_NOT_FOUND, hexForm)), { code: 3, nwid });
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.array(nwidArbitrary, { maxLength: 10 }), (nwids) => {
      assert.deepEqual(parseNetworkConfigRefresh(encodeNetworkConfigRefresh(nwids)), nwids);
    }),
    { numRuns: 100 },
  );
});

test('property: random bytes give a result or a ParseError from every parser, nothing else', () => {
  const parsers = [parseNetworkConfigRequest, parseNetworkConfigOk, parseNetworkConfigError, parseNetworkConfigRefresh];
  const structured = fc
    .tuple(nwidArbitrary, fc.integer({ min: 0, max: 40 }), fc.uint8Array({ maxLength: 48 }))
    .map(([nwid, length, rest]) => {
      const out = new Uint8Array(10 + rest.length);
      new DataView(out.buffer).setBigUint64(0, nwid);
      new DataView(out.buffer).setUint16(8, length);
      out.set(rest, 10);
      return out;
    });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), structured), (bytes) => {
      for (const parse of parsers) {
        try {
          parse(bytes);
        } catch (error) {
          assert.ok(error instanceof ParseError, `${parse.name}: ${String(error)}`);
        }
      }
    }),
    { numRuns: 500 },
  );
});
