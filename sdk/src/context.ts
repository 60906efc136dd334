// What a plugin is given at create(): a typed context with narrow services, never the raw appliance
// (backstage's model). Everything on it is scoped to the one plugin: its name in the logger and the metrics,
// its own validated config, a signal that aborts when the plugin is stopped.
import type { BgpFacade } from './bgp-facade.js';
import type { FirewallFacade } from './firewall-facade.js';
import type { PluginLogger } from './logger.js';
import type { PluginMetrics } from './metrics.js';

export interface PluginContext<Config> {
  /** The plugin's name (its package name). */
  readonly name: string;
  readonly log: PluginLogger;
  /** The plugin's settings, validated against its configSchema with defaults filled in. */
  readonly config: Readonly<Config>;
  readonly metrics: PluginMetrics;
  /** Aborts when the plugin is being stopped (shutdown, unload): end timers, close connections. */
  readonly signal: AbortSignal;
}

export interface TierContext<Config> extends PluginContext<Config> {
  readonly bgp: BgpFacade;
  readonly firewall: FirewallFacade;
}

/** A notifier only reports: it gets no way to change the network. */
export type NotifierContext<Config> = PluginContext<Config>;
