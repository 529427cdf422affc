/**
 * The admin API's own routing and body readers (router.ts, lenient.ts), through the Fetch handler:
 * trailing slashes, HEAD, the token checked before "no such route", encoded path segments, and the
 * field a nested body problem is named by.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAdminApi, createNetconfMaster, openSqlJsStorage, type AdminApi } from '../src/index.js';
import { deterministicRandom } from '../src/crypto/deterministic-random.js';
import { FieldError, cappedArray, lenientBoolean, lenientInteger, maybe, object, string, union } from '../src/admin-api/lenient.js';
import { RouteTable } from '../src/admin-api/router.js';
import { masterIdentity } from './admin-api-helpers.js';

const TOKEN = 'routingtoken0123456789ab';

describe('routing through the Fetch handler', () => {
  let api: AdminApi;
  let close: () => Promise<void>;
  before(async () => {
    const storage = await openSqlJsStorage();
    const master = createNetconfMaster(storage, masterIdentity, { random: deterministicRandom('routing'), signingWorkers: 0 });
    api = createAdminApi(master, { tokens: [{ name: 'root', token: TOKEN, scope: 'admin' }], version: 'test' });
    close = async () => {
      api.close();
      await master.close();
      await storage.close();
    };
  });
  after(() => close());

  const call = (method: string, path: string, token: string | null = TOKEN, body?: unknown) =>
    api.handle(
      new Request(`http://127.0.0.1${path}`, {
        method,
        headers: token === null ? {} : { 'X-ZT1-Auth': token },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );

  test('a trailing slash reaches the same route', async () => {
    const plain = await call('GET', '/controller/network');
    const slashed = await call('GET', '/controller/network/');
    assert.equal(slashed.status, 200);
    assert.deepEqual(await slashed.json(), await plain.json());
  });

  test('HEAD answers what GET would, without a body', async () => {
    const head = await call('HEAD', '/status');
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'application/json');
    assert.equal(await head.text(), '');
    assert.equal((await call('HEAD', '/status', null)).status, 401, 'HEAD needs a token as GET does');
  });

  test('an unknown route answers 401 without a token and 404 with one; a method no route takes is 404', async () => {
    assert.equal((await call('GET', '/no/such/route', null)).status, 401);
    const missing = await call('GET', '/no/such/route');
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).code, 'ERR_NOT_FOUND');
    assert.equal((await call('PATCH', '/controller/network')).status, 404);
    assert.equal((await call('GET', '/health', null)).status, 200, '/health alone needs no token');
  });

  test('path segments are percent-decoded before they are read, and upper-case hex is accepted', async () => {
    const created = await (await call('POST', '/controller/network', TOKEN, { name: 'enc' })).json();
    const encoded = `%${created.id.charCodeAt(0).toString(16)}${created.id.slice(1).toUpperCase()}`;
    const answer = await call('GET', `/controller/network/${encoded}`);
    assert.equal(answer.status, 200);
    assert.equal((await answer.json()).id, created.id);
    const bad = await call('GET', '/controller/network/%E0%A4%A');
    assert.equal(bad.status, 400, 'a segment that does not decode is read as it is, and refused as a network ID');
  });

  test('every route is listed once with its method and pattern', () => {
    const seen = api.routes.map((route) => `${route.method} ${route.path}`);
    assert.equal(new Set(seen).size, seen.length);
    assert.ok(seen.includes('GET /controller/network/:nwid/member/:address'));
    assert.ok(seen.includes('DELETE /unstable/controller/network/:nwid/token/:id'));
  });
});

test('a route table matches in the order routes were added, with named segments', () => {
  const table = new RouteTable()
    .add('GET', '/a/fixed', () => new Response('fixed'))
    .add('GET', '/a/:name', () => new Response('named'));
  assert.equal(table.match('GET', '/a/fixed')?.route.path, '/a/fixed');
  assert.deepEqual(table.match('GET', '/a/other')?.params, { name: 'other' });
  assert.equal(table.match('GET', '/a/other/more'), null);
  assert.equal(table.match('POST', '/a/fixed'), null);
});

describe('body readers', () => {
  const pool = union([string, object({ ipRangeStart: string, ipRangeEnd: string })], 'must be { ipRangeStart, ipRangeEnd }');
  const body = object({ pools: maybe(cappedArray(pool)), flag: maybe(lenientBoolean), count: maybe(lenientInteger) });
  const fieldOf = (value: unknown): string => {
    try {
      body(value, '');
    } catch (error) {
      assert.ok(error instanceof FieldError);
      return error.field;
    }
    assert.fail('the reader accepted it');
  };

  test('unknown keys are left out at every depth; null and absent both mean absent', () => {
    assert.deepEqual(body({ pools: [{ ipRangeStart: 'a', ipRangeEnd: 'b', extra: 1 }, 'c/8'], junk: true, flag: null }, ''), {
      pools: [{ ipRangeStart: 'a', ipRangeEnd: 'b' }, 'c/8'],
      flag: null,
      count: undefined,
    });
  });

  test('a problem inside a matching union member is named by its own path, else by the union', () => {
    assert.equal(fieldOf({ pools: [{ ipRangeStart: 5, ipRangeEnd: 'b' }] }), 'pools.0.ipRangeStart');
    assert.equal(fieldOf({ pools: [7] }), 'pools.0');
    assert.equal(fieldOf({ pools: 'x' }), 'pools');
  });

  test('lenient forms: booleans from numbers and strings, integers from strings of digits', () => {
    assert.deepEqual(body({ flag: 'true', count: ' 42 ' }, ''), { pools: undefined, flag: true, count: 42 });
    assert.deepEqual(body({ flag: 0, count: -3 }, ''), { pools: undefined, flag: false, count: -3 });
    assert.equal(body({ flag: 'no' }, '').flag, false);
    assert.equal(fieldOf({ flag: [] }), 'flag');
    assert.equal(fieldOf({ count: 1.5 }), 'count');
    assert.equal(fieldOf({ count: '4e3' }), 'count');
    assert.equal(fieldOf({ count: 2 ** 60 }), 'count');
  });

  test('arrays over 16,384 entries are refused', () => {
    assert.equal(fieldOf({ pools: Array.from({ length: 16_385 }, () => 'c/8') }), 'pools');
  });
});
