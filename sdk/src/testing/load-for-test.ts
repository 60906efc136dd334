// Loads a plugin definition the way the appliance does (API version check, config validated against the
// plugin's own schema with defaults, create, then start), but onto a fake context. A failure comes out as the
// same PluginError code the appliance would refuse the plugin with.
import { PLUGIN_API_VERSION } from '../api-version.js';
import { checkPluginConfig } from '../config-schema.js';
import { PluginError, type PluginLoadStep, type PluginStage } from '../errors.js';
import type { NotifierDefinition, NotifierHooks } from '../notifier.js';
import type { TierDefinition, TierHooks } from '../tier.js';
import type { PluginConfigSchema, ConfigOf } from '../config-schema.js';
import { createFakeNotifierContext, createFakeTierContext, type FakeContextOptions, type FakeNotifierContext, type FakeTierContext } from './fake-context.js';

export type LoadOptions = Omit<FakeContextOptions<unknown>, 'config'> & {
  /** The operator's settings before validation; omitted means {} (the schema's defaults). */
  config?: unknown;
};

export interface LoadedTier<S extends PluginConfigSchema> {
  hooks: TierHooks;
  ctx: FakeTierContext<ConfigOf<S>>;
}

export interface LoadedNotifier<S extends PluginConfigSchema> {
  hooks: NotifierHooks;
  ctx: FakeNotifierContext<ConfigOf<S>>;
}

export async function loadTier<S extends PluginConfigSchema>(definition: TierDefinition<S>, options: LoadOptions = {}): Promise<LoadedTier<S>> {
  const config = checkedConfig(definition, options.config);
  const ctx = createFakeTierContext({ ...options, name: options.name ?? definition.name, config });
  const hooks = step(definition.name, 'create', () => definition.create(ctx));
  await startHooks(definition.name, hooks, ctx.signal);
  return { hooks, ctx };
}

export async function loadNotifier<S extends PluginConfigSchema>(definition: NotifierDefinition<S>, options: LoadOptions = {}): Promise<LoadedNotifier<S>> {
  const config = checkedConfig(definition, options.config);
  const ctx = createFakeNotifierContext({ ...options, name: options.name ?? definition.name, config });
  const hooks = step(definition.name, 'create', () => definition.create(ctx));
  await startHooks(definition.name, hooks, ctx.signal);
  return { hooks, ctx };
}

function checkedConfig<S extends PluginConfigSchema>(definition: { name: string; apiVersion: number; configSchema: S }, input: unknown): ConfigOf<S> {
  if (definition.apiVersion !== PLUGIN_API_VERSION) {
    throw new PluginError('BW_ERR_PLUGIN_API_VERSION', `plugin ${definition.name} is for plugin API ${definition.apiVersion}; this SDK is API ${PLUGIN_API_VERSION}`, { plugin: definition.name, hook: 'import' });
  }
  const result = checkPluginConfig(definition.configSchema, input);
  if (!result.ok) {
    const problems = result.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new PluginError('BW_ERR_PLUGIN_CONFIG', `plugin ${definition.name} configuration is invalid: ${problems}`, { plugin: definition.name, hook: 'config' });
  }
  return result.config;
}

async function startHooks(plugin: string, hooks: { start?(signal: AbortSignal): void | Promise<void> }, signal: AbortSignal): Promise<void> {
  if (hooks.start === undefined) return;
  try {
    await hooks.start(signal);
  } catch (cause) {
    throw wrapped(plugin, 'start', cause);
  }
}

function step<T>(plugin: string, hook: PluginLoadStep, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    throw wrapped(plugin, hook, cause);
  }
}

function wrapped(plugin: string, hook: PluginStage, cause: unknown): PluginError {
  return new PluginError('BW_ERR_PLUGIN_LOAD', `plugin ${plugin} failed in ${hook}: ${cause instanceof Error ? cause.message : String(cause)}`, { plugin, hook, cause });
}
