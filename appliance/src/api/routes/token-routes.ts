// API tokens (admin only): list, create (the secret is in this one answer and nowhere else), revoke.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BreakwaterError } from '../../errors.js';
import type { ApiCore } from '../api-core.js';
import type { ApiDeps } from '../api-types.js';
import type { ApiToken } from '../api-token-store.js';
import { RoleSchema } from './user-routes.js';

const CreateTokenBody = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
    role: RoleSchema,
    scopes: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }), { maxItems: 32, description: 'Route groups the token may reach ("metrics", "attacks", ...); absent: all its role allows.' })),
    expiresInSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 10 * 365 * 86400 })),
  },
  { additionalProperties: false },
);
const TokenParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$' }) });

function view(t: ApiToken) {
  return { id: t.id, name: t.name, role: t.role, scopes: t.scopes ?? null, createdBy: t.createdBy, createdAt: t.createdAt, expiresAt: t.expiresAt ?? null, lastUsedAt: t.lastUsedAt ?? null, revokedAt: t.revokedAt ?? null };
}

export function tokenRoutes(app: FastifyInstance, deps: ApiDeps, core: ApiCore): void {
  app.get('/tokens', { config: { role: 'admin' }, schema: { tags: ['tokens'], summary: 'List API tokens (never their secrets)' } }, async () => ({ tokens: core.tokens.list().map(view) }));

  app.post<{ Body: Static<typeof CreateTokenBody> }>('/tokens', { config: { role: 'admin' }, schema: { tags: ['tokens'], summary: 'Create an API token; the secret is shown once', body: CreateTokenBody } }, async (request, reply) => {
    const { name, role, scopes, expiresInSeconds } = request.body;
    const now = deps.clock();
    const actor = request.actor!;
    const made = core.tokens.create({ name, role, scopes, expiresAt: expiresInSeconds === undefined ? undefined : now + expiresInSeconds * 1000, createdBy: `${actor.kind}:${actor.name}` }, now);
    if (made === undefined) throw new BreakwaterError('BW_ERR_API_CONFLICT', [`a token named ${name} exists`]);
    deps.auditChange(request, 'token.created', { resource: made.token.id, detail: { name, role, scopes: scopes ?? null, expiresAt: made.token.expiresAt ?? null } });
    return reply.code(201).send({ token: view(made.token), secret: made.secret });
  });

  app.delete<{ Params: Static<typeof TokenParams> }>('/tokens/:id', { config: { role: 'admin' }, schema: { tags: ['tokens'], summary: 'Revoke an API token', params: TokenParams } }, async (request) => {
    const { id } = request.params;
    const token = core.tokens.get(id);
    if (token === undefined || !core.tokens.revoke(id, deps.clock())) throw new BreakwaterError('BW_ERR_API_NOT_FOUND', [`live token ${id}`]);
    deps.auditChange(request, 'token.revoked', { resource: id, detail: { name: token.name } });
    return { revoked: id };
  });
}
