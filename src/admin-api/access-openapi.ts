/**
 * The OpenAPI description of the join token, member expiry and audit routes (access-routes.ts),
 * merged into the admin API's document (openapi.ts).
 */

const hex16 = { type: 'string', pattern: '^[0-9a-f]{16}$' };
const hex10 = { type: 'string', pattern: '^[0-9a-f]{10}$' };
const time = { type: ['integer', 'null'], description: 'ms since the epoch; null: never' };
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const body = (schema: object) => ({ required: true, content: { 'application/json': { schema } } });
const nwidParam = { name: 'nwid', in: 'path', required: true, schema: { type: 'string' } };

export const JOIN_TOKEN_SCHEMA = {
  type: 'object',
  description: 'A join token as lists show it: never its secret.',
  properties: {
    id: hex16,
    name: { type: 'string' },
    createdAt: { type: 'integer' },
    expiresAt: time,
    maxUses: { type: ['integer', 'null'], description: 'null: no limit' },
    uses: { type: 'integer' },
    revoked: { type: 'boolean' },
  },
} as const;

export const AUDIT_ENTRY_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    time: { type: 'integer' },
    actor: { type: 'string', description: 'the admin token\'s name, cli, a library label, token:<id> (a join), expiry' },
    action: { type: 'string' },
    networkId: { anyOf: [hex16, { type: 'null' }] },
    address: { anyOf: [hex10, { type: 'null' }] },
    before: { type: ['object', 'null'], description: 'the fields that changed, as they were' },
    after: { type: ['object', 'null'], description: 'the fields that changed, as they became' },
  },
} as const;

const expiryPolicy = {
  type: ['object', 'null'],
  properties: { notSeenFor: { type: 'integer', description: 'ms' }, action: { enum: ['deauthorize', 'delete'] } },
};
const auditList = json({ type: 'object', properties: { data: { type: 'array', items: { $ref: '#/components/schemas/AuditEntry' } } } });
const auditParams = [
  { name: 'member', in: 'query', schema: hex10 },
  { name: 'since', in: 'query', schema: { type: 'integer' }, description: 'from this time (ms), inclusive' },
  { name: 'until', in: 'query', schema: { type: 'integer' }, description: 'before this time (ms)' },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 }, description: 'the newest entries (default 1000)' },
];

/** The paths, with the error answers of the rest of the document. */
export function accessPaths(errors: Record<string, unknown>): Record<string, unknown> {
  const token = { $ref: '#/components/schemas/JoinToken' };
  return {
    '/unstable/controller/network/{nwid}/token': {
      parameters: [nwidParam],
      get: { summary: 'The network\'s join tokens, oldest first', responses: { '200': json({ type: 'object', properties: { data: { type: 'array', items: token } } }), ...errors } },
      post: {
        summary: 'Create a join token: its secret is in this answer only',
        requestBody: body({ type: 'object', properties: { name: { type: 'string' }, expiresAt: time, maxUses: { type: ['integer', 'null'], minimum: 1 } } }),
        responses: {
          '200': json({ type: 'object', properties: { id: hex16, token: { type: 'string', description: 'present it as token:<token> under metadata key a' } } }),
          ...errors,
        },
      },
    },
    '/unstable/controller/network/{nwid}/token/{id}': {
      parameters: [nwidParam, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      delete: { summary: 'Revoke a join token; answers it', responses: { '200': json(token), ...errors } },
    },
    '/unstable/controller/network/{nwid}/expiry': {
      parameters: [nwidParam],
      get: { summary: 'The network\'s member expiry policy', responses: { '200': json({ type: 'object', properties: { policy: expiryPolicy } }), ...errors } },
      post: {
        summary: 'Set the member expiry policy',
        requestBody: body(expiryPolicy),
        responses: { '200': json({ type: 'object', properties: { policy: expiryPolicy } }), ...errors },
      },
      delete: { summary: 'Remove the member expiry policy', responses: { '200': json({ type: 'object', properties: { policy: { type: 'null' } } }), ...errors } },
    },
    '/unstable/controller/network/{nwid}/prune': {
      parameters: [nwidParam],
      post: {
        summary: 'De-authorize or delete the members not seen for notSeenFor ms (dryRun: list them only)',
        requestBody: body({ type: 'object', properties: { notSeenFor: { type: 'integer' }, action: { enum: ['deauthorize', 'delete'] }, dryRun: { type: 'boolean' } } }),
        responses: {
          '200': json({
            type: 'object',
            properties: {
              nwid: hex16,
              action: { enum: ['deauthorize', 'delete'] },
              addresses: { type: 'array', items: hex10 },
              forgottenNodes: { type: 'array', items: hex10 },
              dryRun: { type: 'boolean' },
            },
          }),
          ...errors,
        },
      },
    },
    '/unstable/controller/network/{nwid}/audit': {
      parameters: [nwidParam, ...auditParams],
      get: { summary: 'The network\'s audit trail, oldest first', responses: { '200': auditList, ...errors } },
    },
    '/unstable/controller/audit': {
      parameters: auditParams,
      get: { summary: 'The whole audit trail, oldest first', responses: { '200': auditList, ...errors } },
    },
  };
}
