// Accounts (admin only): list, create, change role / password / lock, delete. The last unlocked administrator
// cannot be removed, demoted or locked. A password reset or a lock ends the user's sessions. Every change is
// audited with who made it (never the password).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BreakwaterError } from '../../errors.js';
import type { ApiCore } from '../api-core.js';
import type { ApiDeps, Role } from '../api-types.js';
import { checkPasswordPolicy, hashPassword } from '../password-hash.js';
import { USERNAME_PATTERN, type User } from '../user-store.js';

export const RoleSchema = Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]);
const CreateUserBody = Type.Object(
  { username: Type.String({ pattern: USERNAME_PATTERN }), password: Type.String({ minLength: 1, maxLength: 1024 }), role: RoleSchema },
  { additionalProperties: false },
);
const PatchUserBody = Type.Object(
  { role: Type.Optional(RoleSchema), password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })), locked: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);
const UsernameParams = Type.Object({ username: Type.String({ pattern: USERNAME_PATTERN }) });

function view(u: User, now: number) {
  return {
    username: u.username,
    role: u.role,
    locked: u.locked,
    lockedUntil: u.lockedUntil !== undefined && u.lockedUntil > now ? u.lockedUntil : null,
    createdAt: u.createdAt,
    lastLoginAt: u.lastLoginAt ?? null,
  };
}

export function userRoutes(app: FastifyInstance, deps: ApiDeps, core: ApiCore): void {
  const admin = { role: 'admin' as Role };
  const wouldLeaveNoAdmin = (target: User, change: { role?: Role; locked?: boolean; deleted?: boolean }) =>
    target.role === 'admin' && !target.locked && (change.deleted === true || change.locked === true || (change.role !== undefined && change.role !== 'admin')) && core.users.countAdmins() <= 1;

  app.get('/users', { config: admin, schema: { tags: ['users'], summary: 'List accounts' } }, async () => ({ users: core.users.list().map((u) => view(u, deps.clock())) }));

  app.post<{ Body: Static<typeof CreateUserBody> }>('/users', { config: admin, schema: { tags: ['users'], summary: 'Create an account', body: CreateUserBody } }, async (request, reply) => {
    const { username, password, role } = request.body;
    checkPasswordPolicy(username, password);
    const passwordHash = await hashPassword(password);
    if (!core.users.create({ username, role, passwordHash }, deps.clock())) throw new BreakwaterError('BW_ERR_API_CONFLICT', [`user ${username} exists`]);
    deps.auditChange(request, 'user.created', { resource: username, detail: { role } });
    return reply.code(201).send({ user: view(core.users.get(username)!, deps.clock()) });
  });

  app.patch<{ Params: Static<typeof UsernameParams>; Body: Static<typeof PatchUserBody> }>('/users/:username', { config: admin, schema: { tags: ['users'], summary: 'Change role, reset password, lock or unlock', params: UsernameParams, body: PatchUserBody } }, async (request) => {
    const { username } = request.params;
    const target = core.users.get(username);
    if (target === undefined) throw new BreakwaterError('BW_ERR_API_NOT_FOUND', [`user ${username}`]);
    const { role, password, locked } = request.body;
    if (wouldLeaveNoAdmin(target, { ...(role !== undefined ? { role } : {}), ...(locked !== undefined ? { locked } : {}) })) throw new BreakwaterError('BW_ERR_API_CONFLICT', [`${username} is the last administrator: make another one first`]);
    let passwordHash: string | undefined;
    if (password !== undefined) {
      checkPasswordPolicy(username, password);
      passwordHash = await hashPassword(password);
    }
    const now = deps.clock();
    core.users.update(username, { ...(role !== undefined ? { role } : {}), ...(passwordHash !== undefined ? { passwordHash } : {}), ...(locked !== undefined ? { locked, lockedUntil: null } : {}) }, now);
    if (passwordHash !== undefined || locked === true) core.sessions.endAllOf(username);
    const changed = { ...(role !== undefined ? { role } : {}), ...(locked !== undefined ? { locked } : {}), ...(password !== undefined ? { passwordReset: true } : {}) };
    deps.auditChange(request, locked === true ? 'user.locked' : locked === false ? 'user.unlocked' : 'user.updated', { resource: username, detail: changed });
    return { user: view(core.users.get(username)!, now) };
  });

  app.delete<{ Params: Static<typeof UsernameParams> }>('/users/:username', { config: admin, schema: { tags: ['users'], summary: 'Delete an account (its sessions end)', params: UsernameParams } }, async (request) => {
    const { username } = request.params;
    const target = core.users.get(username);
    if (target === undefined) throw new BreakwaterError('BW_ERR_API_NOT_FOUND', [`user ${username}`]);
    if (wouldLeaveNoAdmin(target, { deleted: true })) throw new BreakwaterError('BW_ERR_API_CONFLICT', [`${username} is the last administrator: make another one first`]);
    core.users.delete(username);
    deps.auditChange(request, 'user.deleted', { resource: username });
    return { deleted: username };
  });
}
