// The Alert API requests for one notification: create (message ≤ 130, alias ≤ 512, description ≤ 15000,
// details as strings), add note (note ≤ 25000) and close, the latter two by alias (identifierType=alias).
import type { NotificationEvent } from '@breakwater/sdk';
import { truncate, type RenderedMessage } from '@breakwater/sdk/notify';

export type Priority = 'P1' | 'P2' | 'P3' | 'P4' | 'P5';

export interface OpsgenieRequest {
  path: string;
  body: Record<string, unknown>;
}

export interface OpsgenieOptions {
  priorities: Record<string, Priority>;
  responders: { type: string; name: string }[];
  tags: string[];
}

export function alias(event: NotificationEvent): string {
  return event.type === 'notify.test' ? `breakwater-test-${event.id}` : `breakwater-${event.attack.id}`;
}

export function opsgenieRequests(event: NotificationEvent, message: RenderedMessage, options: OpsgenieOptions): OpsgenieRequest[] {
  const id = alias(event);
  const byAlias = (action: 'notes' | 'close') => `/v2/alerts/${encodeURIComponent(id)}/${action}?identifierType=alias`;
  const note = truncate([message.title, message.text, message.view.link].filter((s) => s !== '').join('\n'), 25_000);
  const close: OpsgenieRequest = { path: byAlias('close'), body: { source: 'Breakwater', user: 'Breakwater', note } };
  switch (event.type) {
    case 'attack.detected':
    case 'notify.test': {
      const { view } = message;
      const create: OpsgenieRequest = {
        path: '/v2/alerts',
        body: {
          message: truncate(message.title, 130),
          alias: id,
          description: truncate(message.view.link === '' ? message.text : `${message.text}\n\n${message.view.link}`, 15_000),
          ...(options.responders.length > 0 ? { responders: options.responders } : {}),
          tags: [...options.tags, event.attack.vector],
          details: {
            target: view.attack.target,
            vector: view.attack.vectorLabel,
            rates: view.attack.rates,
            confidence: view.attack.confidence,
            hostGroup: view.attack.hostGroup,
            attackId: event.attack.id,
            ...(view.link !== '' ? { panel: view.link } : {}),
          },
          entity: event.attack.target,
          source: 'Breakwater',
          priority: event.type === 'notify.test' ? 'P5' : (options.priorities[event.attack.severity] ?? 'P3'),
        },
      };
      return event.type === 'notify.test' ? [create, close] : [create];
    }
    case 'attack.ended':
      return [close];
    default:
      return [{ path: byAlias('notes'), body: { source: 'Breakwater', user: 'Breakwater', note } }];
  }
}
