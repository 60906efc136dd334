// The REST API and web panel server (issue 8): one fastify app on api.listen, HTTPS by default. It owns what
// every route shares — authentication and roles (api-security.ts), the error body (api-errors.ts), security
// headers, the audit of changes, the OpenAPI document and browsable docs, the live event stream, /metrics, and
// the panel's static files with the single-page-app fallback — and registers the core routes and then every
// module of routes/index.ts under /api/v1. It reads the appliance's state; it computes none of its own.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Appliance } from '../appliance.js';
import { AuditStore } from '../audit/audit-store.js';
import type { Component } from '../component.js';
import type { Config } from '../config/schema.js';
import { splitHostPort } from '../config/load.js';
import { BreakwaterError } from '../errors.js';
import type { Logger } from '../log.js';
import { isLoopback } from '../mitigation/control-routes.js';
import { databasePath, openDatabase, type DatabaseHandle, type SqliteDatabase } from '../storage/sqlite.js';
import { createApiCore, type ApiCore } from './api-core.js';
import { installErrorHandler, sendError } from './api-errors.js';
import { installAuthHook } from './api-security.js';
import { actorName, type ApiDeps, type RouteModule } from './api-types.js';
import type { ReportSections } from './metrics-exposition.js';
import { authRoutes } from './routes/auth-routes.js';
import { routeModules } from './routes/index.js';
import { setupRoutes } from './routes/setup-routes.js';
import { metricsRoute, statusRoutes } from './routes/status-routes.js';
import { tokenRoutes } from './routes/token-routes.js';
import { userRoutes } from './routes/user-routes.js';
import { addSecurityHeaders, isApiPath, securityHeaders } from './security-headers.js';
import { ensureSetupToken } from './setup-token.js';
import { loadApiTls, type ApiTls } from './tls-material.js';
import { UserStore } from './user-store.js';
import { migrateUsersTables } from './users-tables.js';

export const API_PREFIX = '/api/v1';

export interface BuildApiOptions {
  appliance: Appliance;
  config: () => Config;
  configPath: string | undefined;
  db: SqliteDatabase;
  log: Logger;
  clock?: () => number;
  /** HTTPS material; undefined serves plain HTTP (and sends no HSTS). */
  tls?: ApiTls | undefined;
  /** Route modules of the other areas (default: routes/index.ts). */
  modules?: readonly RouteModule[];
}

export interface BuiltApi {
  app: FastifyInstance;
  deps: ApiDeps;
  core: ApiCore;
}

