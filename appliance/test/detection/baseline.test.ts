// Baselines: the exact sub-window p99, the window estimate, the growth cap, the season blend, the commit delay,
// freezing, eviction, and the file (round trip, atomic replace, refusal of other settings and damage).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaselineBook, type BaselineSettings } from '../../src/detection/baseline.js';
import { decodeBaselines, encodeBaselines, loadBaselines, saveBaselines } from '../../src/detection/baseline-file.js';

const settings: BaselineSettings = {
  subWindowSeconds: 100,
  windowSubWindows: 3,
  seasonSlotSeconds: 100,
  seasonSlots: 10,
  timeOfDayWeight: 0.5,
  maxGrowthPerSubWindow: 1e9,
  commitDelaySeconds: 0,
};

function feed(book: BaselineBook, subject: string, from: number, values: number[], interest = 1): void {
  const e = book.getOrCreate(subject, 0, interest, interest * 8);
  values.forEach((v, i) => {
    e.advance(from + i);
    e.observe(from + i, v, v * 8);
  });
}

test('the p99 of a sub-window is its K-th largest second (K = ⌈S/100⌉), exactly', () => {
  const book = new BaselineBook({ ...settings, subWindowSeconds: 300, windowSubWindows: 1 }, 10);
  book.state.capGrowth = false;
  // 300 seconds: 297 at 10, then 50, 60, 70: the p99 (3rd largest) is 50.
  feed(book, 'h', 0, [...new Array<number>(297).fill(10), 50, 60, 70]);
  const e = book.get('h', 0)!;
  e.advance(301);
  assert.equal(e.value(301, 'pps'), 50);
  assert.equal(e.value(301, 'bps'), 400);
});

test('recent = the largest closed sub-window p99 within the window; the open sub-window never counts; old ones age out', () => {
  const book = new BaselineBook(settings, 10);
  feed(book, 'h', 0, new Array<number>(100).fill(100));
  feed(book, 'h', 100, new Array<number>(100).fill(300));
  feed(book, 'h', 200, new Array<number>(50).fill(5000));
  const e = book.get('h', 0)!;
  assert.equal(e.value(250, 'pps'), 300, 'sub-windows 0 and 1 closed; the 5000s are in the open one');
  e.advance(600);
  assert.equal(e.value(600, 'pps'), 0, 'all three sub-windows (0..2) are older than the window now');
});

test('growth cap: a closing sub-window may raise the baseline by at most the factor (once warm)', () => {
  const book = new BaselineBook({ ...settings, maxGrowthPerSubWindow: 1.5 }, 10);
  book.state.capGrowth = true;
  feed(book, 'h', 0, new Array<number>(100).fill(1000), 1000);
  feed(book, 'h', 100, new Array<number>(100).fill(10_000), 1000);
  const e = book.get('h', 0)!;
  e.advance(201);
  assert.equal(e.value(201, 'pps'), 1500, 'p99 10000 capped at 1.5 × 1000');
  book.state.capGrowth = false;
  feed(book, 'h', 200, new Array<number>(100).fill(10_000));
  e.advance(301);
  assert.equal(e.value(301, 'pps'), 10_000, 'during the warm-up the baseline learns freely');
});

test('season: the same slot one cycle earlier is blended in with weight w', () => {
  const book = new BaselineBook(settings, 10);
  // Cycle = 10 slots of 100 s = 1000 s. Slot 3 of cycle 0 sees 8000; in cycle 1 the recent p99 is 2000.
  feed(book, 'h', 300, new Array<number>(100).fill(8000));
  feed(book, 'h', 1100, new Array<number>(200).fill(2000));
  const e = book.get('h', 0)!;
  e.advance(1350);
  assert.equal(e.value(1350, 'pps'), 0.5 * 2000 + 0.5 * 8000, 'slot 3 of cycle 1 blends slot 3 of cycle 0');
  assert.equal(e.value(1450, 'pps'), 2000, 'slot 4 of cycle 0 is empty: recent only');
});

test('commit delay: values wait, and freezing drops the pending ones and holds the value until thawed', () => {
  const book = new BaselineBook({ ...settings, commitDelaySeconds: 10 }, 10);
  feed(book, 'h', 0, new Array<number>(100).fill(100));
  const e = book.get('h', 0)!;
  for (let s = 100; s < 195; s++) {
    e.advance(s);
    e.observe(s, 100, 800);
  }
  // The attack's onset (seconds 195..199) is pending when the attack is detected.
  for (let s = 195; s < 200; s++) e.observe(s, 90_000, 1);
  e.freeze(200);
  assert.equal(e.frozen, true);
  const held = e.value(200, 'pps');
  e.observe(250, 1e9, 1e9);
  e.advance(2000);
  assert.equal(e.value(2000, 'pps'), held, 'frozen: no learning, no ageing');
  e.thaw(2000);
  e.advance(2001);
  assert.equal(e.value(2001, 'pps'), 100, 'after the thaw the pre-attack history is there, shifted, and the onset was never learned');
});

test('the book is bounded: the least recently observed entry goes first', () => {
  const book = new BaselineBook(settings, 2);
  feed(book, 'a', 0, [1]);
  feed(book, 'b', 5, [1]);
  feed(book, 'c', 6, [1]);
  assert.deepEqual([...book.entries.keys()].sort(), ['b|0', 'c|0']);
  assert.equal(book.evicted, 1);
});

test('file: round trip, atomic replace (no temporary left), refusal of other settings and of damage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-baselines-'));
  try {
    const book = new BaselineBook(settings, 10);
    book.learningSinceMs = 1_700_000_000_000;
    feed(book, '198.51.100.1', 0, new Array<number>(250).fill(42));
    feed(book, 'block:2001:db8::/64', 0, new Array<number>(150).fill(7));
    const file = join(dir, 'baselines.bin');
    const bytes = await saveBaselines(file, book);
    assert.ok(bytes > 0);
    await saveBaselines(file, book);
    assert.deepEqual(readdirSync(dir), ['baselines.bin']);
    const loaded = new BaselineBook(settings, 10);
    assert.deepEqual(await loadBaselines(file, loaded), { ok: true, entries: 2 });
    assert.equal(loaded.learningSinceMs, 1_700_000_000_000);
    const a = book.get('198.51.100.1', 0)!;
    const b = loaded.get('198.51.100.1', 0)!;
    a.advance(300);
    b.advance(300);
    assert.equal(b.value(300, 'pps'), a.value(300, 'pps'));
    assert.deepEqual(encodeBaselines(loaded), encodeBaselines(book));
    const other = new BaselineBook({ ...settings, seasonSlots: 11 }, 10);
    assert.equal((await loadBaselines(file, other)).ok, false);
    writeFileSync(file, encodeBaselines(book).subarray(0, 100));
    const damaged = new BaselineBook(settings, 10);
    const r = await loadBaselines(file, damaged);
    assert.equal(r.ok, false);
    assert.equal(damaged.entries.size, 0, 'nothing half-loaded');
    assert.deepEqual(await loadBaselines(join(dir, 'missing.bin'), new BaselineBook(settings, 10)), { ok: true, entries: 0 });
    assert.equal(decodeBaselines(Buffer.from('not a baseline file'), new BaselineBook(settings, 10)).ok, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
