// The sendMessage request for one event: HTML text (bold title, body, a link to the panel) within Telegram's
// 4096 characters, link previews off. A message too long for that is sent as plain text, cut, rather than
// HTML cut in the middle of a tag.
import type { NotificationEvent, Severity } from '@breakwater/sdk';
import { DeliveryError } from '@breakwater/sdk';
import { escapeHtml, responseError, truncate, type RenderedMessage } from '@breakwater/sdk/notify';

const MAX = 4096;
const ORDER: Record<Severity | 'none', number> = { none: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface TelegramSettings {
  chatId: string;
  messageThreadId?: number;
  silentBelow: 'none' | 'medium' | 'high' | 'critical';
}

export function telegramMessage(event: NotificationEvent, html: RenderedMessage, plain: RenderedMessage, settings: TelegramSettings): Record<string, unknown> {
  const link = html.view.link === '' ? '' : `\n<a href="${escapeHtml(html.view.link)}">Open in Breakwater</a>`;
  let text = `<b>${html.title}</b>\n${html.text}${link}`;
  let parseMode: string | undefined = 'HTML';
  if (Array.from(text).length > MAX) {
    text = truncate(`${plain.title}\n${plain.text}${plain.view.link === '' ? '' : `\n${plain.view.link}`}`, MAX);
    parseMode = undefined;
  }
  return {
    chat_id: settings.chatId,
    ...(settings.messageThreadId !== undefined ? { message_thread_id: settings.messageThreadId } : {}),
    text,
    ...(parseMode !== undefined ? { parse_mode: parseMode } : {}),
    link_preview_options: { is_disabled: true },
    disable_notification: ORDER[event.attack.severity] < ORDER[settings.silentBelow],
  };
}

/** Telegram says how long to wait in the body (parameters.retry_after, seconds); prefer it to the header. */
export function telegramError(err: unknown): unknown {
  if (!(err instanceof DeliveryError) || err.code !== 'BW_ERR_NOTIFY_RATE_LIMITED') return err;
  const match = /"retry_after"\s*:\s*(\d+)/.exec(err.message);
  if (match === null) return err;
  return responseError('Telegram', 429, new Headers(), err.message.replace(/^Telegram answered 429: /, ''), Date.now, Number(match[1]) * 1000);
}
