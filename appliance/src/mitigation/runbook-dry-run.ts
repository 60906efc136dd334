// "What would this runbook have done about that attack?": the escalation state machine (escalation-machine.ts)
// run over a recorded attack's timeline with a simulated clock, every tier taken to succeed at once, every
// verification to find the mitigation in place and every approval to come at once (so the answer shows the
// runbook's timing, not how long people took). The attack lasts from its start to its end (or to `now` while it
// is active) at its peak rates, the worst the record says it reached; after it ends the runbook steps down as
// configured. The answer is the list of decisions with their times and, per stage, when it engaged and left.
//
// Pure: nothing is announced, stored or audited, and the live engine is not touched.
import type { AttackRecord } from '@breakwater/sdk';
import { startMitigation, step, type Command, type MachineEvent, type MitigationState, type Transition } from './escalation-machine.js';
import type { MitigationMode, Runbook } from './runbook-schema.js';
import { runbookMatches } from './runbook.js';

export interface DryRunStep {
  /** Simulated time (ms since the epoch) and seconds since the attack started. */
  at: number;
  offsetSeconds: number;
  action: string;
  stage?: number;
  stageName?: string;
  reason?: string;
}

export interface DryRunStage {
  index: number;
  name: string;
  tier: string;
  engagedAt?: number;
  engagedAfterSeconds?: number;
  leftAt?: number;
  leftAfterSeconds?: number;
  leftReason?: string;
}

export interface DryRunResult {
  runbook: string;
  /** Whether the runbook's match would have taken this attack (the run goes ahead either way). */
  matches: boolean;
  mode: MitigationMode;
  attackStartedAt: number;
  attackEndedAt: number;
  /** When the mitigation would have ended; undefined when the simulation hit its bound first. */
  endedAt?: number;
  steps: DryRunStep[];
  stages: DryRunStage[];
  /** True when the bound on simulated steps stopped the run before the mitigation ended. */
  truncated: boolean;
}

export interface DryRunOptions {
  /** The mode to run in: the runbook's own unless given ("detect-only" engages nothing). */
  mode?: MitigationMode;
  /** End of an attack that is still active (ms). */
  now: number;
  /** Simulated tick (default 1000 ms) and the most ticks simulated (default 50 000). */
  tickMs?: number;
  maxTicks?: number;
  verifyIntervalMs?: number;
}

export function dryRunRunbook(runbook: Runbook, attack: AttackRecord, options: DryRunOptions): DryRunResult {
  const tickMs = options.tickMs ?? 1000;
  const maxTicks = options.maxTicks ?? 50_000;
  const settings = { verifyIntervalMs: options.verifyIntervalMs ?? 60_000 };
  const start = attack.startedAt;
  const end = Math.max(start, attack.endedAt ?? options.now);
  const mode = options.mode ?? runbook.mode;
  const steps: DryRunStep[] = [];
  const record = (state: MitigationState, at: number, c: Extract<Command, { type: 'audit' }>) => {
    const stage = c.stage !== undefined && c.stage >= 0 ? state.runbook.stages[c.stage] : undefined;
    steps.push({
      at,
      offsetSeconds: (at - start) / 1000,
      action: c.action,
      ...(stage !== undefined ? { stage: c.stage, stageName: stage.name } : {}),
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
    });
  };

  let state: MitigationState;
  // Runs a transition's commands to completion: tiers answer at once, so their results are fed straight back,
  // one event at a time, each to the state the previous one left.
  const settle = (first: Transition, at: number): void => {
    const events: MachineEvent[] = [];
    const take = (t: Transition) => {
      state = t.state;
      for (const c of t.commands) {
        if (c.type === 'audit') record(state, at, c);
        else if (c.type === 'engage') events.push({ type: 'engage.succeeded', stage: c.stage, engagement: { id: `dry-run-${c.stage}`, summary: 'dry run' } });
        else if (c.type === 'disengage') events.push({ type: 'disengage.finished', stage: c.stage });
        else if (c.type === 'verify') events.push({ type: 'verified', stage: c.stage, status: { state: 'active' } });
        else if (c.type === 'notify' && c.notice === 'approval.needed') events.push({ type: 'approved', user: 'dry-run' });
      }
    };
    take(first);
    for (let event = events.shift(); event !== undefined; event = events.shift()) take(step(state!, event, at, settings));
  };

  const peak = { ...attack.peak };
  const during: AttackRecord = { ...attack, rates: peak, endedAt: undefined };
  settle(startMitigation({ attack: during, runbook, mode, startStage: 0, now: start }), start);
  let ticks = 0;
  let ended = false;
  for (let now = start + tickMs; ticks < maxTicks; now += tickMs, ticks++) {
    if (!ended && now >= end) {
      ended = true;
      settle(step(state!, { type: 'attack.ended', attack: { ...attack, endedAt: end }, reason: attack.endedAt !== undefined ? 'recorded end' : 'still active: taken to end now' }, end, settings), end);
    }
    if (state!.phase === 'ended') break;
    settle(step(state!, { type: 'tick', rates: ended ? { pps: 0, bps: 0 } : peak }, now, settings), now);
  }
  const final = state!;
  return {
    runbook: runbook.name,
    matches: runbookMatches(runbook, attack),
    mode,
    attackStartedAt: start,
    attackEndedAt: end,
    ...(final.endedAt !== undefined ? { endedAt: final.endedAt } : {}),
    steps,
    stages: stagesOf(final, steps, start),
    truncated: final.phase !== 'ended',
  };
}

function stagesOf(state: MitigationState, steps: readonly DryRunStep[], start: number): DryRunStage[] {
  return state.runbook.stages.map((s, index) => {
    const engaged = steps.find((x) => x.action === 'stage.engaged' && x.stage === index);
    const left = [...steps].reverse().find((x) => x.action === 'stage.disengaged' && x.stage === index);
    return {
      index,
      name: s.name,
      tier: s.tier,
      ...(engaged !== undefined ? { engagedAt: engaged.at, engagedAfterSeconds: (engaged.at - start) / 1000 } : {}),
      ...(left !== undefined ? { leftAt: left.at, leftAfterSeconds: (left.at - start) / 1000, ...(left.reason !== undefined ? { leftReason: left.reason } : {}) } : {}),
    };
  });
}
