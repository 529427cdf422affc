/**
 * The OpenAPI 3.1 description of the admin API, served at /openapi.json. A test checks it against
 * the implementation both ways: every route and every field answered is described, and every
 * route and field described is answered.
 */
import { accessPaths, AUDIT_ENTRY_SCHEMA, JOIN_TOKEN_SCHEMA } from './access-openapi.js';

const hex16 = { type: 'string', pattern: '^[0-9a-f]{16}$', description: 'network ID (hex, lower case; upper case accepted in paths)' };
const hex10 = { type: 'string', pattern: '^[0-9a-f]{10}$', description: 'node address (hex, lower case; upper case accepted in paths)' };
const lenientBoolean = {
  type: ['boolean', 'number', 'string'],
  description: 'a boolean; in a POST also a number (> 0 is true) or a string (true when it starts with t, T or 1)',
};
const lenientInteger = { type: ['integer', 'string'], description: 'an integer; in a POST also a string of digits' };
const readOnly = (schema: object) => ({ ...schema, readOnly: true });

const ipRange = {
  type: 'object',
  properties: { ipRangeStart: { type: 'string' }, ipRangeEnd: { type: 'string' } },
  required: ['ipRangeStart', 'ipRangeEnd'],
};

export const NETWORK_SCHEMA = {
  type: 'object',
  description: 'A network, ZeroTier 1.14 shape. POST changes only the keys present; unknown keys are ignored.',
  properties: {
    id: readOnly(hex16),
    nwid: readOnly(hex16),
    objtype: readOnly({ const: 'network' }),
    name: { type: 'string', default: '' },
    description: { type: 'string', default: '' },
    private: { ...lenientBoolean, default: true },
    enableBroadcast: { ...lenientBoolean, default: true },
    allowPassiveBridging: { ...lenientBoolean, default: false },
    multicastLimit: { ...lenientInteger, default: 32 },
    multicastRates: {
      type: 'array',
      items: {
        type: 'object',
        properties: { mac: { type: 'string' }, adi: { type: 'integer' }, preload: { type: 'integer' }, maxBalance: { type: 'integer' }, accrual: { type: 'integer' } },
      },
      default: [],
    },
    comRevisionMaxDelta: { ...lenientInteger, default: 16 },
    mtu: { ...lenientInteger, default: 2800, minimum: 1280, maximum: 10000, description: 'delivered to members under the netconf extension key mtu' },
    v4AssignMode: { type: ['object', 'string'], properties: { zt: lenientBoolean }, description: 'also the legacy strings zt, none, dhcp' },
    v6AssignMode: {
      type: ['object', 'string'],
      properties: { zt: lenientBoolean, rfc4193: lenientBoolean, '6plane': { ...lenientBoolean, description: 'true is refused' } },
      description: 'zt (from IPv6 pools) and rfc4193 (computed), each on or off; also the strings zt, rfc4193, zt+rfc4193, none, dhcp6',
    },
    routes: {
      type: 'array',
      items: { type: 'object', properties: { target: { type: 'string', description: 'a CIDR' }, via: { type: ['string', 'null'], description: 'a gateway address; null or absent for on-link' } } },
      default: [],
      maxItems: 32,
      description: 'managed routes, delivered under the netconf extension key rt; an assigned address gets the prefix of the smallest route containing it',
    },
    ipAssignmentPools: { type: 'array', items: { anyOf: [ipRange, { type: 'string', description: 'a CIDR' }] }, description: 'ranges of assignable addresses; a CIDR is its block without the first and last address' },
    rules: {
      type: 'array',
      items: { type: 'object', properties: { type: { type: 'string' }, not: lenientBoolean, or: lenientBoolean, etherType: lenientInteger } },
      description: 'accept all ([{type: ACTION_ACCEPT}]) or: MATCH_ETHERTYPE not:true for each type, ACTION_DROP, ACTION_ACCEPT; any other rule is refused',
    },
    capabilities: { type: 'array', maxItems: 0, default: [] },
    tags: { type: 'array', maxItems: 0, default: [] },
    dns: {
      type: ['array', 'object'],
      properties: { domain: { type: 'string' }, servers: { type: 'array', items: { type: 'string' }, maxItems: 4 } },
      default: [],
      description: '{ domain, servers } delivered under the netconf extension key dns; [] when none',
    },
    creationTime: readOnly({ type: 'integer', description: 'ms since the epoch' }),
    revision: readOnly({ type: 'integer' }),
  },
} as const;

