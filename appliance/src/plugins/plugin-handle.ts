// What the registry holds for each loaded plugin, whichever way it runs: in the appliance's process
// (in-process-plugin.ts) or in a supervised child process (child-process-plugin.ts).
import type { Logger } from '../log.js';
import type { PluginIsolation } from '../config/plugins-schema.js';
import type { TierFacades } from './facades.js';
import type { PluginManifest } from './manifest.js';
import type { PluginMetricStore } from './plugin-metrics.js';

/** The hooks the rest of the appliance calls; start and stop belong to load() and stop(). */
export type CallableHook = 'engage' | 'disengage' | 'verify' | 'notify';

export type PluginState = 'loading' | 'running' | 'restarting' | 'failed' | 'stopping' | 'stopped';

export interface PluginCallStats {
  calls: number;
  /** Calls that threw or rejected. */
  failures: number;
  timeouts: number;
  /** Calls that timed out and still have not settled. */
  hung: number;
}

export interface PluginHandle {
  readonly manifest: PluginManifest;
  readonly isolation: PluginIsolation;
  readonly state: PluginState;
  readonly stats: PluginCallStats;
  /** Whether the loaded plugin has this hook (optional ones: start, verify, stop). */
  hasHook(hook: string): boolean;
  /** import, config check, create, start: resolves when the plugin can take calls, or throws a PluginError. */
  load(): Promise<void>;
  /** Calls one hook with these arguments (the hook's signal is appended). Resolves with what the hook returned. */
  call(hook: CallableHook, args: readonly unknown[]): Promise<unknown>;
  /** Aborts ctx.signal, runs the stop hook within the timeout, releases the plugin. Never throws. */
  stop(): Promise<void>;
}

export interface PluginHostOptions {
  manifest: PluginManifest;
  /** The plugin's settings, not yet checked against its schema. */
  config: unknown;
  hookTimeoutMs: number;
  /** Child isolation: time a fresh process gets to start and import the plugin (default CHILD_STARTUP_ALLOWANCE_MS). */
  childStartupMs?: number;
  log: Logger;
  metrics: PluginMetricStore;
  facades: TierFacades;
}

/**
 * Calls that timed out and never settled, per plugin, before it is refused further calls (in-process) or its
 * process is replaced (child): bounds the memory a plugin that leaks pending promises can hold.
 */
export const MAX_HUNG_CALLS = 16;
