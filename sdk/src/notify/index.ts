// @breakwater/sdk/notify: what a notifier plugin needs besides the contract itself: message templates (a safe
// mustache subset) with defaults for every event type, a view of an event in words and numbers, escapers for
// the formats chat services render, and one HTTP call that turns a provider's answer into a DeliveryError the
// outbox understands. A separate entry point, so tiers and the contract (the main entry) do not carry it.
export { compileTemplate, renderTemplate, TemplateError, type CompiledTemplate, type Escaper } from './template.js';
export { escapePlain, escapeHtml, escapeSlackMrkdwn, escapeMarkdown, truncate } from './escape.js';
export { formatBps, formatPps, formatRates, formatShare, formatDuration, vectorLabel } from './format.js';
export { notificationView, type NotificationView, type StageView, type ActionView, type ShareView } from './view.js';
export {
  DEFAULT_TEMPLATES,
  TemplateOverridesSchema,
  createMessageRenderer,
  type MessageTemplate,
  type MessageTemplates,
  type TemplateOverrides,
  type RenderedMessage,
  type MessageRenderer,
} from './messages.js';
export { sendToProvider, responseError, parseRetryAfter, basicAuth, type ProviderRequest, type ProviderResponse } from './http.js';
