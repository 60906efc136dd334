// The Events API v2 bodies for one notification: trigger (with payload.summary ≤ 1024, source, severity,
// timestamp, custom_details, links) or resolve (routing_key, dedup_key and event_action only).
import type { NotificationEvent } from '@breakwater/sdk';
import { truncate, type RenderedMessage } from '@breakwater/sdk/notify';

export type PagerDutySeverity = 'info' | 'warning' | 'error' | 'critical';

export function dedupKey(event: NotificationEvent): string {
  // One alert per attack; a test gets its own so that it never touches a real attack's alert.
  return event.type === 'notify.test' ? `breakwater-test-${event.id}` : `breakwater-${event.attack.id}`;
}

export function pagerDutyEvents(event: NotificationEvent, message: RenderedMessage, routingKey: string, severities: Record<string, PagerDutySeverity>): Record<string, unknown>[] {
  const key = dedupKey(event);
  const resolve = { routing_key: routingKey, dedup_key: key, event_action: 'resolve' };
  if (event.type === 'attack.ended') return [resolve];
  const { view } = message;
  const trigger: Record<string, unknown> = {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: key,
    payload: {
      summary: truncate(message.title, 1024),
      source: event.attack.target,
      severity: event.type === 'notify.test' ? 'info' : (severities[event.attack.severity] ?? 'error'),
      timestamp: view.event.at,
      component: view.attack.vectorLabel,
      group: event.attack.hostGroup,
      class: event.type,
      custom_details: {
        message: message.text,
        seen: view.seen,
        done: view.done,
        attack_id: event.attack.id,
        rates: view.attack.rates,
        peak: view.attack.peak,
        confidence: view.attack.confidence,
        ...(view.stage !== undefined ? { stage: view.stage.label } : {}),
        ...(view.tier !== undefined ? { tier: view.tier } : {}),
        ...(view.reason !== undefined ? { reason: view.reason } : {}),
        ...(view.error !== undefined ? { error: `${view.error.code}: ${view.error.message}` } : {}),
      },
    },
    client: 'Breakwater',
  };
  if (view.link !== '') {
    trigger.client_url = view.link;
    trigger.links = [{ href: view.link, text: 'Attack in Breakwater' }];
  }
  return event.type === 'notify.test' ? [trigger, resolve] : [trigger];
}
