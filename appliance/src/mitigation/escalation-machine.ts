// The per-attack escalation state machine, pure: (state, event, now) -> (new state, commands). It decides when a
// runbook stage is engaged, escalated from, verified, stepped down and left; it performs nothing itself. The
// engine (mitigation-engine.ts) feeds it detection events, the results of the commands it ran and clock ticks,
// persists every new state, and runs the commands (tier hooks, notifications, audit entries). Because time only
// enters as `now`, tests drive whole escalations with a fake clock, and a restarted engine continues from the
// persisted state exactly where the old one stopped.
//
// docs/runbooks.md has the state diagram. In short: a mitigation is `active` while its attack lasts (stages
// climb from the first, or from the last stage that worked when the attack returns), `cooling` after the attack
// ended (stages step down after quiet periods; a return within cooling folds the new attack in and climbs
// again), `stopped` after "stop all", and `ended` once nothing is engaged any more.
import type { AttackRecord, Engagement, EngagementStatus, Rates } from '@breakwater/sdk';
import { rateOf, reductionSince } from './effectiveness.js';
import { stageEscalation } from './runbook.js';
import type { MitigationMode, Runbook } from './runbook-schema.js';

export type StageStatus =
  | 'idle'
  | 'awaiting-approval'
  | 'engaging'
  | 'engaged'
  | 'disengaging'
  /** The tier failed (hook error, timeout, not loaded) or reported its mitigation gone. */
  | 'failed'
  /** A guardrail stopped it before or while the tier ran. */
  | 'refused'
  /** Approval did not come in time, or the attack ended while waiting. */
  | 'skipped'
  /** Left after its maximum lifetime. */
  | 'expired'
  | 'done';

export interface StageError {
  code: string;
  message: string;
  /** The guardrail that refused, when the stage was refused. */
  guardrail?: string;
}

export interface StageState {
  index: number;
  name: string;
  tier: string;
  status: StageStatus;
  engagement?: Engagement;
  engagedAt?: number;
  /** Escalation timers count from here: when the stage engaged or failed, or when the attack returned. */
  since?: number;
  /** The attack's rate (in the metric that started it) when the stage engaged: the effectiveness reference. */
  rateAtEngage?: number;
  approvalExpiresAt?: number;
  approvedBy?: string;
  attempts: number;
  /** Re-engagements after the tier reported the mitigation gone. */
  repairs: number;
  lastVerifiedAt?: number;
  verified?: EngagementStatus;
  /** Engaged and not since found failed, gone or ineffective: a candidate for "the last stage that worked". */
  worked: boolean;
  error?: StageError;
  leftReason?: string;
}

export type Phase = 'active' | 'cooling' | 'stopped' | 'ended';

export interface MitigationState {
  /** The first attack's id; the mitigation's id. */
  id: string;
  /** Every attack folded into this mitigation (an attack that returned while it was cooling). */
  attackIds: string[];
  /** `${target}|${vector}`: the key re-engagement memory is kept under. */
  key: string;
  /** The latest record of the latest attack. */
  attack: AttackRecord;
  /** The runbook as it was when the attack started: a reload changes what later attacks get, not this one. */
  runbook: Runbook;
  mode: MitigationMode;
  phase: Phase;
  stages: StageState[];
  /** The stage the mitigation is at (-1: none yet). */
  top: number;
  /** The latest rates read for the attack (tick), falling back to the record's. */
  rates?: Rates;
  startedAt: number;
  updatedAt: number;
  /** When the (latest) attack ended; unset while it lasts. */
  attackEndedAt?: number;
  coolingSince?: number;
  lastStepDownAt?: number;
  /** Escalation was wanted with no stage left; alerted once. */
  exhausted: boolean;
  endedAt?: number;
}

export type MitigationNotice =
  | 'tier.engaged'
  | 'attack.escalated'
  | 'attack.deescalated'
  | 'mitigation.failed'
  | 'approval.needed'
  | 'runbook.exhausted'
  | 'mitigation.stopped'
  | 'mitigation.ended';

