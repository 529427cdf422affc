import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  hex16,
  networkIdController,
  networkIdLocalNumber,
  networkIdToHex,
  parseHexDigits,
  parseNetworkId,
} from '../src/protocol/ids.js';
import {
  assignableRange, formatCidr, formatIp, formatIpv4, formatIpv6Full, hostMask, networkOf, parseCidr, parseIp, parseIpOrNull, parseIpv4, parseIpv6,
  parseNetconfCidr,
} from '../src/protocol/ip.js';
import { InvalidArgumentError, ParseError } from '../src/errors.js';

const MAX64 = (1n << 64n) - 1n;

test('network IDs: hex16 both ways, controller and local number', () => {
  assert.equal(hex16(0n), '0000000000000000');
  assert.equal(hex16(MAX64), 'ffffffffffffffff');
  assert.equal(parseNetworkId('3F5BCA409B000002'), 0x3f5bca409b000002n);
  assert.equal(parseNetworkId(5n), 5n);
  assert.equal(networkIdToHex(0x3f5bca409b000002n), '3f5bca409b000002');
  assert.equal(networkIdToHex('3F5BCA409B00000a'), '3f5bca409b00000a');
  assert.equal(networkIdController('3f5bca409b000002'), '3f5bca409b');
  assert.equal(networkIdLocalNumber('3f5bca409bfffffe'), 0xfffffe);
  for (const bad of ['', '3f5bca409b00000', '3f5bca409b0000021', '3f5bca409b00000g', ' 3f5bca409b00000', -1n, 1n << 64n, 5, null]) {
    assert.throws(() => parseNetworkId(bad as string), ParseError, String(bad));
    assert.throws(() => networkIdToHex(bad as string), ParseError, String(bad));
  }
  assert.throws(() => hex16(-1n), ParseError);
  assert.throws(() => hex16(1n << 64n), ParseError);
});

test('parseHexDigits accepts 1..n hex digits and nothing else', () => {
  assert.equal(parseHexDigits('a', 4, 'x'), 10n);
  assert.equal(parseHexDigits('FFFF', 4, 'x'), 0xffffn);
  for (const bad of ['', '12345', '0x1', '-1', ' 1', '1 ', 'g']) assert.throws(() => parseHexDigits(bad, 4, 'x'), ParseError, bad);
});

test('IPv4 and IPv6 parsing and the netconf forms', () => {
  assert.equal(parseIpv4('10.1.2.3'), 0x0a010203n);
  assert.equal(formatIpv4(0xc0a80001n), '192.168.0.1');
  for (const bad of ['10.1.2', '10.1.2.3.4', '10.1.2.256', '10.01.2.3', '10.1.2.-3', '10.1.2.3 ', 'a.b.c.d']) {
    assert.throws(() => parseIpv4(bad), ParseError, bad);
  }
  assert.equal(parseIpv6('::'), 0n);
  assert.equal(parseIpv6('::1'), 1n);
  assert.equal(parseIpv6('fd00::'), 0xfd00n << 112n);
  assert.equal(parseIpv6('::ffff:10.1.2.3'), 0xffff0a010203n);
  assert.equal(parseIpv6('1:2:3:4:5:6:7:8'), 0x00010002000300040005000600070008n);
  assert.equal(formatIpv6Full(parseIpv6('2001:DB8::ff')), '2001:0db8:0000:0000:0000:0000:0000:00ff');
  for (const bad of ['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2:3:4:5:6:7:8', '12345::', 'g::', 'fe80::1%eth0', '::1.2.3']) {
    assert.throws(() => parseIpv6(bad), ParseError, bad);
  }
  assert.deepEqual(parseNetconfCidr('10.0.0.0/8'), { family: 4, address: 0x0a000000n, bits: 8 });
  assert.equal(formatCidr(parseNetconfCidr('fd00::1/88')), 'fd00:0000:0000:0000:0000:0000:0000:0001/88');
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/08', '10.0.0.0/8/8', 'fd00::/129', '/8', 'fd00::/-1']) {
    assert.throws(() => parseNetconfCidr(bad), ParseError, bad);
  }
});

test('property: addresses survive format → parse', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 128 }), (address, bits) => {
      assert.equal(parseIpv6(formatIpv6Full(address)), address);
      assert.deepEqual(parseNetconfCidr(formatCidr({ family: 6, address, bits })), { family: 6, address, bits });
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.ipV4(), fc.ipV6(), (v4, v6) => {
      assert.equal(formatIpv4(parseIpv4(v4)), v4);
      const value = parseIpv6(v6);
      assert.equal(parseIpv6(formatIpv6Full(value)), value);
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (text) => {
      try {
        parseNetconfCidr(text);
      } catch (error) {
        assert.ok(error instanceof ParseError);
      }
    }),
    { numRuns: 300 },
  );
});

test("a caller's CIDR or address: the full width by default, InvalidArgumentError for bad text", () => {
  assert.deepEqual(parseCidr('10.1.2.3'), { family: 4, address: 0x0a010203n, bits: 32 });
  assert.deepEqual(parseCidr('fd00::1'), { family: 6, address: (0xfdn << 120n) | 1n, bits: 128 });
  assert.deepEqual(parseCidr('10.1.2.3/8'), { family: 4, address: 0x0a010203n, bits: 8 }, 'host bits kept');
  assert.deepEqual(parseIp('fd00::1'), { family: 6, address: (0xfdn << 120n) | 1n });
  for (const run of [
    () => parseCidr('10.1.2.3', { requirePrefix: true }),
    () => parseCidr('10.1.2.256/8'),
    () => parseCidr(5 as unknown as string),
    () => parseIp('10.1.2.3/8'),
    () => parseIp('nonsense'),
  ]) {
    assert.throws(run, InvalidArgumentError);
  }
  const error = (() => {
    try {
      parseCidr('10.0.0.0/33');
    } catch (caught) {
      return caught as InvalidArgumentError;
    }
  })();
  assert.ok(error?.cause instanceof ParseError, 'the parser\'s error is the cause');
  assert.equal(formatIp(4, 0x0a010203n), '10.1.2.3');
  assert.equal(formatIp(6, 1n), '0000:0000:0000:0000:0000:0000:0000:0001');
  assert.deepEqual(networkOf(parseCidr('10.1.2.3/8')), { family: 4, address: 0x0a000000n, bits: 8 });
  assert.deepEqual(assignableRange(parseCidr('10.0.0.0/30')), { first: 0x0a000001n, last: 0x0a000002n });
  assert.equal(assignableRange(parseCidr('10.0.0.0/31')), null);
  assert.equal(hostMask(6, 120), 0xffn);
});

test('parseIpOrNull reads what parseIp reads and answers null where parseIp refuses', () => {
  for (const text of ['10.1.2.3', 'fd00::1', '::']) assert.deepEqual(parseIpOrNull(text), parseIp(text));
  for (const text of ['', 'host-1', '10.1.2.3/24', '300.1.2.3', 'fd00::1::2']) {
    assert.throws(() => parseIp(text));
    assert.equal(parseIpOrNull(text), null);
  }
});
