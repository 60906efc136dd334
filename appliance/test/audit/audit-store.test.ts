// The audit trail: append-only entries in the appliance database, queried by time, target (address or
// prefix), attack and action; WAL with synchronous=FULL, so what was appended survives the process being
// killed; one database file shared by every module through storage/sqlite.ts, with migrations per namespace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AuditStore, type AuditEntry } from '../../src/audit/audit-store.js';
import { isBreakwaterError } from '../../src/errors.js';
import { databasePath, migrate, openDatabase } from '../../src/storage/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'bwt-audit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const entry = (at: number, action: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({ at, actor: 'engine', action, ...extra });

test('queries by time, target (an address, or a prefix holding it), attack and action family, oldest first', () => {
  const handle = openDatabase(join(dir, 'query.sqlite'));
  try {
    const audit = new AuditStore(handle.db);
    audit.append(
      entry(1000, 'attack.detected', { attackId: 'a1', target: '203.0.113.10', runbook: 'default' }),
      entry(2000, 'stage.engaged', { attackId: 'a1', target: '203.0.113.10', stage: 0, stageName: 'flowspec', tier: '@breakwater/tier-flowspec', resource: 'flow-4-abc' }),
      entry(2500, 'action.applied', { attackId: 'a1', target: '203.0.113.10', actor: 'plugin:@breakwater/tier-flowspec', resource: 'flow-4-abc', detail: { expiresAt: 3_602_500 } }),
      entry(3000, 'attack.detected', { attackId: 'a2', target: '2001:db8::7' }),
      entry(4000, 'stage.failed', { attackId: 'a2', target: '2001:db8::7', reason: 'BW_ERR_PLUGIN_HOOK: boom' }),
      entry(5000, 'stop-all', { actor: 'user:alice' }),
    );
    assert.deepEqual(audit.query({ attackId: 'a1' }).map((r) => r.action), ['attack.detected', 'stage.engaged', 'action.applied']);
    assert.deepEqual(audit.query({ since: 2000, until: 4000 }).map((r) => r.at), [2000, 2500, 3000, 4000]);
    assert.deepEqual(audit.query({ action: 'stage.' }).map((r) => r.action), ['stage.engaged', 'stage.failed']);
    assert.deepEqual(audit.query({ action: 'stop-all' }).map((r) => r.actor), ['user:alice']);
    assert.equal(audit.query({ target: '203.0.113.10' }).length, 3);
    assert.equal(audit.query({ target: '203.0.113.0/24' }).length, 3);
    assert.equal(audit.query({ target: '2001:db8::/32' }).length, 2);
    assert.equal(audit.query({ target: '198.51.100.0/24' }).length, 0);
    const [applied] = audit.query({ action: 'action.applied' });
    assert.deepEqual(applied?.detail, { expiresAt: 3_602_500 });
    assert.equal(applied?.resource, 'flow-4-abc');
    // A limit keeps the newest entries, still in order.
    assert.deepEqual(audit.query({ limit: 2 }).map((r) => r.at), [4000, 5000]);
    const seqs = audit.query().map((r) => r.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
  } finally {
    handle.release();
  }
});

test('the database runs in WAL mode with synchronous=FULL and a busy timeout', () => {
  const handle = openDatabase(join(dir, 'pragmas.sqlite'));
  try {
    assert.equal(handle.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(handle.db.pragma('synchronous', { simple: true }), 2);
    assert.equal(handle.db.pragma('busy_timeout', { simple: true }), 5000);
  } finally {
    handle.release();
  }
});

test('entries appended before the process is killed (SIGKILL, no close) are all there', async () => {
  const file = join(dir, 'crash.sqlite');
  const script = `
    import { openDatabase } from ${JSON.stringify(new URL('../../src/storage/sqlite.ts', import.meta.url).pathname)};
    import { AuditStore } from ${JSON.stringify(new URL('../../src/audit/audit-store.ts', import.meta.url).pathname)};
    const audit = new AuditStore(openDatabase(${JSON.stringify(file)}).db);
    for (let i = 0; i < 50; i++) audit.append({ at: i, actor: 'engine', action: 'stage.engaged', attackId: 'crash' });
    process.stdout.write('written\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('written') && resolve());
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const handle = openDatabase(file);
  try {
    assert.equal(new AuditStore(handle.db).query({ attackId: 'crash' }).length, 50);
  } finally {
    handle.release();
  }
});

test('one file, shared handles, migrations per namespace; a newer namespace version is refused', () => {
  const path = databasePath(dir);
  const a = openDatabase(path);
  const b = openDatabase(path);
  assert.equal(a.db, b.db, 'one connection per file in a process');
  new AuditStore(a.db);
  migrate(a.db, 'other', [{ version: 1, up: 'CREATE TABLE other_things (id INTEGER PRIMARY KEY)' }]);
  const versions = a.db.prepare('SELECT namespace, MAX(version) AS v FROM storage_migrations GROUP BY namespace ORDER BY namespace').all();
  assert.deepEqual(versions, [{ namespace: 'audit', v: 1 }, { namespace: 'other', v: 1 }]);
  a.db.prepare("INSERT INTO storage_migrations (namespace, version, applied_at) VALUES ('audit', 99, 0)").run();
  assert.throws(() => new AuditStore(b.db), (err) => isBreakwaterError(err, 'BW_ERR_STORAGE') && /newer than this release knows/.test(err.message));
  a.release();
  assert.equal(b.db.open, true, 'still open while another user holds it');
  b.release();
  assert.equal(b.db.open, false);
});