export type Command =
  | { type: 'engage'; stage: number }
  | { type: 'disengage'; stage: number; reason: string }
  | { type: 'verify'; stage: number }
  | { type: 'notify'; notice: MitigationNotice; stage?: number; from?: number; reason?: string; error?: StageError; summary?: string; expiresAt?: number }
  | { type: 'audit'; action: string; stage?: number; reason?: string; actor?: string; resource?: string; detail?: Record<string, unknown> }
  /** The mitigation ended: remember the last stage that worked for a return of the same attack. */
  | { type: 'remember'; stage: number };

export type MachineEvent =
  | { type: 'attack.updated'; attack: AttackRecord }
  | { type: 'attack.ended'; attack: AttackRecord; reason: string }
  /** A new attack on the same target and vector while this mitigation was cooling. */
  | { type: 'attack.returned'; attack: AttackRecord }
  | { type: 'engage.succeeded'; stage: number; engagement: Engagement }
  | { type: 'engage.failed'; stage: number; error: StageError }
  | { type: 'disengage.finished'; stage: number; error?: StageError }
  | { type: 'verified'; stage: number; status: EngagementStatus }
  | { type: 'approved'; user: string }
  | { type: 'tick'; rates?: Rates }
  | { type: 'stop-all'; actor: string };

export interface MachineSettings {
  verifyIntervalMs: number;
}

export interface Transition {
  state: MitigationState;
  commands: Command[];
}

export interface StartOptions {
  attack: AttackRecord;
  runbook: Runbook;
  mode: MitigationMode;
  /** 0, or the stage that worked last time this target and vector were attacked. */
  startStage: number;
  now: number;
}

const ACTIVE: readonly StageStatus[] = ['engaged', 'engaging', 'disengaging', 'awaiting-approval'];

/** A new mitigation for an attack that just started. */
export function startMitigation(options: StartOptions): Transition {
  const { attack, runbook, mode, now } = options;
  const state: MitigationState = {
    id: attack.id,
    attackIds: [attack.id],
    key: mitigationKey(attack),
    attack,
    runbook,
    mode,
    phase: 'active',
    stages: runbook.stages.map((s, index) => ({ index, name: s.name, tier: s.tier, status: 'idle', attempts: 0, repairs: 0, worked: false })),
    top: -1,
    startedAt: now,
    updatedAt: now,
    exhausted: false,
  };
  const out: Command[] = [{ type: 'audit', action: 'attack.detected', detail: { runbook: runbook.name, mode, vector: attack.vector, severity: attack.severity, rates: attack.rates } }];
  if (mode === 'detect-only' || runbook.stages.length === 0) {
    out.push({ type: 'audit', action: 'mitigation.detect-only', reason: mode === 'detect-only' ? 'mode is detect-only: alerts only' : 'the runbook has no stages' });
    return { state, commands: out };
  }
  const start = Math.min(Math.max(options.startStage, 0), runbook.stages.length - 1);
  enterStage(state, start, start > 0 ? `the attack returned; stage ${runbook.stages[start]!.name} worked last time` : 'attack started', now, out);
  return { state, commands: out };
}

export function mitigationKey(attack: Pick<AttackRecord, 'target' | 'vector'>): string {
  return `${attack.target}|${attack.vector}`;
}

