// Escapers for the text formats channels render, so a value (a host group name, an error message from a
// tier) is shown as text and never read as markup. Each follows what its provider documents as special.

/** Plain text: nothing is special (PagerDuty, OpsGenie, SMS, the text part of an e-mail). */
export const escapePlain = (text: string): string => text;

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML e-mail, and Telegram's HTML parse mode (which needs &, < and > as entities). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML[c]!);
}

/** Slack mrkdwn: &, < and > are the control characters Slack asks to be escaped as entities. */
export function escapeSlackMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (c) => HTML[c]!);
}

/**
 * Markdown of Discord messages and of Adaptive Card text blocks (a CommonMark subset): a backslash before
 * the characters that open inline formatting or a link keeps them literal.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_~[\]|]/g, (c) => `\\${c}`);
}

/** Shortens text to at most max characters (code points), ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}
