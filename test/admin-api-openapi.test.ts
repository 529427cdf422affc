/**
 * The OpenAPI document served at /openapi.json against the implementation, both ways: every route
 * served is described and every route described is served; every field answered is described and
 * every field described is answered; every writable field is read by POST.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { memberBodySchema, networkBodySchema } from '../src/admin-api/zerotier-model.js';
import { served } from './admin-api-helpers.js';
import { ids, masterIdentity } from './admin-api-helpers.js';
import { ResultCode } from '../src/master/index.js';

type Served = Awaited<ReturnType<typeof served>>;
let s: Served;
let doc: any;
before(async () => {
  s = await served();
  doc = (await s.call('GET', '/openapi.json')).body;
});
after(async () => {
  await s.close();
});

const METHODS = ['get', 'post', 'put', 'delete'];

test('the document is OpenAPI 3.1 and every $ref in it resolves', () => {
  assert.equal(doc.openapi, '3.1.0');
  const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
  assert.ok(refs.length > 0);
  for (const ref of refs) {
    const path = ref.slice(8, -1).replace(/^#\//, '').split('/');
    let node = doc;
    for (const part of path) node = node?.[part];
    assert.ok(node !== undefined, ref);
  }
});

test('every route served is described, and every route described is served', () => {
  const served = new Set(s.server.api.routes.map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`));
  const described = new Set<string>();
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const method of METHODS) if (item[method] !== undefined) described.add(`${method.toUpperCase()} ${path}`);
  }
  assert.deepEqual([...served].sort(), [...described].sort());
});

test('every field answered for a network, a member and a peer is described, and every field described is answered', async () => {
  const nwid = (await s.call('POST', '/controller/network', { body: {} })).body.id;
  const peer = ids[1]!.publicOnly();
  await s.call('POST', `/controller/network/${nwid}/member/${peer.address}`, { body: { authorized: true } });
  assert.equal((await s.master.doNetworkConfigRequest({ identity: peer, nwid, fromAddr: '192.0.2.1/9993' })).code, ResultCode.OK);
  const network = (await s.call('GET', `/controller/network/${nwid}`)).body;
  const member = (await s.call('GET', `/controller/network/${nwid}/member/${peer.address}`)).body;
  const peerJson = (await s.call('GET', `/peer/${peer.address}`)).body;
  const keys = (schema: any) => Object.keys(schema.properties).sort();
  assert.deepEqual(Object.keys(network).sort(), keys(doc.components.schemas.Network));
  assert.deepEqual(Object.keys(member).sort(), keys(doc.components.schemas.Member));
  assert.deepEqual(Object.keys(peerJson).sort(), keys(doc.components.schemas.Peer));
  assert.deepEqual(Object.keys(peerJson.paths[0]).sort(), keys(doc.components.schemas.Peer.properties.paths.items));
  const status = (await s.call('GET', '/status')).body;
  assert.deepEqual(Object.keys(status).sort(), keys(doc.paths['/status'].get.responses['200'].content['application/json'].schema));
  const controller = (await s.call('GET', '/controller')).body;
  assert.deepEqual(Object.keys(controller).sort(), keys(doc.paths['/controller'].get.responses['200'].content['application/json'].schema));
  assert.equal(masterIdentity.address, status.address);
});

test('every writable field described is read by POST, and POST reads no field the document does not describe', () => {
  const writable = (schema: any) =>
    Object.entries<any>(schema.properties).filter(([, field]) => field.readOnly !== true).map(([name]) => name).sort();
  assert.deepEqual([...networkBodySchema.fields].sort(), writable(doc.components.schemas.Network));
  assert.deepEqual([...memberBodySchema.fields].sort(), writable(doc.components.schemas.Member));
});
