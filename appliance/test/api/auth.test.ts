// Sessions: login sets an HttpOnly, Secure, SameSite=Strict cookie and returns the CSRF token; cookie-
// authenticated unsafe requests need it in x-csrf-token; logout ends the session; sessions expire when idle and
// after their absolute lifetime (the API's clock is moved); wrong passwords lock the account, too many attempts
// from one address are rate limited; each is in the audit trail.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuditStore } from '../../src/audit/audit-store.js';
import { startApiHarness, type ApiHarness } from './support/api-harness.js';

async function login(h: ApiHarness, username: string, password: string, ip = '192.0.2.7') {
  return h.anonymous({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress: ip });
}

function cookieOf(r: { headers: Record<string, unknown> }): string {
  return String(r.headers['set-cookie']).split(';')[0]!;
}

test('login, me, CSRF on unsafe methods, logout; wrong password; idle and absolute expiry', async (t) => {
  const h = await startApiHarness({ modules: [], start: false, config: { api: { enabled: false, listen: '127.0.0.1:0', tls: { mode: 'off' }, login: { maxFailures: 3, lockoutSeconds: 600, maxAttemptsPerIp: 6, ipWindowSeconds: 60 } } } });
  t.after(() => h.close());

  await t.test('login sets a strict session cookie and returns the CSRF token', async () => {
    const r = await login(h, 'operator', h.password);
    assert.equal(r.statusCode, 200, r.body);
    const setCookie = String(r.headers['set-cookie']);
    assert.match(setCookie, /^bw_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=43200$/);
    const body = r.json();
    assert.deepEqual(body.user, { username: 'operator', role: 'operator' });
    assert.match(body.csrfToken, /^[A-Za-z0-9_-]{43}$/);
    const me = await h.anonymous({ url: '/api/v1/auth/me', headers: { cookie: cookieOf(r) } });
    assert.deepEqual(me.json(), { user: { username: 'operator', role: 'operator', kind: 'user' }, csrfToken: body.csrfToken });
    // The session id is stored hashed: the cookie value is nowhere in the database.
    const value = cookieOf(r).split('=')[1]!;
    const rows = h.db.db.prepare('SELECT id_hash FROM users_sessions').all() as { id_hash: string }[];
    assert.ok(rows.length > 0 && rows.every((row) => row.id_hash !== value && /^[0-9a-f]{64}$/.test(row.id_hash)));
  });

  await t.test('CSRF: missing or wrong x-csrf-token on a cookie-authenticated POST is refused with 403', async () => {
    const r = await login(h, 'viewer', h.password);
    const cookie = cookieOf(r);
    const none = await h.anonymous({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } });
    assert.equal(none.statusCode, 403);
    assert.equal(none.json().error.code, 'BW_ERR_API_CSRF');
    const wrong = await h.anonymous({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, 'x-csrf-token': 'x'.repeat(43) } });
    assert.equal(wrong.statusCode, 403);
    assert.equal(wrong.json().error.code, 'BW_ERR_API_CSRF');
    // Another session's token does not fit this one.
    const other = (await login(h, 'viewer', h.password)).json().csrfToken as string;
    assert.equal((await h.anonymous({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, 'x-csrf-token': other } })).statusCode, 403);
    // GET needs none; the right token logs out, after which the cookie is dead.
    assert.equal((await h.anonymous({ url: '/api/v1/auth/me', headers: { cookie } })).statusCode, 200);
    const out = await h.anonymous({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, 'x-csrf-token': r.json().csrfToken } });
    assert.equal(out.statusCode, 200, out.body);
    assert.match(String(out.headers['set-cookie']), /^bw_session=; .*Max-Age=0/);
    const after = await h.anonymous({ url: '/api/v1/auth/me', headers: { cookie } });
    assert.equal(after.statusCode, 401);
    assert.equal(after.json().error.code, 'BW_ERR_API_UNAUTHENTICATED');
  });

  await t.test('wrong password and unknown user get the same answer', async () => {
    const a = await login(h, 'admin', 'not the password at all', '192.0.2.8');
    const b = await login(h, 'nobody', 'not the password at all', '192.0.2.8');
    assert.equal(a.statusCode, 401);
    assert.deepEqual(a.json(), b.json());
    assert.equal(a.json().error.code, 'BW_ERR_API_LOGIN_FAILED');
  });

  await t.test('idle expiry and absolute expiry follow the clock', async () => {
    const cookie = cookieOf(await login(h, 'viewer', h.password, '192.0.2.9'));
    h.clock.advance(1700_000);
    assert.equal((await h.anonymous({ url: '/api/v1/auth/me', headers: { cookie } })).statusCode, 200, 'used within the idle time');
    h.clock.advance(1801_000);
    const idle = await h.anonymous({ url: '/api/v1/auth/me', headers: { cookie } });
    assert.equal(idle.statusCode, 401, 'unused for longer than idleSeconds');

    const cookie2 = cookieOf(await login(h, 'viewer', h.password, '192.0.2.9'));
    for (let i = 0; i < 26; i++) {
      h.clock.advance(1700_000); // 26 × 1700 s > 43200 s, never idle for long
      const r = await h.anonymous({ url: '/api/v1/auth/me', headers: { cookie: cookie2 } });
      if (r.statusCode === 401) {
        assert.ok(i >= 24, `ended after ${(i + 1) * 1700} s, before the absolute lifetime`);
        return;
      }
    }
    assert.fail('the session outlived api.session.absoluteSeconds');
  });

  await t.test('lockout after maxFailures wrong passwords; audit rows; admin unlock', async () => {
    await h.refreshSessions();
    for (let i = 0; i < 2; i++) assert.equal((await login(h, 'operator', `wrong password ${i}!`, `192.0.2.${20 + i}`)).json().error.code, 'BW_ERR_API_LOGIN_FAILED');
    const third = await login(h, 'operator', 'wrong password 3!', '192.0.2.22');
    assert.equal(third.statusCode, 423);
    assert.equal(third.json().error.code, 'BW_ERR_API_LOCKED');
    // Locked: even the right password is refused, and the operator's session from before ended.
    const right = await login(h, 'operator', h.password, '192.0.2.23');
    assert.equal(right.statusCode, 423);
    assert.equal((await h.asOperator('/api/v1/auth/me')).statusCode, 401);
    const actions = new AuditStore(h.db.db).query({ action: 'auth.' }).filter((a) => a.resource === 'operator').map((a) => a.action);
    assert.deepEqual(actions.slice(-4), ['auth.login-failed', 'auth.login-failed', 'auth.lockout', 'auth.login-refused']);
    const unlock = await h.asAdmin({ method: 'PATCH', url: '/api/v1/users/operator', payload: { locked: false } });
    assert.equal(unlock.statusCode, 200, unlock.body);
    assert.equal((await login(h, 'operator', h.password, '192.0.2.24')).statusCode, 200);
    const unlocked = new AuditStore(h.db.db).query({ action: 'user.unlocked' });
    assert.equal(unlocked.at(-1)?.actor, 'user:admin');
  });

  await t.test('per-address rate limit: the 7th attempt within the window is refused with Retry-After', async () => {
    const ip = '198.51.100.77';
    for (let i = 0; i < 6; i++) assert.notEqual((await login(h, 'nobody', 'whatever password', ip)).statusCode, 429, `attempt ${i + 1}`);
    const limited = await login(h, 'viewer', h.password, ip);
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().error.code, 'BW_ERR_API_RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal((await login(h, 'viewer', h.password, '198.51.100.78')).statusCode, 200, 'other addresses are not affected');
    h.clock.advance(61_000);
    assert.equal((await login(h, 'viewer', h.password, ip)).statusCode, 200, 'the window passed');
  });
});
