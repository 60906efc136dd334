// The escalation state machine on its own: (state, event, now) -> (state, commands), no engine, no plugins.
// Each case drives one rule of docs/runbooks.md with explicit times.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { sampleAttack } from '@breakwater/sdk/testing';
import { startMitigation, step, type Command, type MachineEvent, type MitigationState } from '../../src/mitigation/escalation-machine.js';
import { RunbookSchema, type MitigationMode, type Runbook } from '../../src/mitigation/runbook-schema.js';

const T = 1_000_000;
const SETTINGS = { verifyIntervalMs: 30_000 };

function runbook(partial: Record<string, unknown> = {}): Runbook {
  return Value.Default(RunbookSchema, {
    name: 'rb',
    stages: [
      { name: 's0', tier: 'tier-a' },
      { name: 's1', tier: 'tier-b' },
      { name: 's2', tier: 'tier-c' },
    ],
    escalation: { afterSeconds: 60 },
    deescalation: { quietSeconds: 100 },
    ...partial,
  }) as Runbook;
}

class Run {
  state: MitigationState;
  commands: Command[];
  constructor(rb: Runbook, mode: MitigationMode = 'auto', startStage = 0) {
    const t = startMitigation({ attack: sampleAttack(), runbook: rb, mode, startStage, now: T });
    this.state = t.state;
    this.commands = t.commands;
  }
  on(event: MachineEvent, at: number): Command[] {
    const t = step(this.state, event, at, SETTINGS);
    this.state = t.state;
    this.commands = t.commands;
    return t.commands;
  }
  engaged(stage: number, at: number): Command[] {
    return this.on({ type: 'engage.succeeded', stage, engagement: { id: `e${stage}`, summary: `stage ${stage}` } }, at);
  }
  /** Commands other than audit entries (and verifications, which every tick may add, unless asked for). */
  kinds(withVerify = false): string[] {
    return this.commands.filter((c) => c.type !== 'audit' && (withVerify || c.type !== 'verify')).map((c) => (c.type === 'notify' ? `notify:${c.notice}` : `${c.type}:${'stage' in c ? c.stage : ''}`));
  }
  statuses(): string[] {
    return this.state.stages.map((s) => s.status);
  }
}

test('detect-only: the attack is recorded and nothing is engaged', () => {
  const run = new Run(runbook(), 'detect-only');
  assert.deepEqual(run.kinds(), []);
  assert.deepEqual(run.commands.map((c) => (c.type === 'audit' ? c.action : c.type)), ['attack.detected', 'mitigation.detect-only']);
  run.on({ type: 'attack.ended', attack: sampleAttack(), reason: 'quiet' }, T + 5_000);
  assert.equal(run.state.phase, 'ended');
});

test('escalates after escalation.afterSeconds, keeping lower stages, and says once when no stage is left', () => {
  const run = new Run(runbook());
  assert.deepEqual(run.kinds(), ['engage:0']);
  run.engaged(0, T + 100);
  assert.deepEqual(run.kinds(), ['notify:tier.engaged']);
  run.on({ type: 'tick' }, T + 60_099);
  assert.deepEqual(run.kinds(), []);
  run.on({ type: 'tick' }, T + 60_100);
  assert.deepEqual(run.kinds(), ['notify:attack.escalated', 'engage:1']);
  run.engaged(1, T + 60_200);
  run.on({ type: 'tick' }, T + 120_200);
  run.engaged(2, T + 120_300);
  assert.deepEqual(run.statuses(), ['engaged', 'engaged', 'engaged']);
  run.on({ type: 'tick' }, T + 180_300);
  assert.deepEqual(run.kinds(), ['notify:runbook.exhausted']);
  run.on({ type: 'tick' }, T + 240_300);
  assert.deepEqual(run.kinds(), [], 'told once');
});

