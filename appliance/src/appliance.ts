// Composes the appliance from its components and owns their order: started in data-path order
// (intake last, so nothing arrives before its consumers exist), stopped in reverse within a bound.
import { ApiServer } from './api/api-server.js';
import type { BgpSpeaker } from './bgp/bgp-speaker.js';
import { createSpeaker } from './bgp/create-speaker.js';
import type { Component } from './component.js';
import { stopWithin } from './component.js';
import { EventBus, type AttackBus } from './bus/event-bus.js';
import type { AttackEvent } from './detection/attack.js';
import { createDetection, detectionInThread, type DetectionComponent } from './detection/detection-component.js';
import type { Config } from './config/schema.js';
import { prepareDataDir } from './data-dir.js';
import { Tier1Firewall } from './firewall/tier1-firewall.js';
import { HealthServer } from './health/health-server.js';
import { SflowIntake } from './intake/sflow-intake.js';
import type { Logger } from './log.js';
import { registerControlRoutes } from './mitigation/control-routes.js';
import { detectionRateSource } from './mitigation/effectiveness.js';
import { MitigationEngine } from './mitigation/mitigation-engine.js';
import { createMitigationBus, type MitigationBus } from './mitigation/mitigation-events.js';
import { notificationOf } from './mitigation/notifications.js';
import { attackUrl } from './notify/attack-events.js';
import { NotifyService } from './notify/notify-service.js';
import { PluginRegistry } from './plugins/registry.js';
import { AttackHistory } from './history/attack-history.js';
import { AttackCapture } from './capture/attack-capture.js';

export interface ApplianceOptions {
  config: Config;
  log: Logger;
  /** The configuration file it was started with (the REST API writes changes there); undefined: embedded defaults. */
  configPath?: string | undefined;
}

export class Appliance {
  private readonly components: Component[] = [];
  private started: Component[] = [];
  readonly health: HealthServer;
  readonly intake: SflowIntake;
  readonly bus: AttackBus;
  /** Detection on this thread, or in a thread of its own (detection.thread): the same surface either way. */
  readonly detection: DetectionComponent;
  readonly notify: NotifyService;
  /** Every attack, kept across restarts (history/attack-history.ts): `breakwater attacks`, the REST API. */
  readonly history: AttackHistory;
  /** Recent sampled headers and each attack's pcap file (capture/attack-capture.ts). */
  readonly capture: AttackCapture;
  /** The BGP speaker of bgp.speaker, or undefined for "none". */
  readonly speaker: BgpSpeaker | undefined;
  /** Tier 1 local filtering and the agent API, when the firewall section enables either: the engine's firewall backend. */
  readonly firewall: Tier1Firewall | undefined;
  /** Tier plugins (notifiers are loaded per channel by notify). */
  readonly plugins: PluginRegistry;
  readonly mitigation: MitigationEngine;
  /** What the mitigation engine reports: stages engaged, escalations, failures, approvals needed. */
  readonly mitigationEvents: MitigationBus;
  /** The REST API and web panel (api.enabled). */
  readonly api: ApiServer | undefined;