/** The state after `event`, and what the engine must do. The input state is not changed. */
export function step(input: MitigationState, event: MachineEvent, now: number, settings: MachineSettings): Transition {
  const state = structuredClone(input);
  const out: Command[] = [];
  state.updatedAt = now;
  switch (event.type) {
    case 'attack.updated':
      state.attack = event.attack;
      break;
    case 'attack.ended':
      onAttackEnded(state, event, now, out);
      break;
    case 'attack.returned':
      onAttackReturned(state, event.attack, now, out);
      break;
    case 'engage.succeeded':
      onEngaged(state, event.stage, event.engagement, now, out);
      break;
    case 'engage.failed':
      onEngageFailed(state, event.stage, event.error, now, out);
      break;
    case 'disengage.finished': {
      const st = state.stages[event.stage];
      if (st === undefined || st.status !== 'disengaging') break;
      st.status = st.leftReason === 'max lifetime reached' ? 'expired' : 'done';
      st.engagement = undefined;
      const detail = { ...(event.error ? { error: event.error } : {}), ...(st.verified?.counters ? { counters: st.verified.counters } : {}) };
      out.push({ type: 'audit', action: 'stage.disengaged', stage: st.index, reason: st.leftReason, ...(Object.keys(detail).length > 0 ? { detail } : {}) });
      break;
    }
    case 'verified':
      onVerified(state, event.stage, event.status, now, out);
      break;
    case 'approved': {
      const st = state.stages.find((s) => s.status === 'awaiting-approval');
      if (st === undefined) break;
      st.approvedBy = event.user;
      out.push({ type: 'audit', action: 'approval.granted', stage: st.index, actor: event.user.includes(':') ? event.user : `user:${event.user}` });
      engage(state, st.index, now, out);
      break;
    }
    case 'tick':
      if (event.rates !== undefined) state.rates = event.rates;
      onTick(state, now, settings, out);
      break;
    case 'stop-all':
      onStopAll(state, event.actor, out);
      break;
  }
  maybeEnd(state, now, out);
  return { state, commands: out };
}

function enterStage(state: MitigationState, index: number, reason: string, now: number, out: Command[]): void {
  const st = state.stages[index];
  if (st === undefined || ACTIVE.includes(st.status)) return;
  const from = state.top;
  state.top = index;
  if (from >= 0 && index > from) out.push({ type: 'notify', notice: 'attack.escalated', stage: index, from, reason });
  else if (from < 0 && index > 0) out.push({ type: 'notify', notice: 'attack.escalated', stage: index, reason });
  if (index > from) out.push({ type: 'audit', action: from >= 0 ? 'escalated' : 'stage.selected', stage: index, reason, ...(from >= 0 ? { detail: { from } } : {}) });
  st.error = undefined;
  st.repairs = 0;
  st.leftReason = undefined;
  if (state.mode === 'approve') {
    const runbook = state.runbook;
    st.status = 'awaiting-approval';
    st.approvalExpiresAt = now + runbook.approval.timeoutSeconds * 1000;
    out.push({ type: 'audit', action: 'approval.requested', stage: index, reason, detail: { expiresAt: st.approvalExpiresAt } });
    out.push({ type: 'notify', notice: 'approval.needed', stage: index, reason, expiresAt: st.approvalExpiresAt });
    return;
  }
  engage(state, index, now, out);
}

function engage(state: MitigationState, index: number, _now: number, out: Command[]): void {
  const st = state.stages[index]!;
  st.status = 'engaging';
  st.attempts++;
  out.push({ type: 'engage', stage: index });
}

function onEngaged(state: MitigationState, index: number, engagement: Engagement, now: number, out: Command[]): void {
  const st = state.stages[index];
  if (st === undefined) return;
  if (st.status !== 'engaging' || state.phase === 'stopped' || state.phase === 'ended') {
    // The engagement came back after the mitigation was stopped or the stage given up: undo it at once.
    st.engagement = engagement;
    st.status = 'disengaging';
    st.leftReason = state.phase === 'stopped' ? 'stop-all' : 'engaged after the stage was left';
    out.push({ type: 'disengage', stage: index, reason: st.leftReason });
    return;
  }
  st.status = 'engaged';
  st.engagement = engagement;
  st.engagedAt = now;
  st.since = now;
  st.lastVerifiedAt = now;
  st.rateAtEngage = attackRate(state);
  st.worked = true;
  out.push({ type: 'audit', action: 'stage.engaged', stage: index, resource: engagement.id, reason: engagement.summary });
  out.push({ type: 'notify', notice: 'tier.engaged', stage: index, summary: engagement.summary });
  if (!stageEscalation(state.runbook, index).keepLowerStages) {
    for (const lower of state.stages) {
      if (lower.index < index && lower.status === 'engaged') leave(lower, 'replaced by a higher stage', out);
    }
  }
}