test('a failed or refused stage escalates at once when onFailure, and the refusal names its guardrail', () => {
  const run = new Run(runbook());
  run.on({ type: 'engage.failed', stage: 0, error: { code: 'BW_ERR_PLUGIN_NOT_FOUND', message: 'No tier plugin named tier-a is loaded' } }, T + 10);
  assert.deepEqual(run.kinds(), ['notify:mitigation.failed', 'notify:attack.escalated', 'engage:1']);
  run.on({ type: 'engage.failed', stage: 1, error: { code: 'BW_ERR_MITIGATION_PROTECTED', message: 'protected', guardrail: 'protected-prefix' } }, T + 20);
  assert.equal(run.state.stages[1]?.status, 'refused');
  const failed = run.commands.find((c) => c.type === 'notify' && c.notice === 'mitigation.failed');
  assert.deepEqual(failed?.type === 'notify' ? failed.error : undefined, { code: 'BW_ERR_MITIGATION_PROTECTED', message: 'protected', guardrail: 'protected-prefix' });
  assert.deepEqual(run.kinds(), ['notify:mitigation.failed', 'notify:attack.escalated', 'engage:2']);

  const stay = new Run(runbook({ escalation: { afterSeconds: 0, onFailure: false } }));
  stay.on({ type: 'engage.failed', stage: 0, error: { code: 'BW_ERR_PLUGIN_HOOK', message: 'boom' } }, T + 10);
  assert.deepEqual(stay.kinds(), ['notify:mitigation.failed']);
});

test('rate still above the runbook limit after the stage engaged escalates; a rate below does not', () => {
  const rb = runbook({ escalation: { afterSeconds: 0, rateAbove: { pps: 100_000, afterSeconds: 30 } } });
  const high = new Run(rb);
  high.engaged(0, T);
  high.on({ type: 'tick', rates: { pps: 150_000, bps: 1e9 } }, T + 29_000);
  assert.deepEqual(high.kinds(), []);
  high.on({ type: 'tick', rates: { pps: 150_000, bps: 1e9 } }, T + 30_000);
  assert.deepEqual(high.kinds(), ['notify:attack.escalated', 'engage:1']);
  const low = new Run(rb);
  low.engaged(0, T);
  low.on({ type: 'tick', rates: { pps: 50_000, bps: 1e8 } }, T + 31_000);
  assert.deepEqual(low.kinds(), []);
});

test('not effective: traffic that did not drop by minReduction escalates and the stage no longer counts as working', () => {
  const rb = runbook({ escalation: { afterSeconds: 0, notEffective: { afterSeconds: 30, minReduction: 0.5 } } });
  const stuck = new Run(rb);
  stuck.engaged(0, T); // the sample attack runs at 410,000 pps
  stuck.on({ type: 'tick', rates: { pps: 300_000, bps: 2e9 } }, T + 30_000);
  assert.deepEqual(stuck.kinds(), ['notify:attack.escalated', 'engage:1']);
  assert.equal(stuck.state.stages[0]?.worked, false);
  assert.ok(stuck.commands.some((c) => c.type === 'audit' && c.action === 'stage.ineffective'));
  const working = new Run(rb);
  working.engaged(0, T);
  working.on({ type: 'tick', rates: { pps: 20_000, bps: 1e8 } }, T + 30_000);
  assert.deepEqual(working.kinds(), []);
});

test('keepLowerStages: false leaves the lower stage once the higher one is in place (make before break)', () => {
  const run = new Run(runbook({ escalation: { afterSeconds: 60, keepLowerStages: false } }));
  run.engaged(0, T);
  run.on({ type: 'tick' }, T + 60_000);
  assert.equal(run.state.stages[0]?.status, 'engaged', 'still engaged while stage 1 is engaging');
  run.engaged(1, T + 60_100);
  assert.deepEqual(run.kinds(), ['notify:tier.engaged', 'disengage:0']);
});

test('approve mode: each stage waits for a person; the timeout policy engages or abandons', () => {
  const run = new Run(runbook({ approval: { timeoutSeconds: 300, onTimeout: 'abandon' } }), 'approve');
  assert.deepEqual(run.kinds(), ['notify:approval.needed']);
  assert.equal(run.state.stages[0]?.status, 'awaiting-approval');
  run.on({ type: 'approved', user: 'alice' }, T + 10_000);
  assert.deepEqual(run.kinds(), ['engage:0']);
  assert.ok(run.commands.some((c) => c.type === 'audit' && c.action === 'approval.granted' && c.actor === 'user:alice'));
  run.engaged(0, T + 10_100);
  run.on({ type: 'tick' }, T + 70_100);
  assert.deepEqual(run.kinds(), ['notify:attack.escalated', 'notify:approval.needed'], 'escalation asks again');
  run.on({ type: 'tick' }, T + 370_100);
  assert.equal(run.state.stages[1]?.status, 'skipped');
  assert.deepEqual(run.kinds(), ['notify:mitigation.failed']);

  const eager = new Run(runbook({ approval: { timeoutSeconds: 300, onTimeout: 'engage' } }), 'approve');
  eager.on({ type: 'tick' }, T + 300_000);
  assert.deepEqual(eager.kinds(), ['engage:0']);
});

