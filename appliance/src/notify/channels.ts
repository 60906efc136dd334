// Loads the notifier plugin of each configured channel, one instance per channel (two Slack channels are two
// instances of the Slack plugin with their own settings), through the plugin loader: found by manifest in the
// plugin directories, checked, loaded in-process or in a child process, every call bounded by the channel's
// timeout. The channel's secrets are revealed here, merged into the plugin's settings, and nowhere else. A
// channel whose plugin is missing or refused is reported and kept, so its messages are recorded as failed
// rather than silently dropped.
import type { NotificationEvent } from '@breakwater/sdk';
import type { Config } from '../config/schema.js';
import type { NotifyChannelConfig } from '../config/notify-schema.js';
import { scrubSecrets, type Secret } from '../config/secret.js';
import type { Logger } from '../log.js';
import { scanPlugins } from '../plugins/discovery.js';
import { unconnectedFacades } from '../plugins/facades.js';
import type { PluginManifest } from '../plugins/manifest.js';
import type { PluginHandle } from '../plugins/plugin-handle.js';
import { PluginMetricStore } from '../plugins/plugin-metrics.js';
import { createPluginHandle, pluginDirectories } from '../plugins/registry.js';

export interface LoadedChannel {
  name: string;
  settings: NotifyChannelConfig;
  secrets: Secret[];
  handle?: PluginHandle;
  /** Why the channel cannot deliver: its plugin is missing, not a notifier, or refused while loading. */
  error?: { code: string; message: string };
}

/** The plugin's settings: the channel's config with its secrets revealed. Only ever handed to the plugin. */
export function pluginSettings(channel: NotifyChannelConfig): Record<string, unknown> {
  const revealed = Object.fromEntries(Object.entries(channel.secrets).map(([k, s]) => [k, s.reveal()]));
  return { ...channel.config, ...revealed };
}

/** Loads the named channels (all enabled ones by default), side by side; never throws for one channel. */
export async function loadChannels(
  config: Pick<Config, 'notify' | 'plugins' | 'dataDir'>,
  log: Logger,
  options: { only?: readonly string[]; metrics?: PluginMetricStore } = {},
): Promise<LoadedChannel[]> {
  const wanted = Object.entries(config.notify.channels).filter(([name, c]) => (options.only === undefined ? c.enabled : options.only.includes(name)));
  if (wanted.length === 0) return [];
  const manifests = new Map<string, PluginManifest>();
  for (const s of await scanPlugins(pluginDirectories(config.plugins, config.dataDir))) if (s.manifest !== undefined) manifests.set(s.manifest.name, s.manifest);
  const metrics = options.metrics ?? new PluginMetricStore();
  return Promise.all(
    wanted.map(async ([name, settings]): Promise<LoadedChannel> => {
      const secrets = Object.values(settings.secrets);
      const channel: LoadedChannel = { name, settings, secrets };
      const manifest = manifests.get(settings.plugin);
      if (manifest === undefined || manifest.kind !== 'notifier') {
        const why = manifest === undefined ? `no plugin ${settings.plugin} in ${pluginDirectories(config.plugins, config.dataDir).join(', ')}` : `${settings.plugin} is a ${manifest.kind} plugin, not a notifier`;
        channel.error = { code: 'BW_ERR_NOTIFY_CHANNEL', message: `channel ${name}: ${why}` };
        log.error({ channel: name, plugin: settings.plugin, code: channel.error.code }, channel.error.message);
        return channel;
      }
      const handle = createPluginHandle(
        manifest,
        { config: pluginSettings(settings), hookTimeoutMs: settings.timeoutMs, isolation: settings.isolation ?? config.plugins.isolation, childStartupMs: config.plugins.childStartupMs },
        { log: log.child({ channel: name }), metrics, facades: unconnectedFacades(manifest.name, 'a notifier has no BGP speaker or firewall') },
      );
      try {
        await handle.load();
        channel.handle = handle;
        log.info({ channel: name, plugin: settings.plugin, isolation: handle.isolation }, 'notification channel loaded');
      } catch (err) {
        const e = err as { code?: string; message?: string };
        channel.error = { code: e.code ?? 'BW_ERR_PLUGIN_LOAD', message: scrubSecrets(`channel ${name}: ${e.message ?? String(err)}`, secrets) };
        log.error({ channel: name, plugin: settings.plugin, code: channel.error.code, error: channel.error.message }, 'notification channel refused');
      }
      return channel;
    }),
  );
}

/** The deliver function of a loaded channel: one notify call through the loader. */
export function deliverer(handle: PluginHandle): (event: NotificationEvent) => Promise<void> {
  return async (event) => {
    await handle.call('notify', [event]);
  };
}
