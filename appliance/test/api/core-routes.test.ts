// The core routes' role matrix, users administration, the security headers, /metrics, the OpenAPI document,
// and input that must get the error body rather than crash the server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuditStore } from '../../src/audit/audit-store.js';
import type { Role } from '../../src/api/api-types.js';
import { startApiHarness } from './support/api-harness.js';

type Who = Role | 'anonymous';
const ALL: Who[] = ['anonymous', 'viewer', 'operator', 'admin'];

// method, url, lowest role that may call it (or 'public')
const MATRIX: [string, string, Role | 'public'][] = [
  ['GET', '/api/v1/setup/status', 'public'],
  ['GET', '/api/v1/health/live', 'public'],
  ['GET', '/api/v1/openapi.json', 'public'],
  ['GET', '/api/v1/health', 'viewer'],
  ['GET', '/api/v1/auth/me', 'viewer'],
  ['GET', '/metrics', 'viewer'],
  ['GET', '/api/v1/users', 'admin'],
  ['GET', '/api/v1/tokens', 'admin'],
  ['DELETE', '/api/v1/tokens/0000000000000000', 'admin'],
  ['DELETE', '/api/v1/users/nobody', 'admin'],
];

test('core routes: role matrix, users, headers, metrics, bad input', async (t) => {
  const h = await startApiHarness({ modules: [], config: { api: { enabled: false, listen: '127.0.0.1:0', tls: { mode: 'off' }, bodyLimitBytes: 2048 } } });
  t.after(() => h.close());
  const call = (who: Who, method: string, url: string) => (who === 'anonymous' ? h.anonymous({ method: method as 'GET', url }) : h.as(who)({ method: method as 'GET', url }));

  await t.test('each core route answers exactly the roles at or above its own', async () => {
    for (const [method, url, need] of MATRIX) {
      for (const who of ALL) {
        const r = await call(who, method, url);
        const allowed = need === 'public' || (who !== 'anonymous' && ['viewer', 'operator', 'admin'].indexOf(who) >= ['viewer', 'operator', 'admin'].indexOf(need));
        const expected = allowed ? 'allowed' : who === 'anonymous' ? 401 : 403;
        const got = r.statusCode === 401 || r.statusCode === 403 ? r.statusCode : 'allowed';
        assert.equal(got, expected, `${who} ${method} ${url}: ${r.statusCode} ${r.body.slice(0, 200)}`);
        if (!allowed) assert.equal(r.json().error.code, who === 'anonymous' ? 'BW_ERR_API_UNAUTHENTICATED' : 'BW_ERR_API_FORBIDDEN');
      }
    }
  });

  await t.test('unknown API paths: 401 before sign-in (nothing is revealed), 404 error body after', async () => {
    assert.equal((await h.anonymous('/api/v1/no-such-thing')).statusCode, 401);
    const r = await h.asViewer('/api/v1/no-such-thing');
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error.code, 'BW_ERR_API_NOT_FOUND');
  });

  await t.test('security headers on every answer; no-store on API answers; no HSTS over plain HTTP', async () => {
    for (const r of [await h.asViewer('/api/v1/health'), await h.anonymous('/api/v1/users'), await h.anonymous('/api/v1/health/live')]) {
      assert.equal(r.headers['content-security-policy'], "default-src 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; img-src 'self' data:");
      assert.equal(r.headers['x-frame-options'], 'DENY');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.equal(r.headers['referrer-policy'], 'no-referrer');
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.equal(r.headers['strict-transport-security'], undefined);
    }
  });

  await t.test('/health has every component section and the api section', async () => {
    const body = (await h.asViewer('/api/v1/health')).json();
    for (const section of ['intake', 'detection', 'notify', 'mitigation', 'api']) assert.ok(section in body, section);
    assert.equal(body.api.users, 3);
  });

  await t.test('/metrics is the Prometheus text format with the components\' figures', async () => {
    const r = await h.asViewer('/metrics');
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const lines = r.body.trimEnd().split('\n');
    for (let i = 0; i < lines.length; i += 2) {
      assert.match(lines[i]!, /^# TYPE [a-z_][a-z0-9_]* gauge$/);
      const name = lines[i]!.split(' ')[2];
      assert.match(lines[i + 1]!, new RegExp(`^${name} -?[0-9.e+-]+$`));
    }
    assert.match(r.body, /^breakwater_up 1$/m);
    assert.match(r.body, /^breakwater_intake_datagrams_received [0-9]+$/m);
    assert.match(r.body, /^breakwater_mitigation_[a-z_]+ [0-9]+$/m);
    assert.match(r.body, /^breakwater_api_users 3$/m);
    const names = lines.filter((l) => l.startsWith('# TYPE')).map((l) => l.split(' ')[2]);
    assert.equal(new Set(names).size, names.length, 'no metric twice');
  });

  await t.test('users: create, change role, reset password, delete; the last admin is protected; audited', async () => {
    const made = await h.asAdmin({ method: 'POST', url: '/api/v1/users', payload: { username: 'carol', password: 'carol has a long password', role: 'viewer' } });
    assert.equal(made.statusCode, 201, made.body);
    assert.ok(!made.body.includes('password'), 'no hash or password in the answer');
    const short = await h.asAdmin({ method: 'POST', url: '/api/v1/users', payload: { username: 'dave', password: 'elevenchars', role: 'viewer' } });
    assert.equal(short.json().error.code, 'BW_ERR_API_PASSWORD_POLICY');
    assert.equal((await h.asAdmin({ method: 'POST', url: '/api/v1/users', payload: { username: 'carol', password: 'carol has a long password', role: 'admin' } })).statusCode, 409);
    const promoted = await h.asAdmin({ method: 'PATCH', url: '/api/v1/users/carol', payload: { role: 'operator', password: 'a brand new long password' } });
    assert.equal(promoted.json().user.role, 'operator');
    const login = await h.anonymous({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'carol', password: 'a brand new long password' } });
    assert.equal(login.statusCode, 200);
    const hash = (h.db.db.prepare("SELECT password_hash FROM users WHERE username = 'carol'").get() as { password_hash: string }).password_hash;
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const lastAdmin = await h.asAdmin({ method: 'PATCH', url: '/api/v1/users/admin', payload: { role: 'viewer' } });
    assert.equal(lastAdmin.statusCode, 409);
    assert.equal((await h.asAdmin({ method: 'DELETE', url: '/api/v1/users/admin' })).json().error.code, 'BW_ERR_API_CONFLICT');
    assert.equal((await h.asAdmin({ method: 'DELETE', url: '/api/v1/users/carol' })).statusCode, 200);
    assert.equal((await h.asAdmin({ method: 'PATCH', url: '/api/v1/users/carol', payload: { locked: true } })).statusCode, 404);
    const rows = new AuditStore(h.db.db).query({ action: 'user.' });
    assert.deepEqual(rows.map((r) => [r.action, r.actor, r.resource]), [['user.created', 'user:admin', 'carol'], ['user.updated', 'user:admin', 'carol'], ['user.deleted', 'user:admin', 'carol']]);
    assert.deepEqual(rows[1]!.detail, { role: 'operator', passwordReset: true, client: '127.0.0.1' });
  });

  await t.test('an administrator\'s lock ends the user\'s sessions and refuses logins until unlocked', async () => {
    assert.equal((await h.asViewer('/api/v1/auth/me')).statusCode, 200);
    const lock = await h.asAdmin({ method: 'PATCH', url: '/api/v1/users/viewer', payload: { locked: true } });
    assert.equal(lock.json().user.locked, true);
    assert.equal((await h.asViewer('/api/v1/auth/me')).statusCode, 401, 'the session ended');
    const refused = await h.anonymous({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'viewer', password: h.password } });
    assert.equal(refused.statusCode, 423);
    assert.match(refused.json().error.message, /locked \(by an administrator\)/);
    assert.equal((await h.asAdmin({ method: 'PATCH', url: '/api/v1/users/viewer', payload: { locked: false } })).json().user.locked, false);
    await h.refreshSessions();
    assert.equal((await h.asViewer('/api/v1/auth/me')).statusCode, 200);
  });

  await t.test('bad JSON, a wrong content type and an oversized body get the error body; the server keeps answering', async () => {
    const badJson = await h.asAdmin({ method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'application/json' }, payload: '{"username": ' });
    assert.equal(badJson.statusCode, 400);
    assert.equal(badJson.json().error.code, 'BW_ERR_API_BAD_REQUEST');
    const text = await h.asAdmin({ method: 'POST', url: '/api/v1/users', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    assert.equal(text.json().error.code, 'BW_ERR_API_BAD_REQUEST');
    const big = await h.asAdmin({ method: 'POST', url: '/api/v1/users', payload: { username: 'big', password: 'x'.repeat(4000), role: 'viewer' } });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error.code, 'BW_ERR_API_BODY_TOO_LARGE');
    const wrongType = await h.asAdmin({ method: 'PATCH', url: '/api/v1/users/viewer', payload: { role: 7, locked: 'yes' } });
    assert.equal(wrongType.statusCode, 400);
    const problems = wrongType.json().error.details.problems as { path: string }[];
    assert.ok(problems.some((p) => p.path === 'body/locked'), JSON.stringify(problems));
    assert.equal((await h.asViewer('/api/v1/health/live')).statusCode, 200);
  });

  await t.test('the OpenAPI document lists the core routes; the docs page is served', async () => {
    const doc = (await h.anonymous('/api/v1/openapi.json')).json() as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\./);
    for (const p of ['/api/v1/auth/login', '/api/v1/setup', '/api/v1/users/{username}', '/api/v1/tokens', '/api/v1/events', '/metrics']) assert.ok(p in doc.paths, p);
    const ui = await h.anonymous('/api/v1/docs/');
    assert.equal(ui.statusCode, 200);
    assert.match(ui.headers['content-type'] as string, /text\/html/);
  });
});