  constructor(private options: ApplianceOptions) {
    const { config, log } = options;
    // No per-destination table in the intake: detection's counting is the one per-destination count.
    // With capture on, each FlowBatch also carries the sampled-header bytes (flow-batch.ts header section).
    // With detection in its own thread, receiveThreads 'auto' leaves it a core.
    this.intake = new SflowIntake({
      config: config.sflow,
      log: log.child({ component: 'intake' }),
      headerSnapLength: config.capture.enabled ? config.capture.snapLength : 0,
      coresReserved: detectionInThread(config.detection.thread) ? 1 : 0,
    });
    const busLog = log.child({ component: 'bus' });
    this.bus = new EventBus<AttackEvent>((err, event) => busLog.error({ err, event: event.type }, 'an attack event subscriber failed'));
    const detectionLog = log.child({ component: 'detection' });
    this.detection = createDetection({ config, bus: this.bus, log: detectionLog, batchBuffersTransferable: () => this.intake.batchBuffersTransferable });
    this.history = new AttackHistory({ dataDir: config.dataDir, settings: config.history, bus: this.bus, log: log.child({ component: 'history' }) });
    this.capture = new AttackCapture({ config: config.capture, dataDir: config.dataDir, bus: this.bus, log: log.child({ component: 'capture' }) });
    this.notify = new NotifyService({
      config,
      bus: this.bus,
      log: log.child({ component: 'notify' }),
      // The engine (made below) owns the audit trail; a failure can only come after start, when it exists.
      onDeliveryFailed: (failure) => this.mitigation.notificationFailed(failure),
    });
    // Detection sees each FlowBatch right after the intake applied it (DetectionService.consume counts its own failures).
    // The capture's rings take each batch before detection sees it, so an attack's file starts before its detection.
    // Detection is the last listener: in thread mode it may move the batch's buffer to its thread.
    if (this.capture.enabled) this.intake.addBatchListener((batch) => this.capture.consume(batch));
    this.intake.addBatchListener((batch) => this.detection.consume(batch));
    this.speaker = createSpeaker({ config: config.bgp, dataDir: config.dataDir, log: log.child({ component: 'bgp' }) });
    const speaker = this.speaker;
    const firewall = new Tier1Firewall(config.firewall, config.dataDir);
    this.firewall = firewall.enabled ? firewall : undefined;
    // The registry asks the engine for each tier's facades when it loads them (at start), so the engine made
    // just below is there by then.
    this.plugins = new PluginRegistry({ settings: config.plugins, dataDir: config.dataDir, log: log.child({ component: 'plugins' }), kinds: ['tier'], facades: (plugin) => this.mitigation.facadesFor(plugin) });
    const mitigationLog = log.child({ component: 'mitigation' });
    this.mitigationEvents = createMitigationBus((err, event) => mitigationLog.error({ err, event: event.type }, 'a mitigation event subscriber failed'));
    this.mitigation = new MitigationEngine({
      config,
      attacks: this.bus,
      events: this.mitigationEvents,
      tiers: this.plugins,
      ...(speaker !== undefined ? { speaker } : {}),
      ...(this.firewall !== undefined ? { firewall: this.firewall } : {}),
      rates: detectionRateSource(this.detection),
      log: mitigationLog,
    });
    this.mitigationEvents.onAny((event) => {
      const n = notificationOf(event, (id) => attackUrl(config.notify.panelUrl, id));
      if (n !== undefined) this.notify.publish(n.event, n.channels !== undefined ? { channels: n.channels } : {});
    });
    this.health = new HealthServer({
      host: config.health.host,
      port: config.health.port,
      log: log.child({ component: 'health' }),
      sections: {
        intake: () => this.intake.report(),
        detection: () => this.detection.report(),
        notify: () => this.notify.report(),
        history: () => this.history.report(),
        capture: () => this.capture.report(),
        mitigation: () => this.mitigation.report(),
        ...(speaker ? { bgp: () => speaker.report() } : {}),
        ...(this.firewall ? { firewall: () => firewall.report() } : {}),
        ...(config.api.enabled ? { api: () => this.api!.report() } : {}),
      },
      routes: [(app) => registerControlRoutes(app, () => this.mitigation)],
    });
    this.api = config.api.enabled ? new ApiServer({ appliance: this, config: () => this.options.config, configPath: options.configPath, log: log.child({ component: 'api' }) }) : undefined;
    // The speaker starts before detection (its consumer's consumer) and stops after it, withdrawing per bgp.shutdown.
    // Notify subscribes to the bus when it starts, before detection: every attack event of the run is seen.
    // The firewall (like the speaker) is up before detection, so the first attack finds it reconciled.
    // Tier plugins load before the engine resumes persisted mitigations (it verifies them with their tiers), and
    // the engine subscribes before detection starts; in reverse, the engine stops before its plugins.
    this.components.push(
      this.health,
      this.notify,
      this.history,
      // Subscribes to attack events before detection starts publishing them.
      this.capture,
      ...(speaker ? [speaker] : []),
      ...(this.firewall ? [this.firewall] : []),
      this.plugins,
      this.mitigation,
      this.detection,
      this.intake,
      // The API last: it reads every other component, and stops first.
      ...(this.api ? [this.api] : []),
    );
  }

  /** The configuration in force (runbooks and mitigation change on reload). */
  get config(): Config {
    return this.options.config;
  }

  /**
   * Takes a new configuration without a restart (SIGHUP): runbooks and the mitigation section apply at once;
   * everything else is read at start only, and a change there is logged as waiting for a restart. The caller
   * has validated the configuration as a whole.
   */
  async reload(config: Config): Promise<{ applied: string[]; restartNeeded: string[] }> {
    const old = this.options.config;
    const restartNeeded = (Object.keys(config) as (keyof Config)[]).filter((k) => k !== 'runbooks' && k !== 'mitigation' && JSON.stringify(config[k]) !== JSON.stringify(old[k]));
    await this.mitigation.reload(config);
    this.options = { ...this.options, config: { ...old, runbooks: config.runbooks, mitigation: config.mitigation } };
    if (restartNeeded.length > 0) this.options.log.warn({ sections: restartNeeded }, 'configuration reloaded; these sections change only at the next restart');
    return { applied: ['runbooks', 'mitigation'], restartNeeded };
  }

  /** A reload that was refused goes to the audit trail too. */
  reloadRefused(reason: string): void {
    this.mitigation.configRejected(reason);
  }

  async start(): Promise<void> {
    await prepareDataDir(this.options.config.dataDir);
    for (const c of this.components) {
      await c.start();
      this.started.push(c);
    }
    this.options.log.info({ dataDir: this.options.config.dataDir }, 'appliance started');
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    for (const c of [...this.started].reverse()) {
      const result = await stopWithin(c, timeoutMs);
      if (result !== 'stopped') this.options.log.error({ component: c.name, result: String(result) }, 'component did not stop cleanly');
    }
    this.started = [];
    this.options.log.info('appliance stopped');
  }
}
