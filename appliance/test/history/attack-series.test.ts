// Each attack's rate series in the attack history: a database of the release before (history version 1, no
// series table) upgrades in place with its rows intact; every attack.started / updated / ended becomes a point
// with its rates, threshold, baseline and confidence, written in the flush transactions (never inside publish,
// never one transaction per point); the series survives a new history on the same data directory; past
// seriesMaxPoints it is halved (first and last kept, the higher of each pair, so a spike stays) and later points
// are taken at the wider spacing, never more than the bound in the table; a failed write is counted and retried;
// retention deletes a series with its attack.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { sampleAttack } from '@breakwater/sdk/testing';
import { EventBus } from '../../src/bus/event-bus.js';
import type { AttackEvent, AttackRecord } from '../../src/detection/attack.js';
import { AttackHistory } from '../../src/history/attack-history.js';
import { AttackHistoryStore, HISTORY_MIGRATIONS } from '../../src/history/attack-history-store.js';
import { AttackSeriesBuffer } from '../../src/history/attack-series-buffer.js';
import { SERIES_TABLE, seriesPointOf, type AttackSeriesPoint } from '../../src/history/attack-series-store.js';
import { silentLogger } from '../../src/log.js';
import { databasePath, hasTable, migrate, openDatabase } from '../../src/storage/sqlite.js';

const root = mkdtempSync(join(tmpdir(), 'bwt-history-series-'));
after(() => rmSync(root, { recursive: true, force: true }));

const T = Date.UTC(2026, 0, 15, 10, 0, 0);
const settings = { retentionDays: 365, maxRows: 100000, writeIntervalMs: 100, seriesMaxPoints: 3600 };
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function record(id: string, at: number, pps: number, extra: Partial<AttackRecord> = {}): AttackRecord {
  return sampleAttack({ id, startedAt: T, firstSampleAt: T - 1400, updatedAt: at, rates: { pps, bps: pps * 8000 }, ...extra });
}

