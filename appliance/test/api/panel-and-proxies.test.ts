// The panel's static build is served with the single-page-app fallback (any non-API GET gets index.html),
// while API paths keep their JSON errors; behind a trusted reverse proxy the client address comes from
// X-Forwarded-For (login limits and audit rows use it), and an untrusted peer cannot set it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditStore } from '../../src/audit/audit-store.js';
import { startApiHarness } from './support/api-harness.js';

test('panel static files and the SPA fallback; API paths still answer JSON', async (t) => {
  const panel = mkdtempSync(join(tmpdir(), 'bwt-panel-'));
  mkdirSync(join(panel, 'assets'));
  writeFileSync(join(panel, 'index.html'), '<!doctype html><title>Breakwater</title><div id="app"></div>');
  writeFileSync(join(panel, 'assets', 'app.js'), 'console.log("panel")');
  const h = await startApiHarness({ modules: [], start: false, users: false, config: { api: { enabled: false, listen: '127.0.0.1:0', tls: { mode: 'off' }, panelDir: panel } } });
  t.after(async () => {
    await h.close();
    rmSync(panel, { recursive: true, force: true });
  });
  const root = await h.anonymous('/');
  assert.equal(root.statusCode, 200);
  assert.match(root.body, /<title>Breakwater<\/title>/);
  assert.equal(root.headers['x-frame-options'], 'DENY');
  assert.match(String(root.headers['content-security-policy']), /default-src 'self'/);
  const asset = await h.anonymous('/assets/app.js');
  assert.equal(asset.statusCode, 200);
  assert.match(String(asset.headers['content-type']), /javascript/);
  for (const route of ['/attacks/0mx2leks1-00', '/setup?token=abc', '/mitigations']) {
    const r = await h.anonymous(route);
    assert.equal(r.statusCode, 200, route);
    assert.match(r.body, /<div id="app">/, route);
  }
  const api = await h.anonymous('/api/v1/nothing-here');
  assert.equal(api.statusCode, 401);
  assert.equal(api.json().error.code, 'BW_ERR_API_UNAUTHENTICATED');
  assert.equal((await h.anonymous({ method: 'POST', url: '/attacks' })).statusCode, 404, 'only GET falls back to the panel');
});

test('trusted proxies: X-Forwarded-For is believed from them only', async (t) => {
  const h = await startApiHarness({ modules: [], start: false, config: { api: { enabled: false, listen: '127.0.0.1:0', tls: { mode: 'off' }, trustedProxies: ['192.0.2.254'] } } });
  t.after(() => h.close());
  const login = (remoteAddress: string, forwarded: string) =>
    h.anonymous({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, headers: { 'x-forwarded-for': forwarded }, payload: { username: 'viewer', password: 'wrong password here' } });
  await login('192.0.2.254', '198.51.100.44');
  await login('203.0.113.99', '198.51.100.45');
  const clients = new AuditStore(h.db.db).query({ action: 'auth.login-failed' }).map((r) => r.detail?.client);
  assert.deepEqual(clients, ['198.51.100.44', '203.0.113.99']);
});
