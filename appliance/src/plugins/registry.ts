// The plugins of one appliance: found on disk (discovery.ts), checked (manifest.ts), loaded in-process or in a
// child process as configured, and called through here only. The registry is what keeps one plugin's failure
// its own: a refused plugin is reported and the rest load; a hook that throws or hangs fails that one call
// within its timeout; notifiers run side by side so a slow one delays no other; stop() is bounded per plugin.
import { join } from 'node:path';
import type { AttackEvent, AttackRecord, Engagement, EngagementStatus, PluginKind, RunbookStage } from '@breakwater/sdk';
import type { Component } from '../component.js';
import { stopWithin } from '../component.js';
import type { PluginIsolation, PluginSettings, PluginsConfig } from '../config/plugins-schema.js';
import type { Logger } from '../log.js';
import type { RestartPolicy } from '../supervisor/child-supervisor.js';
import { ChildProcessPlugin } from './child-process-plugin.js';
import { scanPlugins } from './discovery.js';
import { unconnectedFacades, type TierFacades } from './facades.js';
import { checkEngagement, checkEngagementStatus } from './hook-results.js';
import { InProcessPlugin } from './in-process-plugin.js';
import type { PluginManifest } from './manifest.js';
import type { PluginCallStats, PluginHandle, PluginState } from './plugin-handle.js';
import { pluginError } from './plugin-error.js';
import { PluginMetricStore } from './plugin-metrics.js';

export interface PluginRegistryOptions {
  settings: PluginsConfig;
  dataDir: string;
  log: Logger;
  /**
   * What tiers' ctx.bgp and ctx.firewall do: one set for all, or a set per plugin (the mitigation engine's, so it
   * knows which plugin asks). Until given, every call is refused (nothing is announced).
   */
  facades?: TierFacades | ((plugin: string) => TierFacades);
  metrics?: PluginMetricStore;
  /**
   * Load only plugins of these kinds (default: all). The appliance's registry loads tiers; notifiers are loaded
   * per channel by the notification service, so loading them here too would run them twice.
   */
  kinds?: readonly PluginKind[];
  /** Restart policy of isolated plugins' processes (tests shorten it). */
  restart?: Partial<RestartPolicy>;
}

export interface PluginStatus {
  name: string;
  dir: string;
  version?: string;
  kind?: PluginKind;
  isolation?: PluginIsolation;
  state: PluginState | 'refused' | 'disabled';
  error?: { code: string; hook: string; message: string };
  stats?: PluginCallStats;
}

export interface NotifyOutcome {
  plugin: string;
  ok: boolean;
  error?: Error;
}

interface Entry {
  status: PluginStatus;
  handle?: PluginHandle;
}

/** Directories searched, in order: the extra ones (first-party plugins), then the drop-in directory. */
export function pluginDirectories(settings: PluginsConfig, dataDir: string): string[] {
  return [...settings.extraDirectories, settings.directory === '' ? join(dataDir, 'plugins') : settings.directory];
}

export function settingsFor(settings: PluginsConfig, name: string): PluginSettings & { isolation: PluginIsolation; hookTimeoutMs: number; childStartupMs: number } {
  const own = settings.settings[name];
  return {
    childStartupMs: settings.childStartupMs,
    enabled: own?.enabled ?? true,
    config: own?.config ?? {},
    isolation: own?.isolation ?? settings.isolation,
    hookTimeoutMs: own?.hookTimeoutMs ?? settings.hookTimeoutMs,
  };
}

/** The host for one plugin, in-process or in a child process as its settings say. Not loaded yet. */
export function createPluginHandle(
  manifest: PluginManifest,
  own: { config: unknown; hookTimeoutMs: number; isolation: PluginIsolation; childStartupMs?: number },
  context: { log: Logger; metrics: PluginMetricStore; facades: TierFacades; restart?: Partial<RestartPolicy> },
): PluginHandle {
  const options = {
    manifest,
    config: own.config,
    hookTimeoutMs: own.hookTimeoutMs,
    ...(own.childStartupMs !== undefined ? { childStartupMs: own.childStartupMs } : {}),
    log: context.log,
    metrics: context.metrics,
    facades: context.facades,
  };
  if (own.isolation === 'in-process') return new InProcessPlugin(options);
  return new ChildProcessPlugin({ ...options, ...(context.restart !== undefined ? { restart: context.restart } : {}) });
}

export class PluginRegistry implements Component {
  readonly name = 'plugins';
  readonly metrics: PluginMetricStore;
  private entries: Entry[] = [];
  private rejectionGuard: ((reason: unknown) => void) | undefined;

  constructor(private readonly options: PluginRegistryOptions) {
    this.metrics = options.metrics ?? new PluginMetricStore();
  }