function onEngageFailed(state: MitigationState, index: number, error: StageError, now: number, out: Command[]): void {
  const st = state.stages[index];
  if (st === undefined || st.status !== 'engaging') return;
  st.status = error.guardrail !== undefined ? 'refused' : 'failed';
  st.error = error;
  st.since = now;
  st.worked = false;
  out.push({ type: 'audit', action: error.guardrail !== undefined ? 'stage.refused' : 'stage.failed', stage: index, reason: `${error.code}: ${error.message}`, ...(error.guardrail ? { detail: { guardrail: error.guardrail } } : {}) });
  out.push({ type: 'notify', notice: 'mitigation.failed', stage: index, error });
  if (state.phase === 'active' && stageEscalation(state.runbook, index).onFailure && index === state.top) {
    escalate(state, `stage ${st.name} ${st.status === 'refused' ? 'was refused' : 'failed'} (${error.code})`, now, out);
  }
}

function onVerified(state: MitigationState, index: number, status: EngagementStatus, now: number, out: Command[]): void {
  const st = state.stages[index];
  if (st === undefined || st.status !== 'engaged') return;
  const previous = st.verified?.state;
  st.verified = status;
  st.lastVerifiedAt = now;
  if (status.state === 'active') {
    if (previous !== undefined && previous !== 'active') out.push({ type: 'audit', action: 'stage.verified', stage: index, reason: 'active again' });
    return;
  }
  if (status.state === 'degraded') {
    if (previous !== 'degraded') out.push({ type: 'audit', action: 'stage.degraded', stage: index, reason: status.detail ?? 'the tier reports the mitigation partly in place' });
    return;
  }
  // Gone: repair once (an expired route, a restart that lost it), then treat it as a failed stage.
  if (st.repairs < 1) {
    st.repairs++;
    st.engagement = undefined;
    out.push({ type: 'audit', action: 'stage.repair', stage: index, reason: status.detail ?? 'the tier reports the mitigation gone' });
    st.status = 'engaging';
    st.attempts++;
    out.push({ type: 'engage', stage: index });
    return;
  }
  st.status = 'failed';
  st.worked = false;
  st.since = now;
  st.engagement = undefined;
  const error: StageError = { code: 'BW_ERR_MITIGATION_GONE', message: status.detail ?? 'the tier reports the mitigation gone again after a repair' };
  st.error = error;
  out.push({ type: 'audit', action: 'stage.failed', stage: index, reason: `${error.code}: ${error.message}` });
  out.push({ type: 'notify', notice: 'mitigation.failed', stage: index, error });
  if (state.phase === 'active' && stageEscalation(state.runbook, index).onFailure && index === state.top) {
    escalate(state, `stage ${st.name} is gone`, now, out);
  }
}

function onAttackEnded(state: MitigationState, event: Extract<MachineEvent, { type: 'attack.ended' }>, now: number, out: Command[]): void {
  state.attack = event.attack;
  for (const st of state.stages) {
    if (st.status === 'awaiting-approval') {
      st.status = 'skipped';
      out.push({ type: 'audit', action: 'approval.cancelled', stage: st.index, reason: 'the attack ended' });
    }
  }
  state.attackEndedAt = now;
  out.push({ type: 'audit', action: 'attack.ended', reason: event.reason });
  if (state.phase === 'active') {
    state.phase = 'cooling';
    state.coolingSince = now;
    state.lastStepDownAt = undefined;
  }
}

function onAttackReturned(state: MitigationState, attack: AttackRecord, now: number, out: Command[]): void {
  state.attack = attack;
  if (!state.attackIds.includes(attack.id)) state.attackIds.push(attack.id);
  if (state.phase !== 'cooling') return;
  state.phase = 'active';
  state.attackEndedAt = undefined;
  state.coolingSince = undefined;
  state.lastStepDownAt = undefined;
  state.exhausted = false;
  out.push({ type: 'audit', action: 'attack.returned', reason: `attack ${attack.id} on the same target and vector while cooling` });
  for (const st of state.stages) if (st.status === 'engaged') st.since = now;
  const engaged = highest(state, ['engaged', 'engaging']);
  const worked = lastWorkingStage(state);
  state.top = engaged;
  if (worked > engaged) enterStage(state, worked, `the attack returned; stage ${state.stages[worked]!.name} worked`, now, out);
  else if (engaged < 0) enterStage(state, 0, 'the attack returned', now, out);
}