export const MEMBER_SCHEMA = {
  type: 'object',
  description: 'A member of a network, ZeroTier 1.14 shape. POST changes only the keys present; unknown keys are ignored.',
  properties: {
    id: readOnly(hex10),
    address: readOnly(hex10),
    nwid: readOnly(hex16),
    objtype: readOnly({ const: 'member' }),
    authorized: { ...lenientBoolean, default: false },
    activeBridge: { ...lenientBoolean, default: false },
    noAutoAssignIps: { ...lenientBoolean, default: false, description: 'true: the member gets no address from pools' },
    ipAssignments: { type: 'array', items: { type: 'string' }, maxItems: 16, description: 'IPs (CIDRs accepted); answered as plain IPs' },
    name: { type: 'string', default: '' },
    notes: { type: 'string', default: '' },
    capabilities: { type: 'array', maxItems: 0, default: [] },
    tags: { type: 'array', maxItems: 0, default: [] },
    identity: readOnly({ type: 'string', description: 'the public identity, learned at first request; "" before' }),
    creationTime: readOnly({ type: 'integer' }),
    revision: readOnly({ type: 'integer', description: "the network's revision" }),
    lastAuthorizedTime: readOnly({ type: 'integer' }),
    lastDeauthorizedTime: readOnly({ type: 'integer' }),
    vMajor: readOnly({ type: 'integer', default: -1, description: 'from the request metadata (majv, minv, revv, pv); -1 unknown' }),
    vMinor: readOnly({ type: 'integer', default: -1 }),
    vRev: readOnly({ type: 'integer', default: -1 }),
    vProto: readOnly({ type: 'integer', default: -1 }),
    firstSeen: readOnly({ type: 'integer' }),
    lastSeen: readOnly({ type: 'integer' }),
    physicalAddress: readOnly({ type: ['string', 'null'], description: 'ip/port last heard from' }),
    online: readOnly({ type: 'boolean' }),
    clientReportedRevision: readOnly({ type: ['integer', 'null'] }),
    lastAuthorizedCredentialType: readOnly({ type: ['string', 'null'], enum: ['api', 'token', 'public', null], description: 'how the member was last authorized' }),
    lastAuthorizedCredential: readOnly({ type: ['string', 'null'], description: 'the join token\'s id when a token authorized it' }),
  },
} as const;

export const PEER_SCHEMA = {
  type: 'object',
  properties: {
    address: hex10,
    latency: { type: 'integer' },
    version: { type: 'string' },
    versionMajor: { type: 'integer' },
    versionMinor: { type: 'integer' },
    versionRev: { type: 'integer' },
    role: { const: 'LEAF' },
    paths: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          address: { type: 'string' },
          active: { type: 'boolean' },
          expired: { type: 'boolean' },
          preferred: { type: 'boolean' },
          lastReceive: { type: 'integer' },
        },
      },
    },
  },
} as const;

const ERROR_SCHEMA = {
  type: 'object',
  properties: { error: { type: 'integer' }, code: { type: 'string' }, description: { type: 'string' } },
  required: ['error', 'code', 'description'],
};

