// The domain routes under test: api-core's harness pieces (a real, started Appliance on a temporary data
// directory; the API app; one signed-in user per role) with what the configuration routes need on top — a
// configuration file the API writes (configPath), and the configuration in force following the appliance's
// reloads, as the running server's config() does. Optionally a FakeSpeaker stands in for the BGP speaker the
// manual mitigations announce through (the engine keeps the speaker it was built with: none).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { Appliance } from '../../src/appliance.js';
import { buildApiApp, type BuiltApi } from '../../src/api/api-server.js';
import type { Role } from '../../src/api/api-types.js';
import { hashPassword } from '../../src/api/password-hash.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { databasePath, openDatabase, type DatabaseHandle } from '../../src/storage/sqlite.js';
import { FakeSpeaker } from '../mitigation/support/fake-speaker.js';
import { HARNESS_PASSWORD, freeUdpPort, withTestDetectionMode, type Inject } from './support/api-harness.js';

export interface RoutesHarness extends BuiltApi {
  appliance: Appliance;
  dataDir: string;
  configPath: string;
  db: DatabaseHandle;
  speaker: FakeSpeaker | undefined;
  clock: { now: number; advance(ms: number): void };
  config(): Config;
  as(role: Role | 'anonymous'): Inject;
  close(): Promise<void>;
}

export interface RoutesHarnessOptions {
  /** The configuration file's text (YAML); dataDir, health, sflow and api are added in front of it. */
  yaml?: string;
  /** A FakeSpeaker as the appliance's BGP speaker (manual mitigations). */
  fakeSpeaker?: boolean;
}

export async function startRoutesHarness(options: RoutesHarnessOptions = {}): Promise<RoutesHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bwt-routes-'));
  const configPath = join(dataDir, 'config.yaml');
  const port = await freeUdpPort();
  writeFileSync(
    configPath,
    `dataDir: ${dataDir}\nhealth:\n  port: 0\nsflow:\n  listen: ["127.0.0.1:${port}"]\napi:\n  enabled: false\n  listen: "127.0.0.1:0"\n  tls:\n    mode: "off"\n${options.yaml ?? ''}`,
  );
  let current = withTestDetectionMode(await loadConfig(configPath));
  const appliance = new Appliance({ config: current, log: silentLogger() });
  // The configuration in force follows each reload, as the running server's config() does.
  const reload = appliance.reload.bind(appliance);
  appliance.reload = async (next: Config) => {
    const result = await reload(next);
    current = { ...current, runbooks: next.runbooks, mitigation: next.mitigation };
    return result;
  };
  const speaker = options.fakeSpeaker === true ? new FakeSpeaker() : undefined;
  if (speaker !== undefined) Object.defineProperty(appliance, 'speaker', { value: speaker });
  await appliance.start();
  const db = openDatabase(databasePath(dataDir));
  const clock = {
    now: Date.now(),
    advance(ms: number) {
      clock.now += ms;
    },
  };
  const built = await buildApiApp({ appliance, config: () => current, configPath, db: db.db, log: silentLogger(), clock: () => clock.now });
  await built.app.ready();
  const passwordHash = await hashPassword(HARNESS_PASSWORD);
  const sessions = new Map<Role, { cookie: string; csrf: string }>();
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    built.core.users.create({ username: role, role, passwordHash }, clock.now);
    const r = await built.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: role, password: HARNESS_PASSWORD } });
    if (r.statusCode !== 200) throw new Error(`login of ${role} failed: ${r.statusCode} ${r.body}`);
    sessions.set(role, { cookie: String(r.headers['set-cookie']).split(';')[0]!, csrf: (r.json() as { csrfToken: string }).csrfToken });
  }
  const as = (role: Role | 'anonymous'): Inject => (opts) => {
    const o: InjectOptions = typeof opts === 'string' ? { url: opts } : { ...opts };
    if (role === 'anonymous') return built.app.inject(o);
    const s = sessions.get(role)!;
    const method = (o.method ?? 'GET').toUpperCase();
    o.headers = { cookie: s.cookie, ...(['GET', 'HEAD', 'OPTIONS'].includes(method) ? {} : { 'x-csrf-token': s.csrf }), ...o.headers };
    return built.app.inject(o);
  };
  return {
    ...built,
    appliance,
    dataDir,
    configPath,
    db,
    speaker,
    clock,
    config: () => current,
    as,
    async close() {
      built.core.hub.stop();
      await built.app.close();
      db.release();
      await appliance.stop(5_000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until `check` holds (polling every 10 ms, at most `ms`). */
export async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
