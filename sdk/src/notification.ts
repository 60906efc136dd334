// The notification event: what a notifier plugin is told, at every stage of an attack's life. One model for
// every stage (detected, a tier engaged, escalated, stepped down, a mitigation failed or was refused by a
// guardrail, an approval is needed, ended with a summary), so that one template and one routing rule can
// cover them all. Each event carries the whole attack record (what was seen), the actions taken so far (what
// was done) and the link to the attack in the web panel. Plain JSON data: it is stored in the appliance's
// outbox and may cross to an isolated plugin's process unchanged. This module owns only the types.
import type { AttackRecord, Rates, Share } from './attack.js';
import type { RunbookStage } from './tier.js';

export const NOTIFICATION_EVENT_TYPES = [
  'attack.detected',
  'tier.engaged',
  'attack.escalated',
  'attack.deescalated',
  'mitigation.failed',
  'approval.needed',
  'attack.ended',
  /** Sent by `breakwater notify test CHANNEL` only: proves a channel delivers, about no real attack. */
  'notify.test',
] as const;

export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];

/** One thing Breakwater did (or failed to do) about an attack, for people to read. */
export interface ActionTaken {
  /** ms since the epoch. */
  at: number;
  /** The tier plugin's name. */
  tier: string;
  stage: RunbookStage;
  outcome: 'engaged' | 'disengaged' | 'failed' | 'refused';
  /** The Engagement's one-line summary, or why it failed. */
  summary: string;
}

/** What an ended attack amounted to. */
export interface AttackSummary {
  /** endedAt - startedAt. */
  durationMs: number;
  peak: Rates;
  /** The attack's traffic vectors by share (profile.vectors at the end). */
  vectors: Share<string>[];
}

interface NotificationBase {
  /** Unique per event and stable across retries: a receiver de-duplicates on it. */
  id: string;
  /** When it happened, ms since the epoch. */
  at: number;
  /** What was seen. */
  attack: AttackRecord;
  /** What was done so far, oldest first (empty before any tier engaged). */
  actions: ActionTaken[];
  /** The attack in the web panel (notify.panelUrl + /attacks/ID); absent when no panel URL is configured. */
  attackUrl?: string;
}

export interface AttackDetectedNotification extends NotificationBase {
  type: 'attack.detected';
}

export interface TierEngagedNotification extends NotificationBase {
  type: 'tier.engaged';
  stage: RunbookStage;
  tier: string;
  /** The Engagement's summary. */
  summary: string;
}

export interface AttackEscalatedNotification extends NotificationBase {
  type: 'attack.escalated';
  /** The stage left; absent when the runbook starts above its first stage. */
  from?: RunbookStage;
  stage: RunbookStage;
  reason: string;
}

export interface AttackDeescalatedNotification extends NotificationBase {
  type: 'attack.deescalated';
  from: RunbookStage;
  stage: RunbookStage;
  reason: string;
}

export interface MitigationFailedNotification extends NotificationBase {
  type: 'mitigation.failed';
  stage: RunbookStage;
  tier: string;
  /** failed: the tier tried and failed; refused: a guardrail stopped it before it ran. */
  outcome: 'failed' | 'refused';
  /** The guardrail that refused, when outcome is refused. */
  guardrail?: string;
  error: { code: string; message: string };
}

export interface ApprovalNeededNotification extends NotificationBase {
  type: 'approval.needed';
  stage: RunbookStage;
  tier: string;
  reason: string;
  /** Where an operator approves (the panel); absent without a panel URL. */
  approveUrl?: string;
  /** When the request lapses, ms since the epoch. */
  expiresAt?: number;
}

export interface AttackEndedNotification extends NotificationBase {
  type: 'attack.ended';
  reason: 'quiet' | 'expired' | 'manual';
  summary: AttackSummary;
}

export interface NotifyTestNotification extends NotificationBase {
  type: 'notify.test';
  /** The channel being tested. The attack is an example (TEST-NET address), not a real one. */
  channel: string;
}

export type NotificationEvent =
  | AttackDetectedNotification
  | TierEngagedNotification
  | AttackEscalatedNotification
  | AttackDeescalatedNotification
  | MitigationFailedNotification
  | ApprovalNeededNotification
  | AttackEndedNotification
  | NotifyTestNotification;
