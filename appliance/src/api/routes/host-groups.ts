// Host groups and thresholds, and the protected prefixes guardrail. Host groups (`networks`, `hostGroups` and
// the global thresholds of `detection`) are read by detection at start, so a change answers with
// restartNeeded; protected prefixes (mitigation.guardrails.protectedPrefixes) apply at once.
import { Type, type Static } from '@sinclair/typebox';
import { HostGroupsSchema, NetworksSchema } from '../../config/detection-schema.js';
import type { RouteModule } from '../api-types.js';
import { ConfigChangeResultSchema, changeConfiguration, keepSentBody, sentBody } from './config-change.js';

const ThresholdSets = Type.Object(
  {
    thresholds: Type.Optional(Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }))),
    blockThresholds: Type.Optional(Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }))),
    networkThresholds: Type.Optional(Type.Record(Type.String(), Type.Object({}, { additionalProperties: true }))),
  },
  { additionalProperties: false, description: 'the global thresholds (detection.thresholds, blockThresholds, networkThresholds)' },
);

const HostGroupsBody = Type.Object(
  {
    networks: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9a-fA-F:.]+/[0-9]{1,3}$' }), { description: NetworksSchema.description })),
    hostGroups: HostGroupsSchema,
    defaults: Type.Optional(ThresholdSets),
  },
  { additionalProperties: false },
);

const PrefixesBody = Type.Object({ prefixes: Type.Array(Type.String({ pattern: '^[0-9a-fA-F:.]+/[0-9]{1,3}$' }), { maxItems: 10000 }) }, { additionalProperties: false });

export const hostGroupRoutes: RouteModule = (app, deps) => {
  app.get(
    '/host-groups',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['configuration'],
        summary: 'Protected networks, host groups and the global thresholds',
        response: { 200: Type.Object({ networks: Type.Array(Type.String()), hostGroups: Type.Array(Type.Object({}, { additionalProperties: true })), defaults: ThresholdSets }, { additionalProperties: false }) },
      },
    },
    async () => {
      const c = deps.config();
      return { networks: c.networks, hostGroups: c.hostGroups, defaults: { thresholds: c.detection.thresholds, blockThresholds: c.detection.blockThresholds, networkThresholds: c.detection.networkThresholds } };
    },
  );

  app.put<{ Body: Static<typeof HostGroupsBody> }>(
    '/host-groups',
    { config: { role: 'admin' }, preValidation: keepSentBody, schema: { tags: ['configuration'], summary: 'Replace host groups (and optionally networks and the global thresholds)', body: HostGroupsBody, response: { 200: ConfigChangeResultSchema } } },
    async (request) =>
      changeConfiguration(deps, request, 'host-groups', (doc) => {
        const body = sentBody<Static<typeof HostGroupsBody>>(request);
        doc.hostGroups = body.hostGroups;
        if (body.networks !== undefined) doc.networks = body.networks;
        if (body.defaults !== undefined) {
          const detection = { ...((doc.detection as Record<string, unknown> | undefined) ?? {}) };
          for (const [k, v] of Object.entries(body.defaults)) if (v !== undefined) detection[k] = v;
          doc.detection = detection;
        }
      }),
  );

  app.get(
    '/protected-prefixes',
    { config: { role: 'viewer' }, schema: { tags: ['configuration'], summary: 'Prefixes never blackholed or diverted', response: { 200: Type.Object({ prefixes: Type.Array(Type.String()) }, { additionalProperties: false }) } } },
    async () => ({ prefixes: deps.config().mitigation.guardrails.protectedPrefixes }),
  );

  app.put<{ Body: Static<typeof PrefixesBody> }>(
    '/protected-prefixes',
    { config: { role: 'admin' }, schema: { tags: ['configuration'], summary: 'Replace the protected prefixes (applies at once)', body: PrefixesBody, response: { 200: ConfigChangeResultSchema } } },
    async (request) =>
      changeConfiguration(deps, request, 'protected-prefixes', (doc) => {
        const mitigation = { ...((doc.mitigation as Record<string, unknown> | undefined) ?? {}) };
        mitigation.guardrails = { ...((mitigation.guardrails as Record<string, unknown> | undefined) ?? {}), protectedPrefixes: request.body.prefixes };
        doc.mitigation = mitigation;
      }),
  );
};