function onTick(state: MitigationState, now: number, settings: MachineSettings, out: Command[]): void {
  for (const st of state.stages) {
    if (st.status === 'awaiting-approval' && st.approvalExpiresAt !== undefined && now >= st.approvalExpiresAt) {
      if (state.runbook.approval.onTimeout === 'engage') {
        out.push({ type: 'audit', action: 'approval.timeout', stage: st.index, reason: 'no approval in time; engaging as the runbook says' });
        engage(state, st.index, now, out);
      } else {
        st.status = 'skipped';
        st.since = now;
        const error: StageError = { code: 'BW_ERR_MITIGATION_APPROVAL_TIMEOUT', message: `no approval within ${state.runbook.approval.timeoutSeconds} s; the stage was not engaged` };
        st.error = error;
        out.push({ type: 'audit', action: 'approval.timeout', stage: st.index, reason: error.message });
        out.push({ type: 'notify', notice: 'mitigation.failed', stage: st.index, error });
      }
    }
    if (st.status === 'engaged' && st.engagedAt !== undefined) {
      const lifetime = state.runbook.stages[st.index]!.maxLifetimeSeconds * 1000;
      if (now - st.engagedAt >= lifetime) {
        leave(st, 'max lifetime reached', out);
        out.push({ type: 'notify', notice: 'attack.deescalated', from: st.index, stage: st.index, reason: 'max lifetime reached' });
        if (state.top === st.index) state.top = highest(state, ['engaged']);
        continue;
      }
      if (now - (st.lastVerifiedAt ?? st.engagedAt) >= settings.verifyIntervalMs) {
        st.lastVerifiedAt = now;
        out.push({ type: 'verify', stage: st.index });
      }
    }
  }
  if (state.phase === 'active') checkEscalation(state, now, out);
  if (state.phase === 'cooling') checkStepDown(state, now, out);
}

function checkEscalation(state: MitigationState, now: number, out: Command[]): void {
  if (state.top < 0 || state.stages.some((s) => s.status === 'engaging' || s.status === 'awaiting-approval' || s.status === 'disengaging')) return;
  const st = state.stages[state.top]!;
  if (st.since === undefined || !['engaged', 'failed', 'refused', 'skipped'].includes(st.status)) return;
  const esc = stageEscalation(state.runbook, st.index);
  const elapsed = now - st.since;
  if (esc.afterSeconds > 0 && elapsed >= esc.afterSeconds * 1000) {
    escalate(state, `the attack is still active ${Math.round(elapsed / 1000)} s after stage ${st.name}`, now, out);
    return;
  }
  if (st.status !== 'engaged') return;
  const rates = state.rates ?? state.attack.rates;
  const above = esc.rateAbove;
  if (above !== undefined && elapsed >= above.afterSeconds * 1000) {
    const over = (above.pps !== undefined && rates.pps > above.pps) || (above.bps !== undefined && rates.bps > above.bps);
    if (over) {
      escalate(state, `the attack rate (${Math.round(rates.pps)} pps, ${Math.round(rates.bps)} bps) is still above the runbook's limit ${above.afterSeconds} s after stage ${st.name}`, now, out);
      return;
    }
  }
  const ne = esc.notEffective;
  if (ne !== undefined && elapsed >= ne.afterSeconds * 1000 && st.rateAtEngage !== undefined && st.rateAtEngage > 0 && st.verified?.state !== 'gone') {
    const reduction = reductionSince(st.rateAtEngage, attackRate(state));
    if (reduction < ne.minReduction) {
      st.worked = false;
      out.push({ type: 'audit', action: 'stage.ineffective', stage: st.index, reason: `the attack rate fell by ${Math.round(reduction * 100)}% (less than ${Math.round(ne.minReduction * 100)}%) in ${ne.afterSeconds} s`, detail: { rateAtEngage: st.rateAtEngage, rateNow: attackRate(state) } });
      escalate(state, `stage ${st.name} is not working: the attack traffic did not drop`, now, out);
    }
  }
}

