// Who is calling and may they: the onRequest hook of every /api/ route and /metrics. A request is authenticated
// by `Authorization: Bearer bwt_...` (an API token) or by the bw_session cookie (a login session); cookie-
// authenticated unsafe requests must also carry the session's CSRF token in x-csrf-token (double submit).
// Then the route's role ({ config: { role } }, admin when undeclared) and the token's scopes are checked.
// Routes with { config: { public: true } } and everything outside /api/ (the panel's static files) skip it.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BreakwaterError } from '../errors.js';
import { roleAllows, type Actor, type Role } from './api-types.js';
import type { ApiTokenStore } from './api-token-store.js';
import { LoginLimiter } from './login-limiter.js';
import { isApiPath } from './security-headers.js';
import type { Session, SessionStore } from './session-store.js';
import type { UserStore } from './user-store.js';

export const SESSION_COOKIE = 'bw_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface ApiSecurityParts {
  users: UserStore;
  sessions: SessionStore;
  tokens: ApiTokenStore;
  limiter: LoginLimiter;
  clock: () => number;
}

/** The login session a request came with (for /auth/me and /auth/logout). */
export interface RequestSession {
  id: string;
  session: Session;
}

const sessions = new WeakMap<FastifyRequest, RequestSession>();

export function sessionOf(request: FastifyRequest): RequestSession | undefined {
  return sessions.get(request);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The route group a token scope names: the first path segment after /api/v1/, or "metrics". */
export function routeGroup(url: string): string {
  const path = url.split('?')[0]!;
  if (path === '/metrics') return 'metrics';
  return path.replace(/^\/api\/v1\/?/, '').split('/')[0] ?? '';
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Resolves the caller of a request, or throws BW_ERR_API_UNAUTHENTICATED / BW_ERR_API_CSRF. */
export function authenticate(request: FastifyRequest, parts: ApiSecurityParts): Actor {
  const now = parts.clock();
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    const token = m ? parts.tokens.verify(m[1]!, now) : undefined;
    if (token === undefined) throw new BreakwaterError('BW_ERR_API_UNAUTHENTICATED', [m ? 'the API token is unknown, revoked or expired' : 'the Authorization header is not "Bearer TOKEN"']);
    return { kind: 'token', name: token.name, role: token.role, ...(token.scopes !== undefined ? { scopes: token.scopes } : {}) };
  }
  const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (id === undefined || id === '') throw new BreakwaterError('BW_ERR_API_UNAUTHENTICATED', ['no session cookie and no API token']);
  const session = parts.sessions.resume(id, now);
  if (session === undefined) throw new BreakwaterError('BW_ERR_API_UNAUTHENTICATED', ['the session has expired or ended']);
  const user = parts.users.get(session.username);
  if (user === undefined || user.locked || (user.lockedUntil !== undefined && user.lockedUntil > now)) {
    parts.sessions.end(id);
    throw new BreakwaterError('BW_ERR_API_UNAUTHENTICATED', ['the account no longer exists or is locked']);
  }
  if (!SAFE_METHODS.has(request.method)) {
    const given = request.headers['x-csrf-token'];
    if (typeof given !== 'string' || given === '') throw new BreakwaterError('BW_ERR_API_CSRF', ['no x-csrf-token header']);
    if (!sameSecret(given, session.csrfToken)) throw new BreakwaterError('BW_ERR_API_CSRF', ['x-csrf-token does not match the session']);
  }
  sessions.set(request, { id, session });
  return { kind: 'user', name: user.username, role: user.role };
}

/** Throws BW_ERR_API_FORBIDDEN when the actor's role or scopes do not reach the route. */
export function authorize(actor: Actor, need: Role, url: string): void {
  const who = `${actor.kind} ${actor.name} (${actor.role})`;
  if (!roleAllows(actor.role, need)) throw new BreakwaterError('BW_ERR_API_FORBIDDEN', [who, `this needs the ${need} role`]);
  if (actor.scopes !== undefined) {
    const group = routeGroup(url);
    if (!actor.scopes.includes(group)) throw new BreakwaterError('BW_ERR_API_FORBIDDEN', [who, `the token's scopes (${actor.scopes.join(', ') || 'none'}) do not include "${group}"`]);
  }
}

export function installAuthHook(app: FastifyInstance, parts: ApiSecurityParts): void {
  app.decorateRequest('actor', undefined);
  app.addHook('onRequest', async (request) => {
    if (!isApiPath(request.url)) return;
    const config = request.routeOptions.config;
    if (config.public === true) {
      // Identify the caller when they sent credentials anyway (logout, setup status), without requiring it.
      try {
        if (request.headers.authorization !== undefined || cookieValue(request.headers.cookie, SESSION_COOKIE) !== undefined) request.actor = authenticate(request, parts);
      } catch {
        // a public route answers anonymous callers
      }
      return;
    }
    request.actor = authenticate(request, parts);
    // A path no route matches (404) still needs a caller first: anonymous clients learn nothing of the routes.
    if (request.routeOptions.url === undefined) return;
    authorize(request.actor, config.role ?? 'admin', request.url);
  });
}
