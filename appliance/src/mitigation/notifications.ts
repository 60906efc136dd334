// The mitigation events people are told about, as the notifiers' NotificationEvents (sdk/src/notification.ts):
// a tier engaged, an escalation or step down, a failure or guardrail refusal, an approval that is needed.
// What has no notification type (the runbook ran out, stop-all, the end of a mitigation) is not sent: it is
// logged, audited and on the mitigation bus; the end of the attack itself is notified from detection's event.
// A stage's `notifiers` list names the channels (notify.channels) that get its events; empty lets each
// channel's routing decide.
import type { NotificationEvent, RunbookStage } from '@breakwater/sdk';
import type { MitigationEvent } from './mitigation-events.js';

export interface ChannelNotification {
  event: NotificationEvent;
  /** Exactly these channels, when the runbook stage names some. */
  channels?: string[];
}

/** The notification for a mitigation event, or undefined when people are not told about this kind. */
export function notificationOf(e: MitigationEvent, attackUrl: (attackId: string) => string | undefined): ChannelNotification | undefined {
  const stage = e.stage;
  const url = attackUrl(e.attack.id);
  const base = {
    // Stable for the same event: the outbox de-duplicates on it across retries.
    id: `${e.mitigationId}.${e.type}.${stage?.index ?? '-'}.${e.at}`,
    at: e.at,
    attack: e.attack,
    actions: e.actions,
    ...(url !== undefined ? { attackUrl: url } : {}),
  };
  const channels = e.notifiers.length > 0 ? { channels: [...e.notifiers] } : {};
  if (stage === undefined) return undefined;
  const tier = e.tier ?? '';
  switch (e.type) {
    case 'tier.engaged':
      return { event: { ...base, type: 'tier.engaged', stage, tier, summary: e.summary ?? '' }, ...channels };
    case 'attack.escalated':
      return { event: { ...base, type: 'attack.escalated', stage, reason: e.reason ?? '', ...(e.from !== undefined ? { from: e.from } : {}) }, ...channels };
    case 'attack.deescalated':
      return { event: { ...base, type: 'attack.deescalated', from: e.from ?? stage, stage: stage as RunbookStage, reason: e.reason ?? '' }, ...channels };
    case 'mitigation.failed':
      return {
        event: {
          ...base,
          type: 'mitigation.failed',
          stage,
          tier,
          outcome: e.outcome ?? 'failed',
          error: e.error ?? { code: 'BW_ERR_PLUGIN_HOOK', message: e.reason ?? 'the stage failed' },
          ...(e.guardrail !== undefined ? { guardrail: e.guardrail } : {}),
        },
        ...channels,
      };
    case 'approval.needed':
      return {
        event: { ...base, type: 'approval.needed', stage, tier, reason: e.reason ?? '', ...(e.expiresAt !== undefined ? { expiresAt: e.expiresAt } : {}) },
        ...channels,
      };
    default:
      return undefined;
  }
}