function escalate(state: MitigationState, reason: string, now: number, out: Command[]): void {
  const next = state.top + 1;
  if (next < state.stages.length) {
    enterStage(state, next, reason, now, out);
    return;
  }
  if (state.exhausted) return;
  state.exhausted = true;
  out.push({ type: 'audit', action: 'runbook.exhausted', reason });
  out.push({ type: 'notify', notice: 'runbook.exhausted', reason });
}

function checkStepDown(state: MitigationState, now: number, out: Command[]): void {
  if (state.stages.some((s) => s.status === 'engaging' || s.status === 'disengaging')) return;
  const since = state.lastStepDownAt ?? state.coolingSince ?? now;
  if (now - since < state.runbook.deescalation.quietSeconds * 1000) return;
  const engaged = state.stages.filter((s) => s.status === 'engaged').reverse();
  if (engaged.length === 0) return;
  const leaving = state.runbook.deescalation.steps === 'all' ? engaged : engaged.slice(0, 1);
  for (const st of leaving) leave(st, 'the attack stayed away for the quiet period', out);
  const remaining = highest(state, ['engaged']);
  out.push({ type: 'notify', notice: 'attack.deescalated', from: leaving[0]!.index, stage: remaining >= 0 ? remaining : leaving[0]!.index, reason: remaining >= 0 ? 'quiet period passed; one stage down' : 'quiet period passed; mitigation removed' });
  out.push({ type: 'audit', action: 'deescalated', stage: remaining, reason: `quiet for ${state.runbook.deescalation.quietSeconds} s`, detail: { left: leaving.map((s) => s.index) } });
  state.top = remaining;
  state.lastStepDownAt = now;
}

function onStopAll(state: MitigationState, actor: string, out: Command[]): void {
  if (state.phase === 'stopped' || state.phase === 'ended') return;
  state.phase = 'stopped';
  for (const st of state.stages) {
    if (st.status === 'engaged') leave(st, 'stop-all', out);
    else if (st.status === 'awaiting-approval') st.status = 'skipped';
  }
  out.push({ type: 'audit', action: 'mitigation.stopped', actor, reason: 'stop-all' });
  out.push({ type: 'notify', notice: 'mitigation.stopped', reason: `stop-all by ${actor}` });
}

/** Ends the mitigation once its attack is over and nothing is engaged or in flight. */
function maybeEnd(state: MitigationState, now: number, out: Command[]): void {
  if (state.phase === 'ended' || state.phase === 'active') return;
  if (state.phase === 'stopped' && state.attackEndedAt === undefined) return;
  if (state.stages.some((s) => ACTIVE.includes(s.status))) return;
  const worked = lastWorkingStage(state);
  state.phase = 'ended';
  state.endedAt = now;
  state.top = -1;
  if (worked >= 0) out.push({ type: 'remember', stage: worked });
  out.push({ type: 'audit', action: 'mitigation.ended', reason: 'nothing engaged and the attack is over', ...(worked >= 0 ? { detail: { lastWorkingStage: worked } } : {}) });
  out.push({ type: 'notify', notice: 'mitigation.ended', reason: 'nothing engaged and the attack is over' });
}

function leave(st: StageState, reason: string, out: Command[]): void {
  st.status = 'disengaging';
  st.leftReason = reason;
  out.push({ type: 'disengage', stage: st.index, reason });
}

function highest(state: MitigationState, statuses: readonly StageStatus[]): number {
  for (let i = state.stages.length - 1; i >= 0; i--) if (statuses.includes(state.stages[i]!.status)) return i;
  return -1;
}

/** The highest stage that engaged and was not found failed, gone or ineffective afterwards; -1 if none. */
export function lastWorkingStage(state: MitigationState): number {
  for (let i = state.stages.length - 1; i >= 0; i--) if (state.stages[i]!.worked) return i;
  return -1;
}

/** The attack's current rate in the metric that started it. */
export function attackRate(state: MitigationState): number {
  return rateOf(state.rates ?? state.attack.rates, state.attack.threshold.metric);
}