function readSeries(dataDir: string, id: string): AttackSeriesPoint[] {
  const handle = openDatabase(databasePath(dataDir), { readonly: true });
  try {
    return new AttackHistoryStore(handle.db, { readonly: true }).seriesStore.series(id);
  } finally {
    handle.release();
  }
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

test('a database of the previous release (history version 1) upgrades in place: rows kept, series table added', () => {
  const file = join(root, 'upgrade.sqlite');
  const old = sampleAttack({ id: 'before-upgrade' });
  {
    const handle = openDatabase(file);
    // Exactly what the previous release ran: version 1 only, and a row written by it.
    migrate(handle.db, 'history', HISTORY_MIGRATIONS.filter((m) => m.version === 1));
    assert.equal(hasTable(handle.db, SERIES_TABLE), false);
    handle.db
      .prepare(
        `INSERT INTO history_attacks VALUES ('before-upgrade', '203.0.113.10', 'host', 4, 'web', 'ntp_amplification', 'high', 0.97, ${old.firstSampleAt}, ${old.startedAt}, ${old.updatedAt}, ${old.updatedAt}, 'quiet', 1400, 410000, 3280000000, NULL, 410000, 3280000000, NULL, ?, 820, '[1000]', ?, ?, 0.98, 0.01, 800, 120, ?, ${old.updatedAt})`,
      )
      .run(JSON.stringify(old.baseline), JSON.stringify(old.threshold), JSON.stringify(old.signature.match), JSON.stringify(old.profile));
    // A reader of this release on the old file (the CLI, read-only) sees the attack and an empty series.
    const reader = new AttackHistoryStore(handle.db, { readonly: true });
    assert.equal(reader.get('before-upgrade')?.endReason, 'quiet');
    assert.deepEqual(reader.seriesStore.series('before-upgrade'), []);
    handle.release();
  }
  const handle = openDatabase(file);
  try {
    const store = new AttackHistoryStore(handle.db);
    assert.ok(hasTable(handle.db, SERIES_TABLE), 'the migration added the table');
    const versions = handle.db.prepare("SELECT version FROM storage_migrations WHERE namespace = 'history' ORDER BY version").all() as { version: number }[];
    assert.deepEqual(versions.map((v) => v.version), [1, 2]);
    assert.equal(store.get('before-upgrade')?.attack.startedAt, old.startedAt, 'the old row is intact');
    assert.deepEqual(store.seriesStore.series('before-upgrade'), []);
    const a = record('after-upgrade', T, 1000);
    store.save([{ attack: a }], T, [{ attackId: a.id, points: [seriesPointOf(a)], metric: 'pps', storedBefore: 0, maxPoints: 3600 }]);
    assert.deepEqual(store.seriesStore.series('after-upgrade'), [seriesPointOf(a)]);
    // Opening again migrates nothing more.
    new AttackHistoryStore(handle.db);
    assert.equal((handle.db.prepare("SELECT COUNT(*) AS n FROM storage_migrations WHERE namespace = 'history'").get() as { n: number }).n, 2);
  } finally {
    handle.release();
  }
});

test('every event is a point (rates, threshold, baseline, confidence), batched into the flush, kept by a new history on the same data directory', async () => {
  const dataDir = join(root, 'points');
  const bus = new EventBus<AttackEvent>();
  let now = T;
  const history = new AttackHistory({ dataDir, settings, bus, log: silentLogger(), clock: () => now });
  await history.start();
  const expected: AttackSeriesPoint[] = [];
  try {
    const started = record('p1', T, 120_000, { confidence: 0.6, severity: 'medium' });
    bus.publish({ type: 'attack.started', attack: started });
    expected.push(seriesPointOf(started));
    assert.equal(history.seriesPointsWritten, 0, 'nothing written inside the publisher\'s call');
    await nextTurn();
    assert.deepEqual(readSeries(dataDir, 'p1'), expected, 'the start is written at once');
    const writesBefore = history.writes;
    // Ten updates published at once: none is urgent, and the next timer flush writes them in one transaction.
    for (let i = 1; i <= 10; i++) {
      const u = record('p1', T + i * 1000, 120_000 + i * 10_000, { confidence: 0.6 + i * 0.03, severity: i > 5 ? 'high' : 'medium' });
      bus.publish({ type: 'attack.updated', attack: u });
      expected.push(seriesPointOf(u));
    }
    await nextTurn();
    assert.equal(history.writes, writesBefore, 'updates wait for the timer');
    assert.deepEqual(history.series('p1'), expected, 'a reader sees the points not yet written');
    now += settings.writeIntervalMs;
    await until(() => history.seriesPointsWritten === 11);
    assert.equal(history.writes, writesBefore + 1, 'ten points, one transaction');
    const ended = { ...record('p1', T + 26_000, 8_000), endedAt: T + 11_000 };
    bus.publish({ type: 'attack.ended', attack: ended, reason: 'quiet' });
    expected.push(seriesPointOf(ended));
    await nextTurn();
    const stored = readSeries(dataDir, 'p1');
    assert.deepEqual(stored, expected);
    assert.deepEqual(stored[3], { t: T + 3000, pps: 150_000, bps: 150_000 * 8000, threshold: 50_000, thresholdSource: 'static', baseline: 2_000, confidence: 0.69, severity: 'medium' });
    // After the end a late update changes neither the row nor the series.
    bus.publish({ type: 'attack.updated', attack: record('p1', T + 30_000, 999_999) });
    now += settings.writeIntervalMs;
    await sleep(250);
    assert.deepEqual(readSeries(dataDir, 'p1'), expected);
    assert.equal(history.report().writeErrors, 0);
  } finally {
    await history.stop();
  }
  // A new history (a restart of the appliance) reads the same series.
  const again = new AttackHistory({ dataDir, settings, bus: new EventBus<AttackEvent>(), log: silentLogger() });
  await again.start();
  try {
    assert.deepEqual(again.series('p1'), expected);
    assert.deepEqual(again.detail('p1')?.series, { points: 12, first: expected[0], last: expected[11], peak: expected[10] });
  } finally {
    await again.stop();
  }
});

test('past seriesMaxPoints the series is halved with its spike kept, later points come at the wider spacing, and the table never holds more than the bound', async () => {
  const dataDir = join(root, 'bounded');
  const bus = new EventBus<AttackEvent>();
  let now = T;
  const max = 60;
  const history = new AttackHistory({ dataDir, settings: { ...settings, seriesMaxPoints: max }, bus, log: silentLogger(), clock: () => now });
  await history.start();
  const handle = openDatabase(databasePath(dataDir));
  const count = () => (handle.db.prepare(`SELECT COUNT(*) AS n FROM ${SERIES_TABLE} WHERE attack_id = 'long'`).get() as { n: number }).n;
  try {
    bus.publish({ type: 'attack.started', attack: record('long', T, 100_000) });
    await nextTurn();
    let most = 0;
    // 250 s of updates, one a second, written every 5 s (the flush timer); a spike at 37 s.
    for (let s = 1; s <= 250; s++) {
      bus.publish({ type: 'attack.updated', attack: record('long', T + s * 1000, s === 37 ? 900_000 : 100_000 + s) });
      if (s % 5 === 0) {
        // The row's update is due at each step of the clock, so each step is one flush (points held inside a
        // spacing may have none to write).
        const before = history.writes;
        now += settings.writeIntervalMs;
        await until(() => history.writes > before);
        most = Math.max(most, count());
      }
    }
    bus.publish({ type: 'attack.ended', attack: { ...record('long', T + 251_000, 1_000), endedAt: T + 250_000 }, reason: 'quiet' });
    await nextTurn();
    most = Math.max(most, count());
    assert.ok(most <= max, `the table held ${most} points, more than ${max}`);
    assert.ok(history.seriesThinned >= 2, `thinned ${history.seriesThinned} times`);
    const points = readSeries(dataDir, 'long');
    assert.ok(points.length > max / 4 && points.length <= max, `${points.length} points`);
    assert.equal(points[0]!.t, T, 'the first point stays');
    assert.equal(points.at(-1)!.t, T + 251_000, 'the end is the last point');
    assert.ok(points.some((p) => p.pps === 900_000), 'the spike survives thinning');
    // Even: no gap much wider than the mean spacing over the whole attack.
    const gaps = points.slice(1).map((p, i) => p.t - points[i]!.t);
    const mean = (points.at(-1)!.t - points[0]!.t) / (points.length - 1);
    assert.ok(Math.max(...gaps) <= mean * 4, `largest gap ${Math.max(...gaps)} ms, mean ${mean} ms`);
    assert.ok(points.every((p, i) => i === 0 || p.t > points[i - 1]!.t), 'oldest first, no time twice');
  } finally {
    handle.release();
    await history.stop();
  }
});

test('a failed series write is counted with the history\'s write errors and its points wait for the next flush', async () => {
  const dataDir = join(root, 'failure');
  const bus = new EventBus<AttackEvent>();
  const history = new AttackHistory({ dataDir, settings, bus, log: silentLogger() });
  await history.start();
  // The same connection the component writes through (one per file in a process).
  const handle = openDatabase(databasePath(dataDir));
  try {
    handle.db.exec(`ALTER TABLE ${SERIES_TABLE} RENAME TO series_away`);
    const started = record('f1', T, 70_000);
    bus.publish({ type: 'attack.started', attack: started });
    await nextTurn();
    assert.equal(history.writeErrors, 1);
    assert.equal(history.get('f1'), undefined, 'the row and its points are one transaction: neither was written');
    assert.deepEqual((history.report().series as { pending: number }).pending, 1);
    handle.db.exec(`ALTER TABLE series_away RENAME TO ${SERIES_TABLE}`);
    // Before the next flush (no await in between): a reader sees the point that waits.
    assert.equal(history.seriesPointsWritten, 0);
    assert.deepEqual(history.series('f1'), [seriesPointOf(started)], 'a reader sees the point not yet written');
    await until(() => history.seriesPointsWritten === 1);
    assert.deepEqual(readSeries(dataDir, 'f1'), [seriesPointOf(started)]);
    assert.equal(history.get('f1')?.endReason, null);
  } finally {
    handle.release();
    await history.stop();
  }
});

test('retention deletes an attack\'s series with it; an active attack\'s series stays', () => {
  const handle = openDatabase(join(root, 'retention.sqlite'));
  try {
    const store = new AttackHistoryStore(handle.db);
    const DAY = 86_400_000;
    const oldEnded = { ...record('old', T, 1000), endedAt: T + 60_000, updatedAt: T + 60_000 };
    const active = record('active', T, 1000);
    const points = (a: AttackRecord) => [0, 1, 2].map((i) => ({ ...seriesPointOf(a), t: T + i * 1000 }));
    store.save([{ attack: oldEnded, endReason: 'quiet' }, { attack: active }], T, [
      { attackId: 'old', points: points(oldEnded), metric: 'pps', storedBefore: 0, maxPoints: 3600 },
      { attackId: 'active', points: points(active), metric: 'pps', storedBefore: 0, maxPoints: 3600 },
    ]);
    assert.equal(store.seriesStore.count('old'), 3);
    assert.equal(store.prune(T + 400 * DAY, { retentionDays: 365, maxRows: 100000 }), 1);
    assert.equal(store.get('old'), undefined);
    assert.equal(store.seriesStore.count('old'), 0, 'the series went with its attack');
    assert.equal(store.seriesStore.count('active'), 3);
  } finally {
    handle.release();
  }
});

test('the buffer: every point until thinned, then the highest of each spacing, taken when the next spacing begins or at close', () => {
  const b = new AttackSeriesBuffer('bps');
  const p = (t: number, bps: number): AttackSeriesPoint => ({ t, pps: 1, bps, threshold: 10, thresholdSource: 'static', baseline: null, confidence: 0.9, severity: 'low' });
  b.offer(p(0, 5));
  b.offer(p(1000, 6));
  b.offer(p(1000, 7)); // the same time again: the later replaces it
  assert.deepEqual(b.pending.map((x) => [x.t, x.bps]), [[0, 5], [1000, 7]]);
  b.written(2, 2, 3000);
  assert.equal(b.stepMs, 3000);
  for (const [t, v] of [[2000, 1], [3000, 9], [4000, 2], [5000, 3], [6000, 4], [7000, 1]] as const) b.offer(p(t, v));
  assert.deepEqual(b.pending.map((x) => [x.t, x.bps]), [[3000, 9]], 'the highest of 2000..4000');
  assert.deepEqual(b.unwritten().map((x) => x.t), [3000, 6000], 'a reader also sees the held point (the highest so far)');
  b.close();
  assert.deepEqual(b.pending.map((x) => [x.t, x.bps]), [[3000, 9], [6000, 4]], 'the highest of 5000..7000, at close');
  b.written(1, 3, 1000);
  assert.equal(b.stepMs, 3000, 'the spacing never narrows');
  assert.deepEqual(b.pending.map((x) => x.t), [6000]);
});
