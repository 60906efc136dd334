// The attack history table: the exact AttackRecord back from its columns, an ended row never reopened, rows
// that outlive the handle (a restart), active rows ended as "restart" or "shutdown", retention by age and by
// count that never deletes an active attack, and the list() filters the CLI and the REST API use.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sampleAttack } from '@breakwater/sdk/testing';
import type { AttackRecord } from '../../src/detection/attack.js';
import { isBreakwaterError } from '../../src/errors.js';
import { AttackHistoryStore } from '../../src/history/attack-history-store.js';
import { openDatabase } from '../../src/storage/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'bwt-history-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;
const T = Date.UTC(2026, 0, 15, 10, 0, 0);

function attack(id: string, overrides: Partial<AttackRecord> = {}): AttackRecord {
  const startedAt = overrides.startedAt ?? T;
  return sampleAttack({ id, startedAt, firstSampleAt: startedAt - 1400, updatedAt: startedAt, ...overrides });
}

function withStore<R>(file: string, work: (store: AttackHistoryStore) => R): R {
  const handle = openDatabase(join(dir, file));
  try {
    return work(new AttackHistoryStore(handle.db));
  } finally {
    handle.release();
  }
}

test('a saved attack comes back as the same AttackRecord, with its end reason once ended', () => {
  withStore('roundtrip.sqlite', (store) => {
    const started = attack('a1');
    store.save([{ attack: started }], T + 5);
    assert.deepEqual(store.get('a1'), { attack: started, endReason: null, writtenAt: T + 5 });

    const updated = attack('a1', { updatedAt: T + 60_000, rates: { pps: 90_000, bps: 7e8, flows: 1200 }, peak: { pps: 500_000, bps: 4e9, flows: 3000 }, samples: 9000 });
    store.save([{ attack: updated }], T + 60_010);
    assert.deepEqual(store.get('a1')?.attack, updated);

    // A record without the optional parts (no baseline, no flows) keeps them absent, not null.
    const bare = attack('a2');
    delete bare.baseline;
    store.save([{ attack: bare }], T);
    assert.deepEqual(store.get('a2')?.attack, bare);
    assert.equal('baseline' in store.get('a2')!.attack, false);

    const ended = { ...updated, updatedAt: T + 120_000, endedAt: T + 100_000 };
    store.save([{ attack: ended, endReason: 'quiet' }], T + 120_000);
    assert.deepEqual(store.get('a1'), { attack: ended, endReason: 'quiet', writtenAt: T + 120_000 });

    // A late update (or a second end) does not reopen or change an ended row.
    store.save([{ attack: attack('a1', { updatedAt: T + 130_000 }) }], T + 130_000);
    store.save([{ attack: { ...ended, endedAt: T + 999_999 }, endReason: 'manual' }], T + 140_000);
    assert.deepEqual(store.get('a1'), { attack: ended, endReason: 'quiet', writtenAt: T + 120_000 });
    assert.equal(store.get('nope'), undefined);
  });
});

test('rows outlive the handle: closing and reopening the database (a restart) finds them', () => {
  withStore('reopen.sqlite', (store) => store.save([{ attack: attack('r1') }, { attack: attack('r2', { endedAt: T + 1000, updatedAt: T + 2000 }), endReason: 'quiet' }], T));
  withStore('reopen.sqlite', (store) => {
    assert.deepEqual(store.counts(), { rows: 2, active: 1 });
    assert.deepEqual(store.get('r1')?.attack, attack('r1'));
    assert.equal(store.get('r2')?.endReason, 'quiet');
  });
});

test('active rows end as "restart" at their last update, or as "shutdown" at the given time; ended rows are untouched', () => {
  withStore('interrupted.sqlite', (store) => {
    store.save([{ attack: attack('live', { updatedAt: T + 42_000 }) }, { attack: attack('done', { updatedAt: T + 9000, endedAt: T + 8000 }), endReason: 'quiet' }], T);
    assert.equal(store.endActive('restart', T + 3_600_000), 1);
    assert.equal(store.get('live')?.endReason, 'restart');
    assert.equal(store.get('live')?.attack.endedAt, T + 42_000);
    assert.equal(store.get('done')?.attack.endedAt, T + 8000);
    assert.equal(store.endActive('restart', T + 3_600_000), 0, 'nothing left active');

    store.save([{ attack: attack('live2', { updatedAt: T + 50_000 }) }], T);
    assert.equal(store.endActive('shutdown', T + 70_000), 1);
    assert.deepEqual([store.get('live2')?.endReason, store.get('live2')?.attack.endedAt], ['shutdown', T + 70_000]);
    assert.deepEqual(store.counts(), { rows: 3, active: 0 });
  });
});

