// What the mitigation engine tells the rest of the appliance, on its own typed bus next to the attack bus: a
// stage engaged, an escalation or step down, a failure or a guardrail refusal, an approval that is needed, a
// runbook with no stage left, "stop all", the end of a mitigation. The notifier outbox turns these into
// NotificationEvents for notifier plugins (the field names are theirs: stage, tier, summary, outcome,
// guardrail, error, expiresAt, actions) and routes them, honouring the stage's `notifiers` list; the panel
// reads them. Plain JSON data, like attack events.
import type { ActionTaken, AttackRecord, RunbookStage } from '@breakwater/sdk';
import { EventBus } from '../bus/event-bus.js';
import type { MitigationNotice } from './escalation-machine.js';

export interface MitigationEvent {
  type: MitigationNotice;
  /** ms since the epoch (the engine's clock). */
  at: number;
  /** The mitigation (its first attack's id). */
  mitigationId: string;
  /** The latest record of the attack. */
  attack: AttackRecord;
  runbook: string;
  /** The stage the event is about (engaged, failed, awaiting approval, escalated to, stepped down to). */
  stage?: RunbookStage;
  /** The stage left (escalated or stepped down from). */
  from?: RunbookStage;
  /** The tier plugin of `stage`. */
  tier?: string;
  /** The Engagement's summary (tier.engaged). */
  summary?: string;
  reason?: string;
  /** mitigation.failed: the tier failed, or a guardrail refused before or while it ran. */
  outcome?: 'failed' | 'refused';
  guardrail?: string;
  error?: { code: string; message: string };
  /** approval.needed: when the request lapses. */
  expiresAt?: number;
  /** The notifier plugins the runbook stage names (empty: the outbox's routing decides). */
  notifiers: string[];
  /** What was done so far, oldest first. */
  actions: ActionTaken[];
}

export type MitigationBus = EventBus<MitigationEvent>;

export function createMitigationBus(onHandlerError?: (err: unknown, event: MitigationEvent) => void): MitigationBus {
  return new EventBus<MitigationEvent>(onHandlerError);
}
