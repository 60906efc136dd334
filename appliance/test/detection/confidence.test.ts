// The confidence rule: exact-enough Poisson lower limits, the effective sample count under mixed rates, and the
// decision (min samples and lower bound ≥ threshold).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confidentlyAbove, effectiveSamples, lowerBound, normalQuantile, poissonLowerBound } from '../../src/detection/confidence.js';

test('normal quantiles', () => {
  assert.ok(Math.abs(normalQuantile(0.95) - 1.6448536) < 1e-6);
  assert.ok(Math.abs(normalQuantile(0.05) + 1.6448536) < 1e-6);
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-9);
});

// Exact one-sided 95% lower limits of a Poisson mean (½·χ²(0.05; 2n)), from tables.
const exact95: [number, number][] = [
  [1, 0.0513],
  [2, 0.3554],
  [5, 1.9701],
  [8, 3.9809],
  [10, 5.4254],
  [20, 13.2547],
  [100, 84.1355],
];
for (const [n, limit] of exact95) {
  test(`Poisson 95% lower limit for ${n} events is within 2% of ${limit}`, () => {
    const got = poissonLowerBound(n, 0.95);
    assert.ok(Math.abs(got - limit) / limit < 0.02 || Math.abs(got - limit) < 0.01, `${got}`);
  });
}

test('one sample at 1:10000 bounds the rate at ~5% of its estimate; a threshold even 20x lower is not confidently crossed', () => {
  const lb = lowerBound(10_000, 10_000, 10_000 ** 2, 0.95);
  assert.ok(lb > 400 && lb < 600, `${lb}`);
  assert.equal(confidentlyAbove({ confidence: 0.95, minSamples: 1 }, 10_000, 10_000, 1, 1e8, 1, 1000), false);
  assert.equal(confidentlyAbove({ confidence: 0.95, minSamples: 8 }, 10_000, 10_000, 1, 1e8, 1, 1), false, 'minSamples refuses it outright');
});

test('mixed sampling rates: the effective sample count follows the coarse samples, not the count', () => {
  assert.equal(effectiveSamples(100 * 1000, 100 * 1000 ** 2), 100);
  // 99 samples at 1:10 and one at 1:100000: the estimate is dominated by one sample.
  const packets = 99 * 10 + 100_000;
  const squares = 99 * 100 + 100_000 ** 2;
  assert.ok(effectiveSamples(packets, squares) < 1.1);
  assert.ok(lowerBound(packets, packets, squares, 0.95) < packets * 0.1);
});

test('with many samples the bound approaches the estimate', () => {
  const n = 10_000;
  const lb = lowerBound(n * 1000, n * 1000, n * 1e6, 0.95);
  assert.ok(lb > 0.98 * n * 1000 && lb < n * 1000);
});
