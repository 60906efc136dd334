// The runbook dry run on its own (mitigation/runbook-dry-run.ts): the escalation machine over a recorded attack
// with a simulated clock, in each mode, for an attack still active, and bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sampleAttack } from '@breakwater/sdk/testing';
import { Value } from '@sinclair/typebox/value';
import { dryRunRunbook } from '../../src/mitigation/runbook-dry-run.js';
import { RunbookSchema, type Runbook } from '../../src/mitigation/runbook-schema.js';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const attack = sampleAttack({ id: 'dry-1', startedAt: T0, updatedAt: T0 + 300_000, endedAt: T0 + 300_000 });
const runbook = (extra: Record<string, unknown> = {}) =>
  Value.Default(RunbookSchema, { name: 'rb', stages: [{ name: 'filter', tier: 'a' }, { name: 'blackhole', tier: 'b' }], escalation: { afterSeconds: 100 }, deescalation: { quietSeconds: 30, steps: 'one' }, ...extra }) as Runbook;

describe('runbook dry run', () => {
  it('auto: stages climb on the escalation timer and step down one at a time after the attack', () => {
    const r = dryRunRunbook(runbook(), attack, { now: T0 + 10_000_000 });
    assert.equal(r.truncated, false);
    assert.deepEqual(r.stages.map((s) => [s.engagedAfterSeconds, s.leftAfterSeconds]), [[0, 360], [100, 330]]);
    assert.equal(r.endedAt, T0 + 360_000);
    assert.deepEqual(r.steps.filter((s) => s.action === 'deescalated').map((s) => s.offsetSeconds), [330, 360]);
  });

  it('detect-only engages nothing', () => {
    const r = dryRunRunbook(runbook(), attack, { now: T0 + 10_000_000, mode: 'detect-only' });
    assert.ok(r.stages.every((s) => s.engagedAt === undefined));
    assert.ok(r.steps.some((s) => s.action === 'mitigation.detect-only'));
  });

  it('approve: each stage is approved at once, so the timing is the runbook\'s', () => {
    const r = dryRunRunbook(runbook({ mode: 'approve' }), attack, { now: T0 + 10_000_000 });
    assert.deepEqual(r.stages.map((s) => s.engagedAfterSeconds), [0, 100]);
    assert.equal(r.steps.filter((s) => s.action === 'approval.granted').length, 2);
  });

  it('an attack still active is taken to end now; the run is bounded', () => {
    const active = sampleAttack({ id: 'dry-2', startedAt: T0, updatedAt: T0 + 50_000 });
    const r = dryRunRunbook(runbook(), active, { now: T0 + 150_000 });
    assert.equal(r.attackEndedAt, T0 + 150_000);
    assert.equal(r.stages[1]!.engagedAfterSeconds, 100);
    const bounded = dryRunRunbook(runbook(), active, { now: T0 + 150_000, maxTicks: 50 });
    assert.equal(bounded.truncated, true);
    assert.equal(bounded.endedAt, undefined);
  });

  it('reports whether the runbook\'s match takes the attack', () => {
    assert.equal(dryRunRunbook(runbook({ match: { vectors: ['syn_flood'] } }), attack, { now: T0 + 10_000_000 }).matches, false);
    assert.equal(dryRunRunbook(runbook(), attack, { now: T0 + 10_000_000 }).matches, true);
  });
});
