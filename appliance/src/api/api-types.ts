// The contract between the REST API server (api-server.ts, which owns authentication, roles, errors, audit of
// changes and the live event stream) and the route modules under routes/ (one per area). A route module is a
// function that registers its routes on the fastify app; every route says in its options who may call it:
//   app.get('/attacks', { config: { role: 'viewer' } }, handler)
//   app.post('/auth/login', { config: { public: true } }, handler)
// A route that declares neither is admin-only (fail closed).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Appliance } from '../appliance.js';
import type { AuditEntry, AuditStore } from '../audit/audit-store.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';

export type Role = 'viewer' | 'operator' | 'admin';

/** Lowest first: a role may do everything the roles before it may. */
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Who is calling: set by the authentication hook on every request that is not public. */
export interface Actor {
  kind: 'user' | 'token';
  name: string;
  role: Role;
  /** An API token's scopes (route groups it may reach, e.g. "metrics", "attacks"); undefined: every group. */
  scopes?: readonly string[];
}

/** How an actor is named in the audit trail: "user:alice", "token:grafana". */
export function actorName(actor: Actor): string {
  return `${actor.kind}:${actor.name}`;
}

/** The live event stream's event names (GET /api/v1/events). */
export type LiveEventName = 'traffic' | 'attack' | 'mitigation' | 'peers';

/** The SSE hub as route modules see it: publish one event to every connected client. */
export interface LiveEventPublisher {
  /** Serialises once and queues it for every client; a client whose queue is full is dropped. */
  publish(event: LiveEventName, data: unknown): void;
  /** Clients connected now. */
  readonly clients: number;
}

/** Fields of an audit entry a route may set; `at` and `actor` come from the clock and the request, `action` is an argument. */
export type AuditFields = Omit<AuditEntry, 'at' | 'actor' | 'action'>;

export interface ApiDeps {
  appliance: Appliance;
  /** The configuration in force now (it changes on reload). */
  config: () => Config;
  /** The configuration file the appliance was started with; undefined when it runs on embedded defaults. */
  configPath: string | undefined;
  dataDir: string;
  audit: AuditStore;
  /** ms since the epoch; injectable so tests can move time. */
  clock: () => number;
  log: Logger;
  /** The SSE hub: route modules publish traffic, attack, mitigation and peers events here. */
  events: LiveEventPublisher;
  /** Appends one audit entry for a change made through the API, with the request's actor. */
  auditChange: (request: FastifyRequest, action: string, fields?: AuditFields) => void;
}

export type RouteModule = (app: FastifyInstance, deps: ApiDeps) => void | Promise<void>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The lowest role that may call the route (default: admin). */
    role?: Role;
    /** No authentication at all (setup, login, liveness, the panel's static files). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** The authenticated caller; undefined only on public routes. */
    actor: Actor | undefined;
  }
}
