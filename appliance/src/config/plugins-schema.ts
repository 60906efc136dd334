// The `plugins` configuration section: where plugins are found, how long a hook may take, how each plugin is
// isolated, and each plugin's own settings. A plugin's settings are validated later against the plugin's own
// schema (appliance/src/plugins/definition.ts), so here they are only "an object".
import { Type, type Static } from '@sinclair/typebox';

const Isolation = Type.Union([Type.Literal('in-process'), Type.Literal('child')]);

export const PluginSettingsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'false: found but not loaded.' }),
    isolation: Type.Optional(Type.Union(Isolation.anyOf, { description: 'Overrides plugins.isolation for this plugin.' })),
    hookTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600000, description: 'Overrides plugins.hookTimeoutMs for this plugin.' })),
    config: Type.Record(Type.String(), Type.Unknown(), { default: {}, description: "The plugin's own settings, checked against its configSchema." }),
  },
  // The default lets TypeBox fill in enabled and config inside the settings record (it only visits defaulted values).
  { default: {}, additionalProperties: false },
);

export const PluginsSchema = Type.Object(
  {
    directory: Type.String({
      default: '',
      description: 'Drop-in directory of third-party plugins, one folder (or npm package) each; empty: DATADIR/plugins.',
    }),
    extraDirectories: Type.Array(Type.String(), {
      default: [],
      description: 'Further plugin directories, scanned before the drop-in one (e.g. the first-party plugins shipped with the appliance).',
    }),
    hookTimeoutMs: Type.Integer({
      default: 5000,
      minimum: 100,
      maximum: 600000,
      description: 'How long one plugin hook (start, engage, disengage, verify, notify, stop) may take before it is abandoned.',
    }),
    childStartupMs: Type.Integer({
      default: 10000,
      minimum: 1000,
      maximum: 600000,
      description: 'Time a child-isolated plugin\'s fresh process gets to start Node and import the plugin, on top of hookTimeoutMs for its start hook.',
    }),
    isolation: Type.Union(Isolation.anyOf, {
      default: 'in-process',
      description: '"child" runs each plugin in its own supervised process (see docs/plugins.md, "Isolation").',
    }),
    settings: Type.Record(Type.String(), PluginSettingsSchema, {
      default: {},
      description: 'Per plugin, by package name: enabled, isolation, hookTimeoutMs and config (docs/plugins.md).',
    }),
  },
  { default: {}, additionalProperties: false },
);

export type PluginsConfig = Static<typeof PluginsSchema>;
export type PluginSettings = Static<typeof PluginSettingsSchema>;
export type PluginIsolation = Static<typeof Isolation>;