const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const errors = {
  '400': json({ $ref: '#/components/schemas/Error' }, 'bad input (the description names the field)'),
  '401': json({ type: 'object', maxProperties: 0 }, 'no token or a wrong one'),
  '403': json({ $ref: '#/components/schemas/Error' }, 'a read token asked for a change'),
  '404': json({ $ref: '#/components/schemas/Error' }, 'no such network or member'),
  '413': json({ $ref: '#/components/schemas/Error' }, 'the body is over the limit'),
};
const nwidParam = { name: 'nwid', in: 'path', required: true, schema: { type: 'string' } };
const addressParam = { name: 'address', in: 'path', required: true, schema: { type: 'string' } };
const network = { $ref: '#/components/schemas/Network' };
const member = { $ref: '#/components/schemas/Member' };
const networkBody = { required: false, content: { 'application/json': { schema: network } } };
const memberBody = { required: false, content: { 'application/json': { schema: member } } };

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'zt-netconf-master admin API',
      version: version || '0',
      description: "ZeroTier's controller API (1.14, apiVersion 4) over a zt-netconf-master.",
    },
    security: [{ zt1Header: [] }, { authQuery: [] }, { bearer: [] }],
    components: {
      securitySchemes: {
        zt1Header: { type: 'apiKey', in: 'header', name: 'X-ZT1-Auth' },
        authQuery: { type: 'apiKey', in: 'query', name: 'auth' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        Network: NETWORK_SCHEMA, Member: MEMBER_SCHEMA, Peer: PEER_SCHEMA, Error: ERROR_SCHEMA,
        JoinToken: JOIN_TOKEN_SCHEMA, AuditEntry: AUDIT_ENTRY_SCHEMA,
      },
    },
    paths: {
      '/health': {
        get: { security: [], summary: 'Whether the storage answers (no token)', responses: { '200': json({ type: 'object' }), '503': json(ERROR_SCHEMA, 'the storage does not answer') } },
      },
      '/status': {
        get: {
          summary: 'This master',
          responses: {
            '200': json({
              type: 'object',
              properties: { address: hex10, publicIdentity: { type: 'string' }, online: { const: true }, version: { type: 'string' }, clock: { type: 'integer' } },
            }),
            ...errors,
          },
        },
      },
      '/controller': {
        get: {
          summary: 'Controller status',
          responses: {
            '200': json({
              type: 'object',
              properties: { controller: { const: true }, apiVersion: { const: 4 }, clock: { type: 'integer' }, databaseReady: { type: 'boolean' } },
            }),
            ...errors,
          },
        },
      },
      '/controller/network': {
        get: { summary: 'Network IDs, sorted', responses: { '200': json({ type: 'array', items: hex16 }), ...errors } },
        post: { summary: 'Create a network with a free random ID', requestBody: networkBody, responses: { '200': json(network), ...errors } },
      },
      '/controller/network/{nwid}': {
        parameters: [nwidParam],
        get: { summary: 'A network', responses: { '200': json(network), ...errors } },
        post: {
          summary: 'Upsert a network of this master: an unknown ID on its prefix is created with that ID; <address>______ creates one with a free random ID',
          requestBody: networkBody,
          responses: { '200': json(network), ...errors },
        },
        put: { summary: 'Same as POST', requestBody: networkBody, responses: { '200': json(network), ...errors } },
        delete: { summary: 'Delete a network; answers it', responses: { '200': json(network), ...errors } },
      },
      '/controller/network/{nwid}/member': {
        parameters: [nwidParam],
        get: {
          summary: 'Members: address → revision',
          responses: { '200': json({ type: 'object', additionalProperties: { type: 'integer' } }), ...errors },
        },
      },
      '/controller/network/{nwid}/member/{address}': {
        parameters: [nwidParam, addressParam],
        get: { summary: 'A member', responses: { '200': json(member), ...errors } },
        post: { summary: 'Upsert a member (pre-authorization allowed)', requestBody: memberBody, responses: { '200': json(member), ...errors } },
        put: { summary: 'Same as POST', requestBody: memberBody, responses: { '200': json(member), ...errors } },
        delete: { summary: 'Delete a member; answers it', responses: { '200': json(member), ...errors } },
      },
      '/unstable/controller/network': {
        get: {
          summary: 'Networks with member counts',
          responses: {
            '200': json({
              type: 'object',
              properties: {
                data: {
                  type: 'array',
                  items: {
                    allOf: [
                      network,
                      { type: 'object', properties: { meta: { type: 'object', properties: { totalMemberCount: { type: 'integer' }, authorizedMemberCount: { type: 'integer' } } } } },
                    ],
                  },
                },
                meta: { type: 'object', properties: { networkCount: { type: 'integer' } } },
              },
            }),
            ...errors,
          },
        },
      },
      '/unstable/controller/network/{nwid}/member': {
        parameters: [
          nwidParam,
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'absent: every matching member' },
          { name: 'authorized', in: 'query', schema: { type: 'string' }, description: 'false: members waiting for authorization; true: the authorized' },
          { name: 'q', in: 'query', schema: { type: 'string' }, description: 'addresses holding it, or names holding it ignoring ASCII case' },
        ],
        get: {
          summary: 'Members, full objects, in address order, paged and filtered; meta counts the whole network',
          responses: {
            '200': json({
              type: 'object',
              properties: {
                data: { type: 'array', items: member },
                meta: { type: 'object', properties: { totalCount: { type: 'integer' }, authorizedCount: { type: 'integer' } } },
              },
            }),
            ...errors,
          },
        },
      },
      ...accessPaths(errors),
      '/peer': { get: { summary: 'Nodes that asked this master', responses: { '200': json({ type: 'array', items: { $ref: '#/components/schemas/Peer' } }), ...errors } } },
      '/peer/{address}': {
        parameters: [addressParam],
        get: { summary: 'One node', responses: { '200': json({ $ref: '#/components/schemas/Peer' }), ...errors } },
      },
      '/metrics': { get: { summary: 'Prometheus text', responses: { '200': { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } }, ...errors } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': json({ type: 'object' }), ...errors } } },
    },
  };
}
