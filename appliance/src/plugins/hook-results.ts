// What tier hooks must hand back, checked where it enters the appliance: a plugin's return value is input
// like any other. The value is also copied through JSON, so what the engine stores is plain data that the
// plugin cannot change afterwards, and an in-process plugin returns exactly what an isolated one could.
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Engagement, EngagementStatus, PluginHookName } from '@breakwater/sdk';
import { pluginError } from './plugin-error.js';

export const EngagementSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 500 }),
  summary: Type.String({ maxLength: 2000 }),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export const EngagementStatusSchema = Type.Object({
  state: Type.Union([Type.Literal('active'), Type.Literal('degraded'), Type.Literal('gone')]),
  detail: Type.Optional(Type.String()),
  counters: Type.Optional(
    Type.Object({
      packets: Type.Number({ minimum: 0 }),
      bytes: Type.Number({ minimum: 0 }),
      readAt: Type.Optional(Type.Number()),
    }),
  ),
});

export function checkEngagement(plugin: string, value: unknown): Engagement {
  return checked(plugin, 'engage', EngagementSchema, value, 'an Engagement { id, summary, data? }');
}

export function checkEngagementStatus(plugin: string, value: unknown): EngagementStatus {
  return checked(plugin, 'verify', EngagementStatusSchema, value, "an EngagementStatus { state: 'active' | 'degraded' | 'gone', detail?, counters? }");
}

function checked<T>(plugin: string, hook: PluginHookName, schema: TSchema, value: unknown, what: string): T {
  let copy: unknown;
  try {
    copy = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  } catch (err) {
    throw pluginError('BW_ERR_PLUGIN_HOOK', plugin, hook, [plugin, hook, `returned a value that is not plain JSON (${(err as Error).message})`], err);
  }
  if (!Value.Check(schema, copy)) {
    const first = [...Value.Errors(schema, copy)][0];
    const where = first === undefined ? '' : ` (${first.path || '/'}: ${first.message})`;
    throw pluginError('BW_ERR_PLUGIN_HOOK', plugin, hook, [plugin, hook, `returned ${(JSON.stringify(copy) ?? 'nothing').slice(0, 200)}, not ${what}${where}`]);
  }
  return copy as T;
}