/** The panel's static build: api.panelDir, else appliance/panel/dist next to the source or the bundle. */
export function panelDirectory(configured: string): string | undefined {
  const candidates = configured !== '' ? [configured] : [fileURLToPath(new URL('../../panel/dist', import.meta.url)), fileURLToPath(new URL('../panel/dist', import.meta.url))];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/** The report() of every component, as /health and /metrics show them. */
export function applianceReports(appliance: Appliance): ReportSections {
  const sections: ReportSections = {
    intake: () => appliance.intake.report(),
    detection: () => appliance.detection.report(),
    notify: () => appliance.notify.report(),
    mitigation: () => appliance.mitigation.report(),
  };
  const speaker = appliance.speaker;
  if (speaker !== undefined) sections.bgp = () => speaker.report();
  const firewall = appliance.firewall;
  if (firewall !== undefined) sections.firewall = () => firewall.report();
  return sections;
}

/** Builds the app (not listening): the harness of the tests injects requests into it. */
export async function buildApiApp(options: BuildApiOptions): Promise<BuiltApi> {
  const clock = options.clock ?? Date.now;
  const config = options.config;
  const api = config().api;
  const dataDir = config().dataDir;
  migrateUsersTables(options.db);
  const setupToken = new UserStore(options.db).count() > 0 ? undefined : (await ensureSetupToken(dataDir)).token;
  const tls = options.tls !== undefined;
  const core = createApiCore({ db: options.db, api: () => config().api, clock, reports: () => applianceReports(options.appliance), setupToken, streamHeaders: securityHeaders(tls) });
  const audit = new AuditStore(options.db);
  const deps: ApiDeps = {
    appliance: options.appliance,
    config,
    configPath: options.configPath,
    dataDir,
    audit,
    clock,
    log: options.log,
    events: core.hub,
    auditChange: (request, action, fields = {}) => {
      audit.append({ ...fields, at: clock(), actor: request.actor !== undefined ? actorName(request.actor) : 'anonymous', action, detail: { ...fields.detail, client: request.ip } });
    },
  };
  core.hub.subscribe(options.appliance.bus, options.appliance.mitigationEvents);

  const app = Fastify({
    logger: false,
    bodyLimit: api.bodyLimitBytes,
    trustProxy: api.trustedProxies.length > 0 ? api.trustedProxies : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
    ...(options.tls !== undefined ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  });
  installErrorHandler(app, options.log, api.bodyLimitBytes);
  // JSON only: a text body is refused as unreadable instead of reaching a route as a string.
  app.removeContentTypeParser('text/plain');
  addSecurityHeaders(app, tls);
  installAuthHook(app, core);
  app.setNotFoundHandler(async (request, reply) => {
    const panel = panelDirectory(config().api.panelDir);
    if (panel !== undefined && request.method === 'GET' && !isApiPath(request.url)) return reply.sendFile('index.html', panel);
    return sendError(reply, new BreakwaterError('BW_ERR_API_NOT_FOUND', [`${request.method} ${request.url.split('?')[0]}`]));
  });

  // The OpenAPI document and its browsable docs are public: they describe the routes, not the data.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith(`${API_PREFIX}/docs`)) route.config = { ...route.config, public: true };
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Breakwater REST API', version: '1', description: 'DDoS detection and mitigation appliance. See docs/api.md for the auth model.' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'bw_session' },
          token: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { token: [] }],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: `${API_PREFIX}/docs`, staticCSP: true });
  app.get(`${API_PREFIX}/openapi.json`, { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  await app.register(
    async (v1) => {
      setupRoutes(v1, deps, core);
      authRoutes(v1, deps, core);
      userRoutes(v1, deps, core);
      tokenRoutes(v1, deps, core);
      statusRoutes(v1, deps, core);
      for (const register of options.modules ?? routeModules) await register(v1, deps);
    },
    { prefix: API_PREFIX },
  );
  metricsRoute(app, core);

  const panel = panelDirectory(api.panelDir);
  if (panel !== undefined) await app.register(fastifyStatic, { root: panel, wildcard: false, index: 'index.html' });
  return { app, deps, core };
}

export interface ApiServerOptions {
  appliance: Appliance;
  config: () => Config;
  configPath: string | undefined;
  log: Logger;
  clock?: () => number;
}

export class ApiServer implements Component {
  readonly name = 'api';
  private built: BuiltApi | undefined;
  private database: DatabaseHandle | undefined;
  private boundPort = 0;
  private tls: ApiTls | undefined;

  constructor(private readonly options: ApiServerOptions) {}

  get port(): number {
    return this.boundPort;
  }

  /** The panel's base URL: api.publicUrl, or https://HOSTNAME:PORT. */
  get url(): string {
    const api = this.options.config().api;
    if (api.publicUrl !== '') return api.publicUrl.replace(/\/$/, '');
    const { host } = splitHostPort(api.listen);
    const shown = host === '::' || host === '0.0.0.0' || host === '' ? hostname() : host.includes(':') ? `[${host}]` : host;
    return `${this.tls !== undefined ? 'https' : 'http'}://${shown}:${this.boundPort}`;
  }

  /** The fastify app once started (tests inject into it). */
  get app(): FastifyInstance | undefined {
    return this.built?.app;
  }

  get core(): ApiCore | undefined {
    return this.built?.core;
  }

  /**
   * Starts serving. The API is not on the data path: when it cannot start (port taken, unreadable certificate,
   * plain HTTP refused), the failure is logged and shown in /health, and detection and mitigation run on.
   */
  async start(): Promise<void> {
    try {
      await this.serve();
      this.failure = undefined;
    } catch (err) {
      this.failure = err instanceof BreakwaterError ? err : new BreakwaterError('BW_ERR_API_INTERNAL', ['start'], { cause: err });
      this.options.log.error({ err: this.failure, code: this.failure.code }, `the REST API and web panel are not served: ${this.failure.message}`);
      await this.stop();
    }
  }

  /** Why the API is not served, when start() failed. */
  failure: BreakwaterError | undefined;

  report(): Record<string, unknown> {
    if (this.failure !== undefined) return { status: 'failed', code: this.failure.code, error: this.failure.message };
    if (this.built === undefined) return { status: 'stopped' };
    return { status: 'listening', url: this.url, port: this.boundPort, tls: this.tls !== undefined, ...this.built.core.report() };
  }

  /** Starts serving, or throws (BW_ERR_API_INSECURE, BW_ERR_API_TLS, BW_ERR_LISTEN). */
  async serve(): Promise<void> {
    const config = this.options.config();
    const { host, port } = splitHostPort(config.api.listen);
    if (config.api.tls.mode === 'off' && !config.api.allowInsecure && !isLoopback(host) && host !== 'localhost') throw new BreakwaterError('BW_ERR_API_INSECURE', [config.api.listen]);
    this.tls = await loadApiTls(config.api.tls, config.dataDir);
    this.database = openDatabase(databasePath(config.dataDir));
    this.built = await buildApiApp({ ...this.options, db: this.database.db, tls: this.tls });
    try {
      await this.built.app.listen({ host, port });
    } catch (err) {
      throw new BreakwaterError('BW_ERR_LISTEN', [config.api.listen, (err as Error).message], { cause: err });
    }
    const addr = this.built.app.server.address();
    this.boundPort = typeof addr === 'object' && addr !== null ? addr.port : port;
    const log = this.options.log;
    log.info({ listen: config.api.listen, port: this.boundPort, url: this.url, tls: this.tls !== undefined, certificate: this.tls?.certFile, fingerprint: this.tls?.fingerprint }, 'REST API and web panel listening');
    const setupUrl = this.setupUrl();
    if (setupUrl !== undefined) log.warn({ setupUrl }, `no administrator exists yet: open ${setupUrl} to create one (the token is one-time)`);
  }

  /** The first-run link with the one-time token, while no user exists. */
  setupUrl(): string | undefined {
    const token = this.built?.core.setupToken();
    return token === undefined ? undefined : `${this.url}/setup?token=${encodeURIComponent(token)}`;
  }

  async stop(): Promise<void> {
    this.built?.core.hub.stop();
    await this.built?.app.close();
    this.built = undefined;
    this.database?.release();
    this.database = undefined;
  }
}
