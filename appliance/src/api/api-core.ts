// What the core routes (setup, auth, users, tokens, health, events, metrics) share: the account, session and
// token stores on the appliance database, the login limiter, the live event hub, the setup token, and the
// components' reports. Built by api-server.ts; route modules of other areas see only ApiDeps.
import type { SqliteDatabase } from '../storage/sqlite.js';
import type { ApiConfig } from './api-config-schema.js';
import type { ApiSecurityParts } from './api-security.js';
import { ApiTokenStore } from './api-token-store.js';
import { LiveEventHub } from './event-hub.js';
import { LoginLimiter } from './login-limiter.js';
import type { ReportSections } from './metrics-exposition.js';
import { SessionStore } from './session-store.js';
import { UserStore } from './user-store.js';
import { migrateUsersTables } from './users-tables.js';

export interface ApiCore extends ApiSecurityParts {
  hub: LiveEventHub;
  /** The components' report() functions (the /health sections). */
  reports: () => ReportSections;
  /** The setup token while no user exists, else undefined. */
  setupToken: () => string | undefined;
  setupCompleted: () => void;
  /** Headers a hijacked response (the event stream) sends itself. */
  streamHeaders: Record<string, string>;
  startedAt: number;
  /** The API's own figures, for /health and /metrics. */
  report: () => Record<string, unknown>;
}

export function createApiCore(options: {
  db: SqliteDatabase;
  api: () => ApiConfig;
  clock: () => number;
  reports: () => ReportSections;
  setupToken: string | undefined;
  streamHeaders: Record<string, string>;
}): ApiCore {
  migrateUsersTables(options.db);
  const users = new UserStore(options.db);
  const sessions = new SessionStore(options.db, () => options.api().session);
  const tokens = new ApiTokenStore(options.db);
  const limiter = new LoginLimiter(() => options.api().login);
  const api = options.api();
  const hub = new LiveEventHub({ queueLimit: api.events.queueLimit, heartbeatSeconds: api.events.heartbeatSeconds });
  let setupToken = options.setupToken;
  return {
    users,
    sessions,
    tokens,
    limiter,
    clock: options.clock,
    hub,
    reports: options.reports,
    setupToken: () => setupToken,
    setupCompleted: () => {
      setupToken = undefined;
    },
    streamHeaders: options.streamHeaders,
    startedAt: options.clock(),
    report: () => ({ users: users.count(), setupRequired: setupToken !== undefined, eventClients: hub.clients, eventsPublished: hub.published, eventClientsDropped: hub.droppedClients }),
  };
}
