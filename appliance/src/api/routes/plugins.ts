// Plugins: every plugin found (loaded, refused, disabled) with its settings (secret-named keys masked), and
// replacing one plugin's settings (admin): checked against the plugin's own configSchema with the rest of the
// configuration before anything is written. Tier plugins load at start, so the answer says restartNeeded.
import { Type, type Static } from '@sinclair/typebox';
import { BreakwaterError } from '../../errors.js';
import { scanPlugins } from '../../plugins/discovery.js';
import { pluginDirectories } from '../../plugins/registry.js';
import type { RouteModule } from '../api-types.js';
import { ConfigChangeResultSchema, changeConfiguration, keepSentBody, sentBody } from './config-change.js';
import { maskSecrets, restoreMasked } from './masking.js';

const SettingsBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    isolation: Type.Optional(Type.Union([Type.Literal('in-process'), Type.Literal('child')])),
    hookTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600000 })),
    config: Type.Record(Type.String(), Type.Unknown(), { description: "the plugin's own settings, checked against its configSchema" }),
  },
  { additionalProperties: false },
);

const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 214 }) }, { additionalProperties: false });

export const pluginRoutes: RouteModule = (app, deps) => {
  app.get(
    '/plugins',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['configuration'],
        summary: 'Plugins found, their state and settings',
        response: { 200: Type.Object({ plugins: Type.Array(Type.Object({}, { additionalProperties: true })), directories: Type.Array(Type.String()) }, { additionalProperties: false }) },
      },
    },
    async () => {
      const config = deps.config();
      const settings = config.plugins.settings;
      return {
        directories: pluginDirectories(config.plugins, config.dataDir),
        plugins: deps.appliance.plugins.list().map((p) => ({ ...p, settings: maskSecrets(settings[p.name] ?? { enabled: true, config: {} }) })),
      };
    },
  );

  app.put<{ Params: Static<typeof NameParams>; Body: Static<typeof SettingsBody> }>(
    '/plugins/:name/config',
    { config: { role: 'admin' }, preValidation: keepSentBody, schema: { tags: ['configuration'], summary: "Replace one plugin's settings", params: NameParams, body: SettingsBody, response: { 200: ConfigChangeResultSchema } } },
    async (request) => {
      const { name } = request.params;
      const config = deps.config();
      const found = (await scanPlugins(pluginDirectories(config.plugins, config.dataDir))).some((s) => s.manifest?.name === name);
      if (!found) throw new BreakwaterError('BW_ERR_PLUGIN_NOT_FOUND', ['installed', name]);
      return changeConfiguration(deps, request, `plugin ${name}`, (doc) => {
        const plugins = { ...((doc.plugins as Record<string, unknown> | undefined) ?? {}) };
        const settings = (plugins.settings as Record<string, unknown> | undefined) ?? {};
        // Secrets sent back masked (as GET /plugins shows them) keep the configured values.
        plugins.settings = { ...settings, [name]: restoreMasked(sentBody(request), settings[name], `body`) };
        doc.plugins = plugins;
      });
    },
  );
};
