// How a mitigation's state reads from outside: the RunbookStage a tier is handed, the bus event for a machine
// `notify` command, the audit entry for an `audit` command, and the summary `breakwater mitigations list` and
// /health show. Pure functions of the state; nothing here decides or performs anything.
import type { ActionTaken, JsonObject, RunbookStage } from '@breakwater/sdk';
import type { AuditEntry } from '../audit/audit-store.js';
import type { Command, MitigationState, StageStatus } from './escalation-machine.js';
import type { MitigationEvent } from './mitigation-events.js';

/** The stage as the tier sees it. `ttlSeconds` is the lifetime its actions may carry. */
export function runbookStage(state: MitigationState, index: number, maxTtlSeconds: number): RunbookStage {
  const stage = state.runbook.stages[index]!;
  return {
    runbook: state.runbook.name,
    index,
    name: stage.name,
    settings: structuredClone(stage.settings) as JsonObject,
    ttlSeconds: Math.min(stage.maxLifetimeSeconds, maxTtlSeconds),
  };
}

const OUTCOME: Partial<Record<StageStatus, ActionTaken['outcome']>> = {
  engaged: 'engaged',
  disengaging: 'engaged',
  done: 'disengaged',
  expired: 'disengaged',
  failed: 'failed',
  refused: 'refused',
};

/** What was done so far, per stage, oldest first. */
export function actionsTaken(state: MitigationState, maxTtlSeconds: number): ActionTaken[] {
  const out: ActionTaken[] = [];
  for (const st of state.stages) {
    const outcome = OUTCOME[st.status];
    if (outcome === undefined) continue;
    out.push({
      at: st.engagedAt ?? st.since ?? state.startedAt,
      tier: st.tier,
      stage: runbookStage(state, st.index, maxTtlSeconds),
      outcome,
      summary: st.engagement?.summary ?? st.error?.message ?? st.leftReason ?? st.status,
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

export function mitigationEvent(state: MitigationState, command: Extract<Command, { type: 'notify' }>, now: number, maxTtlSeconds: number): MitigationEvent {
  const stageCfg = command.stage !== undefined ? state.runbook.stages[command.stage] : undefined;
  const event: MitigationEvent = {
    type: command.notice,
    at: now,
    mitigationId: state.id,
    attack: state.attack,
    runbook: state.runbook.name,
    notifiers: stageCfg?.notifiers ?? [],
    actions: actionsTaken(state, maxTtlSeconds),
  };
  if (command.stage !== undefined && stageCfg !== undefined) {
    event.stage = runbookStage(state, command.stage, maxTtlSeconds);
    event.tier = stageCfg.tier;
  }
  if (command.from !== undefined && state.runbook.stages[command.from] !== undefined) event.from = runbookStage(state, command.from, maxTtlSeconds);
  if (command.summary !== undefined) event.summary = command.summary;
  if (command.reason !== undefined) event.reason = command.reason;
  if (command.expiresAt !== undefined) event.expiresAt = command.expiresAt;
  if (command.error !== undefined) {
    event.error = { code: command.error.code, message: command.error.message };
    event.outcome = command.error.guardrail !== undefined ? 'refused' : 'failed';
    if (command.error.guardrail !== undefined) event.guardrail = command.error.guardrail;
  }
  return event;
}

export function auditEntry(state: MitigationState, command: Extract<Command, { type: 'audit' }>, now: number): AuditEntry {
  const stage = command.stage !== undefined && command.stage >= 0 ? state.runbook.stages[command.stage] : undefined;
  const entry: AuditEntry = {
    at: now,
    actor: command.actor ?? 'engine',
    action: command.action,
    attackId: state.attack.id,
    target: state.attack.target,
    runbook: state.runbook.name,
  };
  if (stage !== undefined) {
    entry.stage = command.stage;
    entry.stageName = stage.name;
    entry.tier = stage.tier;
  }
  if (command.resource !== undefined) entry.resource = command.resource;
  if (command.reason !== undefined) entry.reason = command.reason;
  const detail = { ...(command.detail ?? {}), ...(state.id !== state.attack.id ? { mitigation: state.id } : {}) };
  if (Object.keys(detail).length > 0) entry.detail = detail;
  return entry;
}

export interface MitigationSummary {
  id: string;
  attackIds: string[];
  target: string;
  vector: string;
  runbook: string;
  mode: string;
  phase: string;
  stage: string | null;
  startedAt: number;
  stages: { index: number; name: string; tier: string; status: StageStatus; engagedAt?: number; approvalExpiresAt?: number; summary?: string; error?: string; verified?: string; counters?: { packets: number; bytes: number } }[];
}

export function summarize(state: MitigationState): MitigationSummary {
  return {
    id: state.id,
    attackIds: [...state.attackIds],
    target: state.attack.target,
    vector: state.attack.vector,
    runbook: state.runbook.name,
    mode: state.mode,
    phase: state.phase,
    stage: state.top >= 0 ? state.stages[state.top]!.name : null,
    startedAt: state.startedAt,
    stages: state.stages.map((s) => ({
      index: s.index,
      name: s.name,
      tier: s.tier,
      status: s.status,
      ...(s.engagedAt !== undefined ? { engagedAt: s.engagedAt } : {}),
      ...(s.status === 'awaiting-approval' && s.approvalExpiresAt !== undefined ? { approvalExpiresAt: s.approvalExpiresAt } : {}),
      ...(s.engagement !== undefined ? { summary: s.engagement.summary } : {}),
      ...(s.error !== undefined ? { error: `${s.error.code}: ${s.error.message}` } : {}),
      ...(s.verified !== undefined ? { verified: s.verified.detail !== undefined ? `${s.verified.state}: ${s.verified.detail}` : s.verified.state } : {}),
      ...(s.verified?.counters !== undefined ? { counters: { packets: s.verified.counters.packets, bytes: s.verified.counters.bytes } } : {}),
    })),
  };
}