  async start(): Promise<void> {
    const { settings, log } = this.options;
    const scanned = await scanPlugins(pluginDirectories(settings, this.options.dataDir));
    this.entries = scanned.map((s): Entry => {
      if (s.error !== undefined) {
        log.error({ plugin: s.error.plugin, dir: s.dir, code: s.error.code, err: s.error }, 'plugin refused');
        return { status: { name: s.error.plugin, dir: s.dir, state: 'refused', error: { code: s.error.code, hook: s.error.hook, message: s.error.message } } };
      }
      const m = s.manifest;
      const own = settingsFor(settings, m.name);
      const wanted = own.enabled && (this.options.kinds === undefined || this.options.kinds.includes(m.kind));
      const status: PluginStatus = { name: m.name, dir: m.dir, version: m.version, kind: m.kind, isolation: own.isolation, state: wanted ? 'loading' : 'disabled' };
      if (!wanted) return { status };
      const handle = createPluginHandle(m, own, {
        log,
        metrics: this.metrics,
        facades: this.facadesFor(m.name),
        ...(this.options.restart !== undefined ? { restart: this.options.restart } : {}),
      });
      return { status, handle };
    });
    // Plugins load side by side: each is bounded by its own timeout, and one refusal stops no other.
    await Promise.all(
      this.entries.map(async (e) => {
        if (e.handle === undefined) return;
        try {
          await e.handle.load();
          log.info({ plugin: e.status.name, kind: e.status.kind, isolation: e.status.isolation }, 'plugin loaded');
        } catch (err) {
          const pe = err as { code: string; hook: string; message: string };
          e.status.state = 'refused';
          e.status.error = { code: pe.code, hook: pe.hook, message: pe.message };
          e.handle = undefined;
          log.error({ plugin: e.status.name, code: pe.code, hook: pe.hook, err }, 'plugin refused');
        }
      }),
    );
    this.guardRejections();
  }

  async stop(): Promise<void> {
    const bound = Math.max(...this.entries.map((e) => settingsFor(this.options.settings, e.status.name).hookTimeoutMs), 0) + 3_000;
    await Promise.all(
      this.entries.map(async (e) => {
        if (e.handle === undefined) return;
        const handle = e.handle;
        const outcome = await stopWithin({ name: e.status.name, start: async () => undefined, stop: () => handle.stop() }, bound);
        if (outcome !== 'stopped') this.options.log.warn({ plugin: e.status.name, outcome: String(outcome) }, 'plugin did not stop in time');
      }),
    );
    if (this.rejectionGuard !== undefined) process.off('unhandledRejection', this.rejectionGuard);
    this.rejectionGuard = undefined;
  }

  private facadesFor(plugin: string): TierFacades {
    const given = this.options.facades;
    if (given === undefined) return unconnectedFacades(plugin, 'no BGP speaker or firewall is connected to plugins yet');
    return typeof given === 'function' ? given(plugin) : given;
  }

  /** Every plugin found, loaded or not, in discovery order. */
  list(): PluginStatus[] {
    return this.entries.map((e) => ({
      ...e.status,
      ...(e.handle !== undefined ? { state: e.handle.state, stats: e.handle.stats } : {}),
    }));
  }

  /** Names of the tiers (or notifiers) that loaded. */
  loaded(kind: PluginKind): string[] {
    return this.entries.filter((e) => e.handle !== undefined && e.status.kind === kind).map((e) => e.status.name);
  }

  async engage(tier: string, attack: AttackRecord, stage: RunbookStage): Promise<Engagement> {
    return checkEngagement(tier, await this.handle('tier', tier).call('engage', [attack, stage]));
  }

  async disengage(tier: string, engagement: Engagement, attack: AttackRecord): Promise<void> {
    await this.handle('tier', tier).call('disengage', [engagement, attack]);
  }

  /** A tier without a verify hook is taken at its word: active until disengaged. */
  async verify(tier: string, engagement: Engagement): Promise<EngagementStatus> {
    const handle = this.handle('tier', tier);
    if (!handle.hasHook('verify')) return { state: 'active', detail: 'the tier has no verify hook' };
    return checkEngagementStatus(tier, await handle.call('verify', [engagement]));
  }

  /** Tells every notifier, side by side. Never rejects: each notifier's outcome is reported and logged. */
  async notify(event: AttackEvent): Promise<NotifyOutcome[]> {
    const notifiers = this.entries.filter((e) => e.handle !== undefined && e.status.kind === 'notifier');
    return Promise.all(
      notifiers.map(async (e): Promise<NotifyOutcome> => {
        try {
          await e.handle!.call('notify', [event]);
          return { plugin: e.status.name, ok: true };
        } catch (err) {
          this.options.log.warn({ plugin: e.status.name, event: event.type, attack: event.attack.id, err }, 'notifier failed');
          return { plugin: e.status.name, ok: false, error: err as Error };
        }
      }),
    );
  }

  private handle(kind: PluginKind, name: string): PluginHandle {
    const entry = this.entries.find((e) => e.status.name === name && e.status.kind === kind && e.handle !== undefined);
    if (entry?.handle === undefined) throw pluginError('BW_ERR_PLUGIN_NOT_FOUND', name, kind === 'tier' ? 'engage' : 'notify', [kind, name]);
    return entry.handle;
  }

  /**
   * A promise an in-process plugin leaks and that rejects later has no caller to fail; under Node's default it
   * would end the whole appliance. While in-process plugins are loaded, such a rejection is logged (with the
   * plugin, when its stack points into a plugin's folder) instead. Isolated plugins handle their own.
   */
  private guardRejections(): void {
    const inProcess = this.entries.filter((e) => e.handle?.isolation === 'in-process');
    if (inProcess.length === 0 || this.rejectionGuard !== undefined) return;
    this.rejectionGuard = (reason: unknown) => {
      const stack = reason instanceof Error ? (reason.stack ?? '') : '';
      const suspect = inProcess.find((e) => stack.includes(e.status.dir));
      this.options.log.error({ plugin: suspect?.status.name ?? 'unknown', err: reason }, 'unhandled promise rejection (logged, not fatal, while in-process plugins run)');
    };
    process.on('unhandledRejection', this.rejectionGuard);
  }
}
