// Every domain route against every role: anonymous gets 401 BW_ERR_API_UNAUTHENTICATED, a role below the route's
// gets 403 BW_ERR_API_FORBIDDEN, and each role at or above it gets the route's own answer. One table, one row
// per route; the table is also checked against the routes the app has, so a new route without a row fails here.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sampleAttack } from '@breakwater/sdk/testing';
import Fastify from 'fastify';
import type { Role } from '../../src/api/api-types.js';
import { routeModules } from '../../src/api/routes/index.js';
import { attackPcapPath } from '../../src/capture/attack-pcap-path.js';
import { FIXTURE_PLUGINS } from '../notify/helpers.js';
import { eventually, startRoutesHarness, type RoutesHarness } from './routes-support.js';

type Need = Role;
interface Row {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  need: Need;
  /** The body, per role (so each role's call can do something of its own). */
  body?: (role: Role) => unknown;
  /** The status a role allowed to call gets. */
  ok: number;
}

const ATTACK = sampleAttack({ id: 'roles-attack-1', target: '198.51.100.20', hostGroup: 'global', startedAt: Date.now() - 120_000, updatedAt: Date.now() - 60_000, firstSampleAt: Date.now() - 121_000 });
const RUNBOOK = { name: 'web', stages: [{ name: 'filter', tier: '@breakwater/tier-flowspec' }] };
const ROLE_OCTET: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

const ROWS: Row[] = [
  { method: 'GET', url: '/api/v1/traffic/summary', need: 'viewer', ok: 200 },
  { method: 'GET', url: '/api/v1/traffic/top?limit=5&by=bps', need: 'viewer', ok: 200 },
  { method: 'GET', url: '/api/v1/traffic/series?seconds=60', need: 'viewer', ok: 200 },
  { method: 'GET', url: '/api/v1/attacks?limit=10', need: 'viewer', ok: 200 },
  { method: 'GET', url: `/api/v1/attacks/${ATTACK.id}`, need: 'viewer', ok: 200 },
  { method: 'GET', url: `/api/v1/attacks/${ATTACK.id}/series`, need: 'viewer', ok: 200 },
  { method: 'GET', url: `/api/v1/attacks/${ATTACK.id}/pcap`, need: 'viewer', ok: 200 },
  { method: 'GET', url: '/api/v1/mitigations', need: 'viewer', ok: 200 },
  { method: 'POST', url: '/api/v1/mitigations', need: 'operator', body: (role) => ({ kind: 'rtbh', prefix: `198.51.100.${ROLE_OCTET[role]}`, ttlSeconds: 600 }), ok: 201 },
  { method: 'POST', url: '/api/v1/mitigations/no-such-mitigation/withdraw', need: 'operator', ok: 404 },
  { method: 'POST', url: '/api/v1/mitigations/no-such-mitigation/extend', need: 'operator', body: () => ({ seconds: 600 }), ok: 404 },
  { method: 'POST', url: '/api/v1/mitigations/no-such-mitigation/approve', need: 'operator', ok: 404 },
  { method: 'GET', url: '/api/v1/mitigations/switch', need: 'viewer', ok: 200 },
  { method: 'POST', url: '/api/v1/mitigations/stop-all', need: 'operator', ok: 200 },
  { method: 'POST', url: '/api/v1/mitigations/resume', need: 'operator', ok: 200 },
  { method: 'GET', url: '/api/v1/runbooks', need: 'viewer', ok: 200 },
  { method: 'PUT', url: '/api/v1/runbooks', need: 'admin', body: () => ({ runbooks: [RUNBOOK] }), ok: 200 },
  { method: 'POST', url: '/api/v1/runbooks/validate', need: 'viewer', body: () => ({ runbooks: [RUNBOOK] }), ok: 200 },
  { method: 'POST', url: '/api/v1/runbooks/dry-run', need: 'viewer', body: () => ({ runbook: RUNBOOK, attackId: ATTACK.id }), ok: 200 },
  { method: 'GET', url: '/api/v1/host-groups', need: 'viewer', ok: 200 },
  { method: 'PUT', url: '/api/v1/host-groups', need: 'admin', body: () => ({ hostGroups: [{ name: 'web', prefixes: ['198.51.100.0/24'] }] }), ok: 200 },
  { method: 'GET', url: '/api/v1/protected-prefixes', need: 'viewer', ok: 200 },
  { method: 'PUT', url: '/api/v1/protected-prefixes', need: 'admin', body: () => ({ prefixes: ['192.0.2.0/24'] }), ok: 200 },
  { method: 'GET', url: '/api/v1/peers', need: 'viewer', ok: 200 },
  { method: 'PUT', url: '/api/v1/peers', need: 'admin', body: () => ({ peers: [{ name: 'edge1', address: '192.0.2.254', asn: 64500 }] }), ok: 200 },
  { method: 'GET', url: '/api/v1/plugins', need: 'viewer', ok: 200 },
  { method: 'PUT', url: `/api/v1/plugins/${encodeURIComponent('@breakwater/notifier-webhook')}/config`, need: 'admin', body: () => ({ enabled: false, config: {} }), ok: 200 },
  { method: 'GET', url: '/api/v1/notifiers', need: 'viewer', ok: 200 },
  { method: 'PUT', url: '/api/v1/notifiers', need: 'admin', body: () => ({ channels: {} }), ok: 200 },
  { method: 'POST', url: '/api/v1/notifiers/pager/test', need: 'operator', ok: 404 },
  { method: 'GET', url: '/api/v1/settings', need: 'viewer', ok: 200 },
  { method: 'GET', url: '/api/v1/audit?limit=5', need: 'viewer', ok: 200 },
];

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

