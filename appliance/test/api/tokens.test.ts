// API tokens: the secret is in the creation answer only and stored as its SHA-256; a bearer request needs no
// CSRF token; scopes limit the route groups; revoked and expired tokens are refused; all changes audited.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { AuditStore } from '../../src/audit/audit-store.js';
import { startApiHarness } from './support/api-harness.js';

test('tokens: create (secret shown once, hashed at rest), use, scopes, revoke, expiry', async (t) => {
  const h = await startApiHarness({ modules: [], start: false });
  t.after(() => h.close());
  const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

  const created = await h.asAdmin({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'grafana', role: 'viewer' } });
  assert.equal(created.statusCode, 201, created.body);
  const { token, secret } = created.json() as { token: { id: string; name: string; role: string; lastUsedAt: number | null }; secret: string };
  assert.match(secret, /^bwt_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual([token.name, token.role, token.lastUsedAt], ['grafana', 'viewer', null]);

  await t.test('the secret is never shown again and only its SHA-256 is stored', async () => {
    const listed = await h.asAdmin('/api/v1/tokens');
    assert.ok(!listed.body.includes(secret));
    assert.ok(!listed.body.includes('secret'));
    const row = h.db.db.prepare('SELECT * FROM users_api_tokens WHERE id = ?').get(token.id) as Record<string, unknown>;
    assert.equal(row.secret_hash, createHash('sha256').update(secret).digest('hex'));
    assert.ok(!Object.values(row).some((v) => typeof v === 'string' && v.includes(secret.slice(4))), 'no column holds the secret');
  });

  await t.test('a bearer token authenticates with its role, no CSRF needed, last use recorded', async () => {
    const me = await h.anonymous({ url: '/api/v1/auth/me', headers: bearer(secret) });
    assert.deepEqual(me.json(), { user: { username: 'grafana', role: 'viewer', kind: 'token' } });
    assert.equal((await h.anonymous({ url: '/metrics', headers: bearer(secret) })).statusCode, 200);
    const denied = await h.anonymous({ method: 'POST', url: '/api/v1/tokens', headers: bearer(secret), payload: { name: 'x', role: 'admin' } });
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.json().error.code, 'BW_ERR_API_FORBIDDEN');
    const listed = (await h.asAdmin('/api/v1/tokens')).json() as { tokens: { id: string; lastUsedAt: number | null }[] };
    assert.equal(listed.tokens.find((x) => x.id === token.id)?.lastUsedAt, h.clock.now);
    assert.equal((await h.anonymous({ url: '/api/v1/auth/me', headers: bearer(`${secret}x`) })).statusCode, 401);
    assert.equal((await h.anonymous({ url: '/api/v1/auth/me', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } })).json().error.code, 'BW_ERR_API_UNAUTHENTICATED');
  });

  await t.test('scopes: a metrics-only token reaches /metrics and nothing else', async () => {
    const r = await h.asAdmin({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'prometheus', role: 'admin', scopes: ['metrics'] } });
    const s = r.json().secret as string;
    assert.equal((await h.anonymous({ url: '/metrics', headers: bearer(s) })).statusCode, 200);
    const other = await h.anonymous({ url: '/api/v1/users', headers: bearer(s) });
    assert.equal(other.statusCode, 403);
    assert.match(other.json().error.message, /scopes \(metrics\) do not include "users"/);
  });

  await t.test('duplicate names conflict; bad bodies are validation errors', async () => {
    const dup = await h.asAdmin({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'grafana', role: 'viewer' } });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().error.code, 'BW_ERR_API_CONFLICT');
    const bad = await h.asAdmin({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'x', role: 'root', extra: 1 } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'BW_ERR_API_VALIDATION');
  });

  await t.test('revoked and expired tokens are refused', async () => {
    const revoke = await h.asAdmin({ method: 'DELETE', url: `/api/v1/tokens/${token.id}` });
    assert.equal(revoke.statusCode, 200, revoke.body);
    assert.equal((await h.anonymous({ url: '/api/v1/auth/me', headers: bearer(secret) })).statusCode, 401);
    assert.equal((await h.asAdmin({ method: 'DELETE', url: `/api/v1/tokens/${token.id}` })).statusCode, 404, 'revoked once');

    const short = (await h.asAdmin({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'short', role: 'operator', expiresInSeconds: 60 } })).json();
    assert.equal((await h.anonymous({ url: '/api/v1/auth/me', headers: bearer(short.secret) })).statusCode, 200);
    h.clock.advance(60_000);
    const expired = await h.anonymous({ url: '/api/v1/auth/me', headers: bearer(short.secret) });
    assert.equal(expired.statusCode, 401);
    assert.match(expired.json().error.message, /unknown, revoked or expired/);
  });

  await t.test('every token change is audited with the admin who made it', async () => {
    const rows = new AuditStore(h.db.db).query({ action: 'token.' });
    assert.deepEqual(rows.map((r) => [r.action, r.actor, r.detail?.name]), [
      ['token.created', 'user:admin', 'grafana'],
      ['token.created', 'user:admin', 'prometheus'],
      ['token.revoked', 'user:admin', 'grafana'],
      ['token.created', 'user:admin', 'short'],
    ]);
  });
});
