// The AttackHistory component on a real attack bus and a real database file: nothing is written inside the
// publisher's call, a start or an end is written on the next turn of the event loop, updates are coalesced to
// one write per attack per writeIntervalMs, stop ends what is active as "shutdown", and a process killed with
// SIGKILL leaves rows that the next start ends as "restart".
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { sampleAttack } from '@breakwater/sdk/testing';
import { EventBus } from '../../src/bus/event-bus.js';
import type { AttackEvent, AttackRecord } from '../../src/detection/attack.js';
import { AttackHistory } from '../../src/history/attack-history.js';
import { AttackHistoryStore } from '../../src/history/attack-history-store.js';
import { silentLogger } from '../../src/log.js';
import { databasePath, openDatabase } from '../../src/storage/sqlite.js';

const root = mkdtempSync(join(tmpdir(), 'bwt-history-component-'));
after(() => rmSync(root, { recursive: true, force: true }));

const T = Date.UTC(2026, 0, 15, 10, 0, 0);
const settings = { retentionDays: 365, maxRows: 100000, writeIntervalMs: 100, seriesMaxPoints: 3600 };
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function record(id: string, updatedAt: number, pps = 410_000): AttackRecord {
  return sampleAttack({ id, startedAt: T, firstSampleAt: T - 1400, updatedAt, rates: { pps, bps: pps * 8000 } });
}

/** What a separate reader (`breakwater attacks`) sees in the file right now. */
function readRow(dataDir: string, id: string) {
  const handle = openDatabase(databasePath(dataDir), { readonly: true });
  try {
    return new AttackHistoryStore(handle.db, { readonly: true }).get(id);
  } finally {
    handle.release();
  }
}

test('start and end are written on the next turn, never inside publish; updates at most once per interval, the newest kept', async () => {
  const dataDir = join(root, 'throttle');
  const bus = new EventBus<AttackEvent>();
  let now = T;
  const history = new AttackHistory({ dataDir, settings, bus, log: silentLogger(), clock: () => now });
  await history.start();
  try {
    bus.publish({ type: 'attack.started', attack: record('a1', T) });
    assert.equal(history.rowsWritten, 0, 'nothing written inside the publisher\'s call');
    await nextTurn();
    assert.equal(history.rowsWritten, 1);
    assert.equal(readRow(dataDir, 'a1')?.endReason, null);

    // 50 updates while the (injected) clock stands still: the flush timer runs (real 100 ms ticks) but the
    // row is younger than the interval, so nothing is written.
    for (let i = 1; i <= 50; i++) bus.publish({ type: 'attack.updated', attack: record('a1', T + i, 400_000 + i) });
    await sleep(350);
    assert.equal(history.rowsWritten, 1, 'updates inside the interval are held');
    assert.equal(history.report().pending, 1);
    // Once the row is an interval old, the next flush writes the newest update only.
    now += settings.writeIntervalMs;
    await sleep(350);
    assert.equal(history.rowsWritten, 2);
    assert.equal(readRow(dataDir, 'a1')?.attack.rates.pps, 400_050);

    // The end is written at once, whatever the interval.
    const ended = { ...record('a1', T + 90_000), endedAt: T + 80_000 };
    bus.publish({ type: 'attack.updated', attack: record('a1', T + 60_000) });
    bus.publish({ type: 'attack.ended', attack: ended, reason: 'quiet' });
    await nextTurn();
    assert.equal(history.rowsWritten, 3);
    const row = readRow(dataDir, 'a1');
    assert.deepEqual([row?.endReason, row?.attack.endedAt], ['quiet', T + 80_000]);
    assert.deepEqual(history.list({ active: true }), []);
    assert.equal(history.get('a1')?.attack.updatedAt, T + 90_000);

    const report = history.report();
    assert.equal(report.rows, 1);
    assert.equal(report.active, 0);
    assert.equal(report.lastWrite, new Date(now).toISOString());
    assert.equal(report.writeErrors, 0);
    assert.equal(report.pending, 0);
  } finally {
    await history.stop();
  }
});

