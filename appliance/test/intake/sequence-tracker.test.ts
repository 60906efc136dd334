// Sequence loss accounting, table-driven: in order, holes, late arrivals (interleaved decoder workers),
// restarts (far back, or marked by the agent's uptime), u32 wrap-around.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SequenceTracker } from '../../src/intake/sequence-tracker.js';

const cases: { name: string; seqs: number[]; lost: number; gaps: number; late: number; resets: number }[] = [
  { name: 'in order', seqs: [1, 2, 3, 4], lost: 0, gaps: 0, late: 0, resets: 0 },
  { name: 'one hole of three', seqs: [1, 2, 6, 7], lost: 3, gaps: 1, late: 0, resets: 0 },
  { name: 'reordered: the hole is filled later', seqs: [1, 3, 2, 4], lost: 0, gaps: 1, late: 1, resets: 0 },
  { name: 'interleaved batches starting below the first number', seqs: [5, 6, 7, 1, 2, 3, 4, 8], lost: 0, gaps: 0, late: 4, resets: 0 },
  { name: 'restart far back is a reset, not a huge gap', seqs: [1_000_000, 1_000_001, 1, 2], lost: 0, gaps: 0, late: 0, resets: 1 },
  { name: 'loss before a restart is kept', seqs: [100_000, 100_005, 1, 2], lost: 4, gaps: 1, late: 0, resets: 1 },
  { name: 'wraps around 2^32', seqs: [0xfffffffe, 0xffffffff, 0, 1], lost: 0, gaps: 0, late: 0, resets: 0 },
  { name: 'a jump beyond 2^24 forward is a restart', seqs: [1, 2, 50_000_000, 50_000_001], lost: 0, gaps: 0, late: 0, resets: 1 },
];

for (const c of cases) {
  test(`sequence: ${c.name}`, () => {
    const t = new SequenceTracker();
    for (const s of c.seqs) t.see(s);
    assert.deepEqual({ lost: t.lost, gaps: t.gaps, late: t.late, resets: t.resets }, { lost: c.lost, gaps: c.gaps, late: c.late, resets: c.resets });
  });
}

test('sequence: a restart marked by the agent (uptime went back) opens a new epoch on the next number', () => {
  const t = new SequenceTracker();
  for (const s of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) t.see(s);
  t.markRestart();
  for (const s of [1, 2, 3]) t.see(s);
  assert.deepEqual({ lost: t.lost, resets: t.resets, late: t.late }, { lost: 0, resets: 1, late: 0 });
});