test('retention deletes ended attacks older than retentionDays, then the oldest ended ones past maxRows; never an active one', () => {
  withStore('retention.sqlite', (store) => {
    const now = T + 100 * DAY;
    const writes = [];
    // Ten ended attacks, one a day from day 80 to day 89, and an active one that started on day 1.
    for (let d = 80; d < 90; d++) writes.push({ attack: attack(`e${d}`, { startedAt: T + d * DAY, updatedAt: T + d * DAY + 60_000, endedAt: T + d * DAY + 60_000 }), endReason: 'quiet' as const });
    writes.push({ attack: attack('ancient-but-active', { startedAt: T + DAY }) });
    store.save(writes, now);
    // 15 days: the ones that ended before day 85 go.
    assert.equal(store.prune(now, { retentionDays: 15, maxRows: 1000 }), 5);
    assert.deepEqual(store.list().map((s) => s.attack.id), ['e89', 'e88', 'e87', 'e86', 'e85', 'ancient-but-active']);
    // At most 3 rows: the two oldest ended ones go; the active one stays although it is the oldest of all.
    assert.equal(store.prune(now, { retentionDays: 15, maxRows: 3 }), 3);
    assert.deepEqual(store.list().map((s) => s.attack.id), ['e89', 'e88', 'ancient-but-active']);
    assert.equal(store.prune(now, { retentionDays: 15, maxRows: 3 }), 0);
  });
});

test('list filters by time range, target (address, prefix, a carpet-bombed prefix holding the address), vector and activity, newest first', () => {
  withStore('list.sqlite', (store) => {
    store.save(
      [
        { attack: attack('h1', { target: '203.0.113.10', vector: 'udp_flood', startedAt: T, updatedAt: T + 50_000, endedAt: T + 40_000 }), endReason: 'quiet' },
        { attack: attack('h2', { target: '203.0.113.20', vector: 'syn_flood', startedAt: T + 100_000, updatedAt: T + 100_000 }) },
        { attack: attack('p1', { target: '198.51.100.0/24', targetKind: 'prefix', vector: 'carpet_bombing', startedAt: T + 200_000, updatedAt: T + 260_000, endedAt: T + 250_000 }), endReason: 'quiet' },
        { attack: attack('v6', { target: '2001:db8::7', ipVersion: 6, vector: 'udp_flood', startedAt: T + 300_000, updatedAt: T + 300_000 }) },
      ],
      T,
    );
    const ids = (q: Parameters<AttackHistoryStore['list']>[0]) => store.list(q).map((s) => s.attack.id);
    assert.deepEqual(ids({}), ['v6', 'p1', 'h2', 'h1']);
    assert.deepEqual(ids({ target: '203.0.113.10' }), ['h1']);
    assert.deepEqual(ids({ target: '203.0.113.0/24' }), ['h2', 'h1']);
    assert.deepEqual(ids({ target: '198.51.100.77' }), ['p1'], 'an address inside a carpet-bombed prefix finds that attack');
    assert.deepEqual(ids({ target: '198.51.100.0/25' }), [], 'a prefix narrower than the attacked one does not hold it');
    assert.deepEqual(ids({ target: '2001:db8::/32' }), ['v6']);
    assert.deepEqual(ids({ target: '2001:DB8::7' }), ['v6'], 'addresses compare by value, not by text');
    assert.deepEqual(ids({ vector: 'udp_flood' }), ['v6', 'h1']);
    assert.deepEqual(ids({ active: true }), ['v6', 'h2']);
    // since: not ended before it; until: started by it.
    assert.deepEqual(ids({ since: T + 45_000 }), ['v6', 'p1', 'h2']);
    assert.deepEqual(ids({ since: T + 255_000 }), ['v6', 'h2']);
    assert.deepEqual(ids({ until: T + 100_000 }), ['h2', 'h1']);
    assert.deepEqual(ids({ since: T + 45_000, until: T + 250_000, vector: 'carpet_bombing' }), ['p1']);
    assert.deepEqual(ids({ limit: 2 }), ['v6', 'p1']);
    for (const bad of [{ target: '203.0.113' }, { target: 'example.com' }, { limit: 0 }, { limit: 1.5 }]) {
      assert.throws(() => store.list(bad), (err) => isBreakwaterError(err, 'BW_ERR_HISTORY_QUERY'), JSON.stringify(bad));
    }
  });
});

test('read-only: a database without the history is refused with BW_ERR_HISTORY_READ, writes with BW_ERR_HISTORY_WRITE', () => {
  const empty = openDatabase(join(dir, 'none.sqlite'));
  empty.release();
  const ro = openDatabase(join(dir, 'none.sqlite'), { readonly: true });
  try {
    assert.throws(() => new AttackHistoryStore(ro.db, { readonly: true }), (err) => isBreakwaterError(err, 'BW_ERR_HISTORY_READ') && /no attack history/.test(err.message));
  } finally {
    ro.release();
  }
  withStore('ro.sqlite', (store) => store.save([{ attack: attack('x') }], T));
  const handle = openDatabase(join(dir, 'ro.sqlite'), { readonly: true });
  try {
    const store = new AttackHistoryStore(handle.db, { readonly: true });
    assert.equal(store.get('x')?.attack.id, 'x');
    assert.throws(() => store.save([{ attack: attack('y') }], T), (err) => isBreakwaterError(err, 'BW_ERR_HISTORY_WRITE'));
    assert.throws(() => store.endActive('restart', T), (err) => isBreakwaterError(err, 'BW_ERR_HISTORY_WRITE'));
  } finally {
    handle.release();
  }
});