test('a stage its tier reports gone is repaired once, then fails and escalates', () => {
  const run = new Run(runbook({ escalation: { afterSeconds: 0 } }));
  run.engaged(0, T);
  run.on({ type: 'tick' }, T + 30_000);
  assert.deepEqual(run.kinds(true), ['verify:0']);
  run.on({ type: 'verified', stage: 0, status: { state: 'gone', detail: 'the rules expired' } }, T + 30_010);
  assert.deepEqual(run.kinds(), ['engage:0']);
  run.engaged(0, T + 30_020);
  run.on({ type: 'verified', stage: 0, status: { state: 'gone', detail: 'gone again' } }, T + 60_020);
  assert.deepEqual(run.kinds(), ['notify:mitigation.failed', 'notify:attack.escalated', 'engage:1']);
  assert.equal(run.state.stages[0]?.error?.code, 'BW_ERR_MITIGATION_GONE');
});

test('a stage is left when its maximum lifetime is reached', () => {
  const rb = runbook({ escalation: { afterSeconds: 0 } });
  rb.stages[0]!.maxLifetimeSeconds = 600;
  const run = new Run(rb);
  run.engaged(0, T);
  run.on({ type: 'tick' }, T + 600_000);
  assert.deepEqual(run.kinds(), ['disengage:0', 'notify:attack.deescalated']);
  run.on({ type: 'disengage.finished', stage: 0 }, T + 600_100);
  assert.equal(run.state.stages[0]?.status, 'expired');
});

test('after the attack ends: one stage down per quiet period, or all at once; then ended with the last working stage', () => {
  const one = new Run(runbook());
  one.engaged(0, T);
  one.on({ type: 'tick' }, T + 60_000);
  one.engaged(1, T + 60_100);
  one.on({ type: 'attack.ended', attack: sampleAttack(), reason: 'quiet' }, T + 70_000);
  assert.equal(one.state.phase, 'cooling');
  one.on({ type: 'tick' }, T + 169_999);
  assert.deepEqual(one.kinds(), []);
  one.on({ type: 'tick' }, T + 170_000);
  assert.deepEqual(one.kinds(), ['disengage:1', 'notify:attack.deescalated']);
  one.on({ type: 'disengage.finished', stage: 1 }, T + 170_100);
  one.on({ type: 'tick' }, T + 270_000);
  assert.deepEqual(one.kinds(), ['disengage:0', 'notify:attack.deescalated']);
  one.on({ type: 'disengage.finished', stage: 0 }, T + 270_100);
  assert.equal(one.state.phase, 'ended');
  assert.deepEqual(one.commands.filter((c) => c.type === 'remember'), [{ type: 'remember', stage: 1 }]);

  const all = new Run(runbook({ deescalation: { quietSeconds: 100, steps: 'all' } }));
  all.engaged(0, T);
  all.on({ type: 'tick' }, T + 60_000);
  all.engaged(1, T + 60_100);
  all.on({ type: 'attack.ended', attack: sampleAttack(), reason: 'quiet' }, T + 70_000);
  all.on({ type: 'tick' }, T + 170_000);
  assert.deepEqual(all.kinds(), ['disengage:1', 'disengage:0', 'notify:attack.deescalated']);
});

test('stop-all leaves every stage; the mitigation ends once its attack does; an engagement arriving late is undone', () => {
  const run = new Run(runbook());
  run.engaged(0, T);
  run.on({ type: 'tick' }, T + 60_000);
  assert.equal(run.state.stages[1]?.status, 'engaging');
  run.on({ type: 'stop-all', actor: 'user:bob' }, T + 61_000);
  assert.deepEqual(run.kinds(), ['disengage:0', 'notify:mitigation.stopped']);
  run.engaged(1, T + 61_500);
  assert.deepEqual(run.kinds(), ['disengage:1']);
  run.on({ type: 'disengage.finished', stage: 0 }, T + 62_000);
  run.on({ type: 'disengage.finished', stage: 1 }, T + 62_100);
  assert.equal(run.state.phase, 'stopped');
  run.on({ type: 'attack.ended', attack: sampleAttack(), reason: 'quiet' }, T + 90_000);
  assert.equal(run.state.phase, 'ended');
});

test('step never changes the state it is given', () => {
  const run = new Run(runbook());
  const before = structuredClone(run.state);
  step(run.state, { type: 'engage.succeeded', stage: 0, engagement: { id: 'x', summary: 'x' } }, T + 1, SETTINGS);
  assert.deepEqual(run.state, before);
});
