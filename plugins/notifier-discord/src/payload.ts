// The Execute Webhook body for one event, within Discord's embed limits (title 256, description 4096, field
// value 1024, 25 fields, 6000 characters in all).
import type { NotificationEvent, Severity } from '@breakwater/sdk';
import { escapeMarkdown, truncate, type RenderedMessage } from '@breakwater/sdk/notify';

const COLORS: Record<Severity, number> = { low: 0x3498db, medium: 0xf1c40f, high: 0xe67e22, critical: 0xe74c3c };
const ENDED = 0x2ecc71;

export function discordMessage(event: NotificationEvent, message: RenderedMessage, username: string): Record<string, unknown> {
  const { view } = message;
  const field = (name: string, value: string) => ({ name, value: truncate(escapeMarkdown(value), 1024), inline: true });
  const embed: Record<string, unknown> = {
    title: truncate(message.title, 256),
    description: truncate(message.text, 4096),
    color: event.type === 'attack.ended' ? ENDED : COLORS[event.attack.severity],
    timestamp: view.event.at,
    fields: [field('Target', view.attack.target), field('Vector', view.attack.vectorLabel), field('Rate', view.attack.rates), field('Severity', view.attack.severityLabel)],
    footer: { text: `Breakwater · ${view.event.label}` },
  };
  if (view.link !== '') embed.url = view.link;
  return { username, allowed_mentions: { parse: [] }, embeds: [embed] };
}