test('stop writes what is pending and ends active attacks as "shutdown"', async () => {
  const dataDir = join(root, 'shutdown');
  const bus = new EventBus<AttackEvent>();
  let now = T;
  const history = new AttackHistory({ dataDir, settings: { ...settings, writeIntervalMs: 60_000 }, bus, log: silentLogger(), clock: () => now });
  await history.start();
  bus.publish({ type: 'attack.started', attack: record('s1', T) });
  await nextTurn();
  bus.publish({ type: 'attack.updated', attack: record('s1', T + 5000, 123_456) });
  now = T + 7000;
  await history.stop();
  const row = readRow(dataDir, 's1');
  assert.deepEqual([row?.endReason, row?.attack.endedAt, row?.attack.rates.pps], ['shutdown', T + 7000, 123_456]);
  // Events after stop are not taken.
  bus.publish({ type: 'attack.started', attack: record('s2', T) });
  await nextTurn();
  assert.equal(readRow(dataDir, 's2'), undefined);
});

test('a failed write is counted and kept pending, and the next flush writes it', async () => {
  const dataDir = join(root, 'write-failure');
  const bus = new EventBus<AttackEvent>();
  const history = new AttackHistory({ dataDir, settings, bus, log: silentLogger() });
  await history.start();
  // The same connection the component writes through (one per file in a process).
  const handle = openDatabase(databasePath(dataDir));
  try {
    handle.db.exec('ALTER TABLE history_attacks RENAME TO history_attacks_away');
    bus.publish({ type: 'attack.started', attack: record('f1', T) });
    await nextTurn();
    assert.equal(history.writeErrors, 1);
    const broken = history.report();
    assert.deepEqual([broken.pending, broken.rows, history.rowsWritten], [1, null, 0]);
    assert.match(String(broken.readError), /no such table/, '/health still answers, with the error');
    handle.db.exec('ALTER TABLE history_attacks_away RENAME TO history_attacks');
    // The flush timer (every writeIntervalMs) retries what is pending.
    const deadline = Date.now() + 5000;
    while (history.rowsWritten === 0 && Date.now() < deadline) await sleep(20);
    assert.equal(history.get('f1')?.endReason, null);
    assert.deepEqual([history.report().pending, history.report().writeErrors], [0, 1]);
  } finally {
    handle.release();
    await history.stop();
  }
});

test('an attack active when the process is killed (SIGKILL) is ended as "restart" at its last write by the next start', async () => {
  const dataDir = join(root, 'crash');
  const src = (p: string) => JSON.stringify(new URL(`../../src/${p}`, import.meta.url).pathname);
  const testing = JSON.stringify(new URL('../../../sdk/src/testing/sample-attack.ts', import.meta.url).pathname);
  const script = `
    import { EventBus } from ${src('bus/event-bus.ts')};
    import { AttackHistory } from ${src('history/attack-history.ts')};
    import { silentLogger } from ${src('log.ts')};
    import { sampleAttack } from ${testing};
    const bus = new EventBus();
    const history = new AttackHistory({ dataDir: ${JSON.stringify(dataDir)}, settings: { retentionDays: 365, maxRows: 100000, writeIntervalMs: 100, seriesMaxPoints: 3600 }, bus, log: silentLogger() });
    await history.start();
    bus.publish({ type: 'attack.started', attack: sampleAttack({ id: 'crashed', updatedAt: ${T + 30_000} }) });
    bus.publish({ type: 'attack.started', attack: sampleAttack({ id: 'finished', updatedAt: ${T + 30_000} }) });
    bus.publish({ type: 'attack.ended', attack: sampleAttack({ id: 'finished', updatedAt: ${T + 30_000}, endedAt: ${T + 20_000} }), reason: 'quiet' });
    setImmediate(() => setImmediate(() => process.stdout.write('written\\n')));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('written') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
  } finally {
    child.kill('SIGKILL');
  }
  await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(readRow(dataDir, 'crashed')?.endReason, null, 'the killed process left it active');

  const history = new AttackHistory({ dataDir, settings, bus: new EventBus<AttackEvent>(), log: silentLogger() });
  await history.start();
  try {
    assert.equal(history.endedAtStart, 1);
    const crashed = history.get('crashed');
    assert.deepEqual([crashed?.endReason, crashed?.attack.endedAt], ['restart', T + 30_000]);
    assert.equal(history.get('finished')?.endReason, 'quiet', 'an attack that had ended stays as it was');
    assert.equal(history.report().endedAtStart, 1);
  } finally {
    await history.stop();
  }
});
