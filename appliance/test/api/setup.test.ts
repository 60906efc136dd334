// First run: with no users the API makes (or takes the image's) one-time setup token; POST /setup needs it,
// creates the first administrator, deletes DATADIR/setup-token, writes DATADIR/setup-complete, and answers
// BW_ERR_API_SETUP_DONE ever after. There is no default account.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditStore } from '../../src/audit/audit-store.js';
import { startApiHarness } from './support/api-harness.js';

const PASSWORD = 'a long enough passphrase';

test('setup: token required, one-time, token file deleted, setup-complete written, then login works', async () => {
  const h = await startApiHarness({ users: false, start: false, modules: [] });
  try {
    const tokenFile = join(h.dataDir, 'setup-token');
    const token = readFileSync(tokenFile, 'utf8').trim();
    assert.match(token, /^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    assert.deepEqual((await h.anonymous('/api/v1/setup/status')).json(), { setupRequired: true });
    // No default account: nobody can sign in before setup.
    assert.equal((await h.anonymous({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'admin' } })).statusCode, 401);

    const wrong = await h.anonymous({ method: 'POST', url: '/api/v1/setup', payload: { token: 'deadbeef', username: 'root', password: PASSWORD } });
    assert.equal(wrong.statusCode, 403);
    assert.equal(wrong.json().error.code, 'BW_ERR_API_SETUP_TOKEN_INVALID');
    const missing = await h.anonymous({ method: 'POST', url: '/api/v1/setup', payload: { username: 'root', password: PASSWORD } });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error.code, 'BW_ERR_API_VALIDATION');
    assert.ok(missing.json().error.details.problems.some((p: { path: string }) => p.path === 'body/token'), missing.body);
    const weak = await h.anonymous({ method: 'POST', url: '/api/v1/setup', payload: { token, username: 'root', password: 'short' } });
    assert.equal(weak.json().error.code, 'BW_ERR_API_PASSWORD_POLICY');
    assert.ok(existsSync(tokenFile), 'a refused setup keeps the token');

    const done = await h.anonymous({ method: 'POST', url: '/api/v1/setup', payload: { token, username: 'root', password: PASSWORD } });
    assert.equal(done.statusCode, 201, done.body);
    assert.deepEqual(done.json(), { user: { username: 'root', role: 'admin' } });
    assert.equal(existsSync(tokenFile), false, 'the token file is deleted');
    assert.ok(existsSync(join(h.dataDir, 'setup-complete')));
    assert.deepEqual((await h.anonymous('/api/v1/setup/status')).json(), { setupRequired: false });

    const again = await h.anonymous({ method: 'POST', url: '/api/v1/setup', payload: { token, username: 'evil', password: PASSWORD } });
    assert.equal(again.statusCode, 410);
    assert.equal(again.json().error.code, 'BW_ERR_API_SETUP_DONE');

    const login = await h.anonymous({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'root', password: PASSWORD } });
    assert.equal(login.statusCode, 200, login.body);
    assert.equal(login.json().user.role, 'admin');

    const audit = new AuditStore(h.db.db).query({ action: 'setup.' });
    assert.deepEqual(audit.map((a) => [a.action, a.actor]), [['setup.refused', 'anonymous'], ['setup.completed', 'user:root']]);
  } finally {
    await h.close();
  }
});

test('setup: the token the image\'s firstboot wrote is used, not replaced', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bwt-api-setup-'));
  try {
    writeFileSync(join(dataDir, 'setup-token'), '0123abcd-0123abcd-0123abcd-0123abcd-0123abcd\n', { mode: 0o600 });
    const h = await startApiHarness({ users: false, start: false, modules: [], dataDir });
    try {
      assert.equal(h.core.setupToken(), '0123abcd-0123abcd-0123abcd-0123abcd-0123abcd');
      const r = await h.anonymous({ method: 'POST', url: '/api/v1/setup', payload: { token: '0123abcd-0123abcd-0123abcd-0123abcd-0123abcd', username: 'first', password: PASSWORD } });
      assert.equal(r.statusCode, 201, r.body);
    } finally {
      await h.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
