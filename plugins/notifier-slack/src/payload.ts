// The Block Kit message for one event, within Slack's documented limits (header text 150 characters,
// section text 3000). `text` is the notification fallback Slack shows where blocks cannot be.
import type { NotificationEvent } from '@breakwater/sdk';
import { escapeSlackMrkdwn, truncate, type RenderedMessage } from '@breakwater/sdk/notify';

export function slackMessage(event: NotificationEvent, message: RenderedMessage): Record<string, unknown> {
  const { view } = message;
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(message.title, 150), emoji: false } },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(message.text, 3000) } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: escapeSlackMrkdwn(`${view.attack.severityLabel} · ${view.event.label} · host group ${view.attack.hostGroup} · ${view.event.at}`),
        },
      ],
    },
  ];
  if (view.link !== '') {
    const button: Record<string, unknown> = { type: 'button', text: { type: 'plain_text', text: 'Open in Breakwater' }, url: view.link };
    if (event.attack.severity === 'critical' || event.type === 'mitigation.failed') button.style = 'danger';
    blocks.push({ type: 'actions', elements: [button] });
  }
  return { text: truncate(escapeSlackMrkdwn(message.title), 3000), blocks };
}
