// The webhook message for one event: a `message` activity with one Adaptive Card attachment (schema 1.4,
// which Teams renders), body of TextBlocks and a FactSet, one Action.OpenUrl to the panel.
import type { NotificationEvent } from '@breakwater/sdk';
import { escapeMarkdown, truncate, type RenderedMessage } from '@breakwater/sdk/notify';

export function teamsMessage(event: NotificationEvent, message: RenderedMessage): Record<string, unknown> {
  const { view } = message;
  const fact = (title: string, value: string) => ({ title, value: escapeMarkdown(value) });
  const color = event.type === 'attack.ended' ? 'Good' : event.attack.severity === 'critical' || event.type === 'mitigation.failed' ? 'Attention' : 'Warning';
  const card: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body: [
      { type: 'TextBlock', text: truncate(message.title, 500), weight: 'Bolder', size: 'Medium', color, wrap: true },
      // Markdown takes a blank line as a line break inside one TextBlock.
      { type: 'TextBlock', text: truncate(message.text, 10_000).replace(/\n/g, '\n\n'), wrap: true },
      {
        type: 'FactSet',
        facts: [fact('Target', view.attack.target), fact('Vector', view.attack.vectorLabel), fact('Rate', view.attack.rates), fact('Severity', view.attack.severityLabel), fact('Host group', view.attack.hostGroup)],
      },
    ],
  };
  if (view.link !== '') card.actions = [{ type: 'Action.OpenUrl', title: 'Open in Breakwater', url: view.link }];
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
}
