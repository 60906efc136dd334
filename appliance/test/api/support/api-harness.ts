// The REST API under test: a real Appliance on a temporary data directory (started, so the mitigation engine,
// its audit trail and the buses are live), the API app built on its database with a clock the test moves, and
// one signed-in user per role. Requests go through fastify's inject (no socket):
//   const h = await startApiHarness();
//   const r = await h.asOperator({ method: 'POST', url: '/api/v1/mitigations/stop-all' });  // cookie + CSRF added
//   await h.close();
import { mkdtempSync, rmSync } from 'node:fs';
import { freeUdpPort } from '../../support/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { Appliance } from '../../../src/appliance.js';
import { buildApiApp, type BuiltApi } from '../../../src/api/api-server.js';
import type { Role, RouteModule } from '../../../src/api/api-types.js';
import { hashPassword } from '../../../src/api/password-hash.js';
import { validateConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { silentLogger } from '../../../src/log.js';
import { databasePath, openDatabase, type DatabaseHandle } from '../../../src/storage/sqlite.js';

export type Inject = (options: InjectOptions | string) => Promise<LightMyRequestResponse>;

export interface ApiHarness extends BuiltApi {
  appliance: Appliance;
  config: Config;
  dataDir: string;
  db: DatabaseHandle;
  /** The API's clock: starts at the real time, moves only by advance(). */
  clock: { now: number; advance(ms: number): void };
  /** Signed in as viewer / operator / admin (a session cookie; the CSRF header is added to unsafe methods). */
  asViewer: Inject;
  asOperator: Inject;
  asAdmin: Inject;
  /** No credentials at all. */
  anonymous: Inject;
  as(role: Role): Inject;
  /** Signs every role in again (after moving the clock past the session lifetimes, or a lockout test). */
  refreshSessions(): Promise<void>;
  /** Every role's password (the users are named viewer, operator, admin). */
  password: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Configuration keys on top of the harness's (loopback sFlow on a free port, health on port 0). */
  config?: Record<string, unknown>;
  /** Route modules to register (default: routes/index.ts). */
  modules?: readonly RouteModule[];
  /** false: no users are made (setup tests). */
  users?: boolean;
  /** false: the appliance is constructed but not started. */
  start?: boolean;
  /** Keep this data directory (and do not delete it on close). */
  dataDir?: string;
}

export { freeUdpPort };

export const HARNESS_PASSWORD = 'correct horse battery staple';


export function harnessConfig(dataDir: string, sflowPort: number, extra: Record<string, unknown> = {}): Config {
  const result = validateConfig({
    dataDir,
    health: { port: 0 },
    sflow: { listen: [`127.0.0.1:${sflowPort}`] },
    api: { enabled: false, listen: '127.0.0.1:0', tls: { mode: 'off' } },
    ...extra,
  });
  if (!result.ok) throw new Error(`harness configuration is invalid: ${JSON.stringify(result.problems)}`);
  return withTestDetectionMode(result.config);
}

/**
 * BW_TEST_DETECTION_THREAD=1 runs detection in its own thread (detection.thread: true) in every appliance the API
 * tests start, so the same tests check both modes (thread-mode.test.ts sets it).
 */
export function withTestDetectionMode(config: Config): Config {
  if (process.env.BW_TEST_DETECTION_THREAD !== '1') return config;
  return { ...config, detection: { ...config.detection, thread: true } };
}

export async function startApiHarness(options: HarnessOptions = {}): Promise<ApiHarness> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'bwt-api-'));
  const config = harnessConfig(dataDir, await freeUdpPort(), options.config);
  const appliance = new Appliance({ config, log: silentLogger() });
  if (options.start !== false) await appliance.start();
  const db = openDatabase(databasePath(dataDir));
  const clock = {
    now: Date.now(),
    advance(ms: number) {
      clock.now += ms;
    },
  };
  const built = await buildApiApp({ appliance, config: () => config, configPath: undefined, db: db.db, log: silentLogger(), clock: () => clock.now, ...(options.modules !== undefined ? { modules: options.modules } : {}) });
  const { app, core } = built;

  const sessions = new Map<Role, { cookie: string; csrf: string }>();
  const signIn = async () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: role, password: HARNESS_PASSWORD } });
      if (r.statusCode !== 200) throw new Error(`harness login of ${role} failed: ${r.statusCode} ${r.body}`);
      const cookie = String(r.headers['set-cookie']).split(';')[0]!;
      sessions.set(role, { cookie, csrf: (r.json() as { csrfToken: string }).csrfToken });
    }
  };
  if (options.users !== false) {
    const passwordHash = await hashPassword(HARNESS_PASSWORD);
    for (const role of ['viewer', 'operator', 'admin'] as const) core.users.create({ username: role, role, passwordHash }, clock.now);
    await signIn();
  }

  const as = (role: Role): Inject => (opts) => {
    const o: InjectOptions = typeof opts === 'string' ? { url: opts } : { ...opts };
    const s = sessions.get(role);
    if (s === undefined) throw new Error(`the harness has no ${role} session (users: false?)`);
    const method = (o.method ?? 'GET').toUpperCase();
    o.headers = { cookie: s.cookie, ...(['GET', 'HEAD', 'OPTIONS'].includes(method) ? {} : { 'x-csrf-token': s.csrf }), ...o.headers };
    return app.inject(o);
  };

  return {
    ...built,
    appliance,
    config,
    dataDir,
    db,
    clock,
    asViewer: as('viewer'),
    asOperator: as('operator'),
    asAdmin: as('admin'),
    anonymous: (opts) => app.inject(typeof opts === 'string' ? { url: opts } : opts),
    as,
    refreshSessions: signIn,
    password: HARNESS_PASSWORD,
    async close() {
      core.hub.stop();
      await app.close();
      db.release();
      await appliance.stop(5_000);
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
