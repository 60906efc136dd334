// OpsGenie notifier (Alert API v2): one alert per attack, with the alias "breakwater-ATTACK_ID". The attack
// being detected creates it; a tier engaging, escalation, stepping down, a failure or an approval request
// adds a note to it; the attack's end closes it (both addressed by alias). A test message creates a P5 alert
// and closes it at once. The API key (of an API integration) is the secret.
import { defineNotifier, Type } from '@breakwater/sdk';
import { createMessageRenderer, escapePlain, sendToProvider, TemplateOverridesSchema } from '@breakwater/sdk/notify';
import { opsgenieRequests, type Priority } from './payload.js';

const PriorityLiteral = Type.Union(['P1', 'P2', 'P3', 'P4', 'P5'].map((p) => Type.Literal(p)));

const configSchema = Type.Object(
  {
    apiKey: Type.String({ minLength: 1, description: 'The API key of an OpsGenie API integration: a secret.' }),
    baseUrl: Type.String({ format: 'uri', default: 'https://api.opsgenie.com', description: 'The API host (EU accounts: https://api.eu.opsgenie.com).' }),
    priorities: Type.Object(
      { low: PriorityLiteral, medium: PriorityLiteral, high: PriorityLiteral, critical: PriorityLiteral },
      { additionalProperties: false, default: { low: 'P4', medium: 'P3', high: 'P2', critical: 'P1' }, description: 'Alert priority for each attack severity.' },
    ),
    responders: Type.Array(
      Type.Object({ type: Type.Union([Type.Literal('team'), Type.Literal('user'), Type.Literal('escalation'), Type.Literal('schedule')]), name: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
      { default: [], maxItems: 50, description: 'Who the alert goes to; empty: the integration\'s own routing.' },
    ),
    tags: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { default: ['breakwater', 'ddos'], maxItems: 20 }),
    templates: TemplateOverridesSchema,
  },
  { additionalProperties: false },
);

export default defineNotifier({
  name: '@breakwater/notifier-opsgenie',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    const render = createMessageRenderer({ overrides: ctx.config.templates, escape: escapePlain });
    const sent = ctx.metrics.counter('requests_sent_total', 'requests OpsGenie accepted');
    const headers = { 'content-type': 'application/json', authorization: `GenieKey ${ctx.config.apiKey}` };
    const options = { priorities: ctx.config.priorities as Record<string, Priority>, responders: ctx.config.responders, tags: ctx.config.tags };
    return {
      async notify(event, signal) {
        for (const request of opsgenieRequests(event, render(event), options)) {
          await sendToProvider({ provider: 'OpsGenie', url: new URL(request.path, ctx.config.baseUrl), headers, body: JSON.stringify(request.body), signal });
          sent.inc();
        }
      },
    };
  },
});
