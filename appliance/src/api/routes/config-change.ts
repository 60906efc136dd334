// How a configuration route changes the configuration: the change goes through the config writer (the whole
// new configuration validated — schema, semantic and runbook checks, and every plugin's settings against its
// plugin's own schema — before the file is atomically replaced), then the running appliance reloads it, and the
// change is audited with its actor. The answer says which sections applied at once and which wait for a
// restart. A refused change throws BW_ERR_CONFIG_INVALID with every problem's path; file and running
// configuration stay as they were.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { ConfigWriter, type ConfigChange, type ConfigDocument } from '../../config/config-writer.js';
import type { ConfigProblem } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { scrubSecrets, type Secret } from '../../config/secret.js';
import { BreakwaterError, isBreakwaterError } from '../../errors.js';
import { pluginSettings } from '../../notify/channels.js';
import { checkConfig, importDefinition } from '../../plugins/definition.js';
import { scanPlugins } from '../../plugins/discovery.js';
import type { PluginManifest } from '../../plugins/manifest.js';
import { pluginDirectories } from '../../plugins/registry.js';
import type { ApiDeps } from '../api-types.js';

export const ConfigChangeResultSchema = Type.Object(
  {
    changed: Type.Array(Type.String(), { description: 'Top-level configuration sections whose content changed.' }),
    applied: Type.Array(Type.String(), { description: 'Sections the running appliance took at once.' }),
    restartNeeded: Type.Array(Type.String(), { description: 'Changed sections that take effect at the next restart.' }),
  },
  { additionalProperties: false },
);

export interface ConfigChangeResult {
  changed: string[];
  applied: string[];
  restartNeeded: string[];
}

const writers = new Map<string, ConfigWriter>();
const sentBodies = new WeakMap<FastifyRequest, unknown>();

/**
 * A preValidation hook that keeps the body as it was sent: validation fills in schema defaults, and a change
 * should write what the person wrote, not every default (nor replace a section they left out with its default).
 */
export async function keepSentBody(request: FastifyRequest): Promise<void> {
  sentBodies.set(request, structuredClone(request.body));
}

/** The body as sent (keepSentBody must be the route's preValidation hook). */
export function sentBody<T>(request: FastifyRequest): T {
  if (!sentBodies.has(request)) throw new Error('sentBody() needs keepSentBody as the route\'s preValidation hook');
  return sentBodies.get(request) as T;
}

function writerFor(deps: ApiDeps, what: string): ConfigWriter {
  if (deps.configPath === undefined) throw new BreakwaterError('BW_ERR_CONFIG_NO_FILE', [what]);
  let writer = writers.get(deps.configPath);
  if (writer === undefined) {
    writer = new ConfigWriter(deps.configPath);
    writers.set(deps.configPath, writer);
  }
  return writer;
}

/** The configuration file's document (secrets in clear: for building a change, never for an answer). */
export async function readDocument(deps: ApiDeps, what: string): Promise<ConfigDocument> {
  return writerFor(deps, what).read();
}

let changing: Promise<unknown> = Promise.resolve();

/**
 * Validates, writes, reloads and audits one change; `what` names it in the audit trail ("runbooks"). Changes
 * go one at a time, write and reload together, so the running configuration is always the file's latest.
 */
export function changeConfiguration(deps: ApiDeps, request: FastifyRequest, what: string, change: ConfigChange): Promise<ConfigChangeResult> {
  const next = changing.catch(() => undefined).then(() => writeAndReload(deps, request, what, change));
  changing = next;
  return next;
}

async function writeAndReload(deps: ApiDeps, request: FastifyRequest, what: string, change: ConfigChange): Promise<ConfigChangeResult> {
  const writer = writerFor(deps, what);
  let result;
  try {
    result = await writer.update(change, (config) => checkPluginSettings(config));
  } catch (err) {
    if (isBreakwaterError(err, 'BW_ERR_CONFIG_INVALID')) deps.auditChange(request, 'config.refused', { resource: what, reason: err.message });
    throw err;
  }
  if (!result.written) return { changed: [], applied: [], restartNeeded: [] };
  const reloaded = await deps.appliance.reload(result.config);
  const applied = reloaded.applied.filter((s) => result.changed.includes(s));
  const restartNeeded = result.changed.filter((s) => !applied.includes(s));
  deps.auditChange(request, 'config.changed', { resource: what, detail: { changed: result.changed, applied, restartNeeded } });
  return { changed: result.changed, applied, restartNeeded };
}

/**
 * Every plugin's settings (plugins.settings) and every notification channel's (notify.channels: config and
 * secrets) against its plugin's configSchema. Plugins that are not installed are not checked here: the
 * appliance reports them at start, as it always has.
 */
export async function checkPluginSettings(config: Config): Promise<ConfigProblem[]> {
  const wanted = new Set([...Object.keys(config.plugins.settings), ...Object.values(config.notify.channels).map((c) => c.plugin)]);
  if (wanted.size === 0) return [];
  const manifests = new Map<string, PluginManifest>();
  for (const s of await scanPlugins(pluginDirectories(config.plugins, config.dataDir))) if (s.manifest !== undefined && wanted.has(s.manifest.name)) manifests.set(s.manifest.name, s.manifest);
  const problems: ConfigProblem[] = [];
  const check = async (name: string, settings: unknown, path: string, secrets: readonly Secret[] = []) => {
    const manifest = manifests.get(name);
    if (manifest === undefined) return;
    try {
      checkConfig(await importDefinition(manifest), settings);
    } catch (err) {
      // A channel's secrets are in its settings: they must not come back inside a message.
      problems.push({ path, message: scrubSecrets(err instanceof Error ? err.message : String(err), secrets) });
    }
  };
  for (const [name, s] of Object.entries(config.plugins.settings)) if (s.enabled && Object.keys(s.config).length > 0) await check(name, s.config, `/plugins/settings/${name}/config`);
  for (const [channel, c] of Object.entries(config.notify.channels)) if (c.enabled) await check(c.plugin, pluginSettings(c), `/notify/channels/${channel}`, Object.values(c.secrets));
  return problems;
}
