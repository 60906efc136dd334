// Shared helpers for the intake tests: a silent logger, a bounded wait, and a DestinationTable truth check.
import assert from 'node:assert/strict';
import type { DestinationTable } from '../../src/counting/destination-table.js';
import type { DestinationTruth } from '../../src/synthetic/sflow-generator.js';

/** Polls until check() is true, failing after timeoutMs (a bound, not a speed assertion). */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Asserts the table holds exactly the generator's per-destination truth. */
export function assertTotalsMatch(table: DestinationTable, truth: Map<string, DestinationTruth>): void {
  assert.equal(table.size, truth.size, 'number of destinations');
  for (const [address, t] of truth) {
    const got = table.get(address);
    assert.ok(got, `destination ${address} counted`);
    assert.deepEqual({ samples: got.samples, packets: got.packets, bytes: got.bytes }, t, address);
  }
}
