// Which channels take an event: by the event's type, the attack's severity and the runbook stage the event
// is about, as each channel's settings say. Pure: the outbox applies the rules that need its history
// (de-duplication, the rate limit, whether a channel was told about the attack at all).
import type { NotificationEvent, Severity } from '@breakwater/sdk';

export interface RouteRule {
  minSeverity: Severity;
  events: readonly string[];
  /** 1-based, as runbook stages are counted in the configuration. */
  minStage: number;
}

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** The runbook stage an event is about (1-based), when it is about one. */
export function stageNumber(event: NotificationEvent): number | undefined {
  return 'stage' in event ? event.stage.index + 1 : undefined;
}

/** A test message is never routed: it goes to the one channel it tests. */
export function channelTakes(rule: RouteRule, event: NotificationEvent): boolean {
  if (event.type === 'notify.test') return false;
  if (!rule.events.includes(event.type)) return false;
  if (RANK[event.attack.severity] < RANK[rule.minSeverity]) return false;
  const stage = stageNumber(event);
  return stage === undefined || stage >= rule.minStage;
}

/**
 * The key under which repeats of "the same event" are recognised within a channel's de-duplication window:
 * the same attack at the same stage of its life (and, where it matters, the same stage, tier and error).
 */
export function dedupKey(event: NotificationEvent): string {
  const a = event.attack.id;
  switch (event.type) {
    case 'attack.detected':
    case 'attack.ended':
      return `${a}|${event.type}`;
    case 'tier.engaged':
    case 'approval.needed':
      return `${a}|${event.type}|${event.stage.index}|${event.tier}`;
    case 'attack.escalated':
    case 'attack.deescalated':
      return `${a}|${event.type}|${event.stage.index}`;
    case 'mitigation.failed':
      return `${a}|${event.type}|${event.stage.index}|${event.tier}|${event.error.code}`;
    case 'notify.test':
      return `test|${event.id}`;
  }
}