let h: RoutesHarness;
before(async () => {
  h = await startRoutesHarness({ fakeSpeaker: true, yaml: `networks: ["198.51.100.0/24"]\nplugins:\n  extraDirectories: ["${FIXTURE_PLUGINS}"]\n` });
  h.appliance.bus.publish({ type: 'attack.started', attack: ATTACK });
  await eventually(() => h.appliance.history.get(ATTACK.id) !== undefined);
  const pcap = attackPcapPath(h.dataDir, ATTACK.id);
  mkdirSync(join(pcap, '..'), { recursive: true });
  writeFileSync(pcap, Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));
});
after(async () => h.close());

describe('role matrix: every domain route × anonymous, viewer, operator, admin', () => {
  for (const row of ROWS) {
    it(`${row.method} ${row.url.split('?')[0]} needs ${row.need}`, async () => {
      for (const who of ['anonymous', 'viewer', 'operator', 'admin'] as const) {
        const body = row.body?.(who === 'anonymous' ? 'viewer' : who);
        const r = await h.as(who)({ method: row.method, url: row.url, ...(body !== undefined ? { payload: body as object } : {}) });
        const expected = who === 'anonymous' ? 401 : RANK[who] < RANK[row.need] ? 403 : row.ok;
        assert.equal(r.statusCode, expected, `${who}: ${r.body.slice(0, 300)}`);
        if (expected === 401) assert.equal(r.json().error.code, 'BW_ERR_API_UNAUTHENTICATED');
        if (expected === 403) assert.equal(r.json().error.code, 'BW_ERR_API_FORBIDDEN');
      }
    });
  }

  it('the table has a row for every domain route, and the app serves each one', async () => {
    // The domain modules registered on a bare app, so every route they add is seen.
    const seen: string[] = [];
    const bare = Fastify();
    bare.addHook('onRoute', (route) => {
      for (const m of [route.method].flat()) if (m !== 'HEAD') seen.push(`${m} ${route.url}`);
    });
    await bare.register(async (v1) => {
      for (const register of routeModules) await register(v1, h.deps);
    }, { prefix: '/api/v1' });
    await bare.ready();
    await bare.close();
    const covered = ROWS.map((r) => `${r.method} ${r.url.split('?')[0]!.replace(ATTACK.id, ':id').replace('no-such-mitigation', ':id').replace(encodeURIComponent('@breakwater/notifier-webhook'), ':name').replace('/pager/', '/:channel/')}`);
    assert.deepEqual([...new Set(covered)].sort(), [...new Set(seen)].sort());
    for (const key of covered) {
      const [method, url] = key.split(' ') as [string, string];
      assert.ok(h.app.hasRoute({ method: method as 'GET', url }), `${key} is not served by the API app`);
    }
    // Every one is in the OpenAPI document, with its method.
    const doc = (await h.as('anonymous')('/api/v1/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
    for (const key of covered) {
      const [method, url] = key.split(' ') as [string, string];
      const path = url.replace(/:(\w+)/g, '{$1}');
      assert.ok(doc.paths[path]?.[method.toLowerCase()] !== undefined, `${key} is missing from openapi.json`);
    }
  });
});
