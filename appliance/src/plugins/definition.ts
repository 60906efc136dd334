// The load steps that run a plugin's code, in order: import the entry module and check its default export
// against the manifest, validate the operator's settings against the plugin's configSchema, call create().
// The same functions run in the appliance (in-process plugins) and in a plugin's child process, so a plugin is
// refused for the same reasons, with the same codes, wherever it runs.
import { pathToFileURL } from 'node:url';
import {
  PLUGIN_API_VERSION,
  checkPluginConfig,
  type NotifierContext,
  type NotifierHooks,
  type PluginDefinition,
  type TierContext,
  type TierHooks,
} from '@breakwater/sdk';
import type { PluginManifest } from './manifest.js';
import { provideSdkToPlugins } from './sdk-resolution.js';
import { describeThrown, pluginError } from './plugin-error.js';

/** What the loader needs of a manifest (a child process gets these fields over IPC). */
export type ManifestRef = Pick<PluginManifest, 'name' | 'dir' | 'kind' | 'entry'>;

export type PluginHooks = TierHooks | NotifierHooks;

/** Imports the entry module. Throws BW_ERR_PLUGIN_LOAD (import failed), _MANIFEST or _API_VERSION (wrong export). */
export async function importDefinition(manifest: ManifestRef): Promise<PluginDefinition> {
  let mod: { default?: unknown };
  provideSdkToPlugins();
  try {
    mod = (await import(pathToFileURL(manifest.entry).href)) as { default?: unknown };
  } catch (err) {
    throw pluginError('BW_ERR_PLUGIN_LOAD', manifest.name, 'import', [manifest.name, 'import', describeThrown(err)], err);
  }
  const def = mod.default as Partial<PluginDefinition> | undefined;
  const wrong = (reason: string) => pluginError('BW_ERR_PLUGIN_MANIFEST', manifest.name, 'import', [manifest.name, manifest.dir, reason]);
  if (typeof def !== 'object' || def === null) throw wrong(`entry module has no default export (export default define${manifest.kind === 'tier' ? 'Tier' : 'Notifier'}({...}))`);
  if (def.kind !== manifest.kind) throw wrong(`entry exports a ${String(def.kind)} definition, the manifest says ${manifest.kind}`);
  if (def.name !== manifest.name) throw wrong(`definition name ${JSON.stringify(def.name)} differs from the package name ${JSON.stringify(manifest.name)}`);
  // The definition's API version is what the code was written against; the manifest's is only a claim.
  if (def.apiVersion !== PLUGIN_API_VERSION) {
    throw pluginError('BW_ERR_PLUGIN_API_VERSION', manifest.name, 'import', [manifest.name, JSON.stringify(def.apiVersion ?? null), PLUGIN_API_VERSION, PLUGIN_API_VERSION]);
  }
  if (typeof def.configSchema !== 'object' || def.configSchema === null) throw wrong('definition has no configSchema');
  if (typeof def.create !== 'function') throw wrong('definition has no create function');
  return def as PluginDefinition;
}

/** Validates settings against the plugin's schema, with its defaults. Throws BW_ERR_PLUGIN_CONFIG. */
export function checkConfig(def: PluginDefinition, input: unknown): Record<string, unknown> {
  let result;
  try {
    result = checkPluginConfig(def.configSchema, input);
  } catch (err) {
    throw pluginError('BW_ERR_PLUGIN_LOAD', def.name, 'config', [def.name, 'config', `configSchema does not compile: ${describeThrown(err)}`], err);
  }
  if (!result.ok) {
    const problems = result.problems.map((p) => `${p.path} ${p.message}`).join('; ');
    throw pluginError('BW_ERR_PLUGIN_CONFIG', def.name, 'config', [def.name, def.name, problems]);
  }
  return result.config as Record<string, unknown>;
}

const REQUIRED_HOOKS = { tier: ['engage', 'disengage'], notifier: ['notify'] } as const;
const OPTIONAL_HOOKS = { tier: ['start', 'verify', 'stop'], notifier: ['start', 'stop'] } as const;

/** Calls create() and checks what it returned. Throws BW_ERR_PLUGIN_LOAD naming the create step. */
export function createHooks(def: PluginDefinition, ctx: TierContext<Record<string, unknown>> | NotifierContext<Record<string, unknown>>): PluginHooks {
  let hooks: unknown;
  const refuse = (reason: string, cause?: unknown) => pluginError('BW_ERR_PLUGIN_LOAD', def.name, 'create', [def.name, 'create', reason], cause);
  try {
    hooks = def.kind === 'tier' ? def.create(ctx as TierContext<Record<string, unknown>>) : def.create(ctx);
  } catch (err) {
    throw refuse(describeThrown(err), err);
  }
  if (typeof hooks !== 'object' || hooks === null) throw refuse('create() returned no hooks object');
  // A promise here means create() does I/O: construction must be inert (that work belongs in start).
  if (typeof (hooks as { then?: unknown }).then === 'function') throw refuse('create() returned a promise; return the hooks object and do I/O in start()');
  const table = hooks as Record<string, unknown>;
  for (const hook of REQUIRED_HOOKS[def.kind]) {
    if (typeof table[hook] !== 'function') throw refuse(`create() returned no ${hook} hook`);
  }
  for (const hook of OPTIONAL_HOOKS[def.kind]) {
    if (table[hook] !== undefined && typeof table[hook] !== 'function') throw refuse(`${hook} is not a function`);
  }
  return hooks as PluginHooks;
}
