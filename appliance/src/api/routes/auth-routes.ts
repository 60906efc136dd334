// Login, logout, and who am I. Login is throttled per client address and per username (login-limiter.ts);
// wrong passwords past api.login.maxFailures lock the account for api.login.lockoutSeconds. Every login,
// failure, lockout and logout goes to the audit trail.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { BreakwaterError } from '../../errors.js';
import type { ApiCore } from '../api-core.js';
import { SESSION_COOKIE, sessionOf } from '../api-security.js';
import type { ApiDeps } from '../api-types.js';
import { verifyNothing, verifyPassword } from '../password-hash.js';

const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);

function setSessionCookie(reply: FastifyReply, value: string, maxAgeSeconds: number): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeSeconds}`);
}

export function authRoutes(app: FastifyInstance, deps: ApiDeps, core: ApiCore): void {
  app.post<{ Body: Static<typeof LoginBody> }>('/auth/login', { config: { public: true }, schema: { tags: ['auth'], summary: 'Sign in; sets the bw_session cookie and returns the CSRF token', body: LoginBody } }, async (request, reply) => {
    const now = deps.clock();
    const { username, password } = request.body;
    const client = request.ip;
    const wait = core.limiter.attempt(client, now);
    if (wait > 0) throw new BreakwaterError('BW_ERR_API_RATE_LIMITED', ['login attempts from this address', wait], { details: { retryAfterSeconds: wait } });
    const user = core.users.get(username);
    const hash = core.users.passwordHash(username);
    if (user === undefined || hash === undefined) {
      await verifyNothing(password);
      deps.audit.append({ at: now, actor: 'anonymous', action: 'auth.login-failed', resource: username, reason: 'unknown user', detail: { client } });
      throw new BreakwaterError('BW_ERR_API_LOGIN_FAILED');
    }
    if (user.locked || (user.lockedUntil !== undefined && user.lockedUntil > now)) {
      deps.audit.append({ at: now, actor: 'anonymous', action: 'auth.login-refused', resource: username, reason: user.locked ? 'account locked by an administrator' : 'account locked after wrong passwords', detail: { client } });
      throw new BreakwaterError('BW_ERR_API_LOCKED', [username, user.locked ? 'by an administrator' : `after too many wrong passwords, until ${new Date(user.lockedUntil!).toISOString()}`]);
    }
    if (!(await verifyPassword(hash, password))) {
      const lockedUntil = core.limiter.failed(username, now);
      if (lockedUntil !== undefined) {
        core.users.update(username, { lockedUntil }, now);
        core.sessions.endAllOf(username);
        deps.audit.append({ at: now, actor: 'anonymous', action: 'auth.lockout', resource: username, reason: `${deps.config().api.login.maxFailures} wrong passwords`, detail: { client, lockedUntil } });
        throw new BreakwaterError('BW_ERR_API_LOCKED', [username, `after too many wrong passwords, until ${new Date(lockedUntil).toISOString()}`]);
      }
      deps.audit.append({ at: now, actor: 'anonymous', action: 'auth.login-failed', resource: username, reason: 'wrong password', detail: { client } });
      throw new BreakwaterError('BW_ERR_API_LOGIN_FAILED');
    }
    core.limiter.succeeded(username);
    core.users.loggedIn(username, now);
    core.sessions.sweep(now); // expired sessions go at the next login rather than on a timer
    const { id, csrfToken } = core.sessions.create(username, client, now);
    setSessionCookie(reply, id, deps.config().api.session.absoluteSeconds);
    deps.audit.append({ at: now, actor: `user:${username}`, action: 'auth.login', resource: username, detail: { client } });
    return { user: { username, role: user.role }, csrfToken };
  });

  app.post('/auth/logout', { config: { role: 'viewer' }, schema: { tags: ['auth'], summary: 'End this session' } }, async (request, reply) => {
    const current = sessionOf(request);
    if (current !== undefined) {
      core.sessions.end(current.id);
      deps.auditChange(request, 'auth.logout');
    }
    setSessionCookie(reply, '', 0);
    return { loggedOut: current !== undefined };
  });

  app.get('/auth/me', { config: { role: 'viewer' }, schema: { tags: ['auth'], summary: 'The signed-in user or token, and the session\'s CSRF token' } }, async (request) => {
    const actor = request.actor!;
    const current = sessionOf(request);
    return { user: { username: actor.name, role: actor.role, kind: actor.kind }, ...(current !== undefined ? { csrfToken: current.session.csrfToken } : {}) };
  });
}
