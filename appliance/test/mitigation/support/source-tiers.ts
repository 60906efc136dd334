// Tier plugins loaded the way the appliance loads them (import, config check, create with guarded facades,
// start), but from a module path of our choosing: the first-party tiers' TypeScript sources, so tests need no
// build. Answers the engine's TierRunner calls like the PluginRegistry does.
import type { AttackRecord, Engagement, EngagementStatus, RunbookStage } from '@breakwater/sdk';
import { checkEngagement, checkEngagementStatus } from '../../../src/plugins/hook-results.js';
import { InProcessPlugin } from '../../../src/plugins/in-process-plugin.js';
import { pluginError } from '../../../src/plugins/plugin-error.js';
import { PluginMetricStore } from '../../../src/plugins/plugin-metrics.js';
import type { TierFacades } from '../../../src/plugins/facades.js';
import type { TierRunner } from '../../../src/mitigation/mitigation-engine.js';
import { silentLogger, type Logger } from '../../../src/log.js';

const REPO = new URL('../../../../', import.meta.url).pathname;

/** A first-party tier by its folder under plugins/ (src/index.ts). */
export function firstParty(folder: string): { name: string; entry: string; dir: string } {
  return { name: `@breakwater/${folder}`, entry: `${REPO}plugins/${folder}/src/index.ts`, dir: `${REPO}plugins/${folder}` };
}

export interface TierSpec {
  name: string;
  entry: string;
  dir: string;
  config?: unknown;
  hookTimeoutMs?: number;
}

export class SourceTiers implements TierRunner {
  readonly metrics = new PluginMetricStore();
  private readonly handles = new Map<string, InProcessPlugin>();
  /** Tier calls in order, for assertions. */
  readonly calls: { hook: 'engage' | 'disengage' | 'verify'; tier: string; stage?: string }[] = [];

  constructor(
    private readonly specs: readonly TierSpec[],
    private readonly facades: (plugin: string) => TierFacades,
    private readonly log: Logger = silentLogger(),
  ) {}

  async start(): Promise<void> {
    for (const spec of this.specs) {
      const handle = new InProcessPlugin({
        manifest: { name: spec.name, version: '0.1.0', dir: spec.dir, kind: 'tier', apiVersion: 1, entry: spec.entry, sdkRange: '^0.1.0' },
        config: spec.config ?? {},
        hookTimeoutMs: spec.hookTimeoutMs ?? 5_000,
        log: this.log,
        metrics: this.metrics,
        facades: this.facades(spec.name),
      });
      await handle.load();
      this.handles.set(spec.name, handle);
    }
  }

  async stop(): Promise<void> {
    for (const h of this.handles.values()) await h.stop();
  }

  async engage(tier: string, attack: AttackRecord, stage: RunbookStage): Promise<Engagement> {
    this.calls.push({ hook: 'engage', tier, stage: stage.name });
    return checkEngagement(tier, await this.handle(tier).call('engage', [attack, stage]));
  }

  async disengage(tier: string, engagement: Engagement, attack: AttackRecord): Promise<void> {
    this.calls.push({ hook: 'disengage', tier });
    await this.handle(tier).call('disengage', [engagement, attack]);
  }

  async verify(tier: string, engagement: Engagement): Promise<EngagementStatus> {
    this.calls.push({ hook: 'verify', tier });
    const h = this.handle(tier);
    if (!h.hasHook('verify')) return { state: 'active' };
    return checkEngagementStatus(tier, await h.call('verify', [engagement]));
  }

  metric(plugin: string, name: string): number | undefined {
    return this.metrics.snapshot().find((m) => m.plugin === plugin && m.name === name)?.value;
  }

  private handle(tier: string): InProcessPlugin {
    const h = this.handles.get(tier);
    if (h === undefined) throw pluginError('BW_ERR_PLUGIN_NOT_FOUND', tier, 'engage', ['tier', tier]);
    return h;
  }
}
