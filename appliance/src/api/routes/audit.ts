// GET /audit: the audit trail, filtered by time, target (an address, or a prefix for every target inside it),
// attack, action (or a family: "stage."), actor and free text (in the reason, the resource and the detail).
import { Type, type Static } from '@sinclair/typebox';
import type { RouteModule } from '../api-types.js';

const AuditQuery = Type.Object(
  {
    since: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch' })),
    until: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch' })),
    target: Type.Optional(Type.String({ minLength: 2, maxLength: 64 })),
    attack: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'attack (or mitigation) id' })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'an action, or a family ending in "." ("stage.")' })),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: '"engine", "user:NAME", "token:NAME", "plugin:NAME"; "user:" for every user' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'text in the reason, resource or detail' })),
    limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
  },
  { additionalProperties: false },
);

const Entry = Type.Object(
  {
    seq: Type.Integer(),
    at: Type.Number(),
    actor: Type.String(),
    action: Type.String(),
    attackId: Type.Optional(Type.String()),
    target: Type.Optional(Type.String()),
    runbook: Type.Optional(Type.String()),
    stage: Type.Optional(Type.Integer()),
    stageName: Type.Optional(Type.String()),
    tier: Type.Optional(Type.String()),
    resource: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
    detail: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);

export const auditRoutes: RouteModule = (app, deps) => {
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/audit',
    { config: { role: 'viewer' }, schema: { tags: ['audit'], summary: 'Search the audit trail (oldest first; the newest `limit` kept)', querystring: AuditQuery, response: { 200: Type.Object({ entries: Type.Array(Entry) }, { additionalProperties: false }) } } },
    async (request) => {
      const q = request.query;
      return {
        entries: deps.audit.query({
          ...(q.since !== undefined ? { since: q.since } : {}),
          ...(q.until !== undefined ? { until: q.until } : {}),
          ...(q.target !== undefined ? { target: q.target } : {}),
          ...(q.attack !== undefined ? { attackId: q.attack } : {}),
          ...(q.action !== undefined ? { action: q.action } : {}),
          ...(q.actor !== undefined ? { actor: q.actor } : {}),
          ...(q.q !== undefined ? { text: q.q } : {}),
          limit: q.limit,
        }),
      };
    },
  );
};
