// Default message templates for every event type, the schema of an operator's per-channel overrides, and
// the renderer a notifier builds once (in create, so a broken template refuses the plugin at load rather
// than failing at 3 a.m.) and calls per event with its own escaper.
import { Type, type Static } from '@sinclair/typebox';
import type { NotificationEvent, NotificationEventType } from '../notification.js';
import { compileTemplate, renderTemplate, TemplateError, type CompiledTemplate, type Escaper } from './template.js';
import { notificationView, type NotificationView } from './view.js';

/** A message: a one-line title and a body of a few lines. */
export interface MessageTemplate {
  title: string;
  text: string;
}

export type MessageTemplates = Record<NotificationEventType, MessageTemplate>;

export const DEFAULT_TEMPLATES: MessageTemplates = {
  'attack.detected': {
    title: '[{{attack.severityLabel}}] {{attack.vectorLabel}} attack on {{attack.target}}',
    text: 'Seen: {{seen}}\nDone: {{done}}',
  },
  'tier.engaged': {
    title: '[{{attack.severityLabel}}] Mitigating {{attack.target}}: {{tier}} engaged',
    text: 'Done: {{summary}} ({{stage.label}})\nSeen: {{seen}}',
  },
  'attack.escalated': {
    title: '[{{attack.severityLabel}}] Escalated {{attack.target}} to {{stage.label}}',
    text: 'Why: {{reason}}\nSeen: {{seen}}\nDone: {{done}}',
  },
  'attack.deescalated': {
    title: '[{{attack.severityLabel}}] Stepped down {{attack.target}} to {{stage.label}}',
    text: 'Why: {{reason}}\nSeen: {{seen}}\nDone: {{done}}',
  },
  'mitigation.failed': {
    title: '[{{attack.severityLabel}}] {{headline}}',
    text: 'Why: {{error.message}} ({{error.code}}), at {{stage.label}}\nSeen: {{seen}}\nDone: {{done}}',
  },
  'approval.needed': {
    title: '[{{attack.severityLabel}}] Approval needed: {{tier}} for {{attack.target}}',
    text: 'Why: {{reason}} ({{stage.label}}){{#expiresAt}}; the request lapses at {{expiresAt}}{{/expiresAt}}\nSeen: {{seen}}\nDone: {{done}}',
  },
  'attack.ended': {
    title: '[{{attack.severityLabel}}] Attack on {{attack.target}} ended after {{duration}}',
    text: 'Seen: {{attack.vectorLabel}}, peak {{attack.peak}}; vectors {{vectors}}\nDone: {{done}}',
  },
  'notify.test': {
    title: 'Breakwater test message for channel {{channel}}',
    text: 'This channel works. The attack below is an example, not a real one.\nSeen: {{seen}}',
  },
};

const TemplatePair = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    text: Type.Optional(Type.String({ maxLength: 20000 })),
  },
  { additionalProperties: false },
);

/** The `templates` key of a notifier's settings: overrides by event type, each title and text optional. */
export const TemplateOverridesSchema = Type.Object(
  {
    'attack.detected': Type.Optional(TemplatePair),
    'tier.engaged': Type.Optional(TemplatePair),
    'attack.escalated': Type.Optional(TemplatePair),
    'attack.deescalated': Type.Optional(TemplatePair),
    'mitigation.failed': Type.Optional(TemplatePair),
    'approval.needed': Type.Optional(TemplatePair),
    'attack.ended': Type.Optional(TemplatePair),
    'notify.test': Type.Optional(TemplatePair),
  },
  { additionalProperties: false, default: {}, description: 'Message templates by event type ({ title, text }), replacing the defaults.' },
);

export type TemplateOverrides = Static<typeof TemplateOverridesSchema>;

export interface RenderedMessage {
  title: string;
  text: string;
  view: NotificationView;
}

export type MessageRenderer = (event: NotificationEvent) => RenderedMessage;

/**
 * Compiles the defaults merged with the overrides, once. Throws TemplateError (naming the event type and
 * the offset) when an override does not parse. escape applies to values in the text; titleEscape (default:
 * the same) to values in the title, for channels whose title is plain text.
 */
export function createMessageRenderer(options: {
  overrides?: TemplateOverrides;
  defaults?: Partial<MessageTemplates>;
  escape: Escaper;
  titleEscape?: Escaper;
}): MessageRenderer {
  const compiled = new Map<NotificationEventType, { title: CompiledTemplate; text: CompiledTemplate }>();
  for (const type of Object.keys(DEFAULT_TEMPLATES) as NotificationEventType[]) {
    const base = { ...DEFAULT_TEMPLATES[type], ...options.defaults?.[type] };
    const own = options.overrides?.[type] ?? {};
    const title = own.title ?? base.title;
    const text = own.text ?? base.text;
    try {
      compiled.set(type, { title: compileTemplate(title), text: compileTemplate(text) });
    } catch (err) {
      if (err instanceof TemplateError) throw new TemplateError(`template for ${type}: ${err.message.replace(/ at offset \d+$/, '')}`, err.offset);
      throw err;
    }
  }
  const titleEscape = options.titleEscape ?? options.escape;
  return (event) => {
    const view = notificationView(event);
    const t = compiled.get(event.type)!;
    // A title is one line whatever a template or a value holds.
    return { title: renderTemplate(t.title, view, titleEscape).replace(/\s*\n\s*/g, ' ').trim(), text: renderTemplate(t.text, view, options.escape).trim(), view };
  };
}
