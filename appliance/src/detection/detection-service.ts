// The detection component of the running appliance: it owns the engine (detector.ts) and everything the engine
// must not do itself — the wall clock and the tick timer (aligned to tick boundaries, so a window ends where a
// tick ends), loading baselines at start and saving them periodically and at stop (baseline-file.ts, atomic
// writes under the data directory), publishing attack events on the bus and logging them. A failing tick is
// counted and logged at most once a second; it never stops the timer. It runs on the main thread, or inside the
// detection thread (detection-thread-worker.ts) when detection.thread is on.
import { join } from 'node:path';
import type { AttackBus } from '../bus/event-bus.js';
import type { Component } from '../component.js';
import type { Config } from '../config/schema.js';
import { CountingTrafficSource } from '../counting/traffic-summary.js';
import { BreakwaterError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AttackEvent, AttackRecord } from './attack.js';
import { BASELINE_FILE_NAME, loadBaselines, saveBaselines } from './baseline-file.js';
import type { DetectionComponent } from './detection-component.js';
import { Detector } from './detector.js';
import type { HostGroups } from './host-groups.js';

export interface DetectionServiceOptions {
  config: Pick<Config, 'dataDir' | 'networks' | 'hostGroups' | 'detection'>;
  bus: AttackBus;
  log: Logger;
  /** The clock (ms since the epoch); Date.now unless a test drives time. */
  clock?: () => number;
  /** Run the tick timer (default true); tests and replay call tick() themselves. */
  timer?: boolean;
  /** Called after each tick of the timer (the detection thread posts the attacks' rates). */
  onTick?: () => void;
}

export class DetectionService implements Component, DetectionComponent {
  readonly name = 'detection';
  readonly detector: Detector;
  readonly baselineFile: string;
  /** Counting's per-second summaries, read on this thread (api/traffic-history.ts). */
  readonly traffic: CountingTrafficSource;
  private readonly clock: () => number;
  private tickTimer: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private running = false;
  /** Baselines are in use: load at start, save periodically and at stop. */
  private persist = false;
  private tickErrors = 0;
  private consumeErrors = 0;
  private lastConsumeErrorLogMs = 0;
  private lastTickErrorLogMs = 0;
  private saving: Promise<void> | undefined;
  lastSave: { at: string; bytes: number } | { at: string; error: string } | undefined;

  constructor(private readonly options: DetectionServiceOptions) {
    this.clock = options.clock ?? Date.now;
    const { config } = options;
    // Ticks count from a minute ago: samples stamped slightly before start (a batch in flight) still count.
    this.detector = new Detector({ config, epochMs: this.clock() - 60_000 });
    this.detector.emit = (event) => this.publish(event);
    this.baselineFile = join(config.dataDir, BASELINE_FILE_NAME);
    this.traffic = new CountingTrafficSource(() => this.detector.counter);
  }

  get groups(): HostGroups {
    return this.detector.groups;
  }

  /** Counts one FlowBatch (the intake's hand-over). A failure costs that batch only, and is counted. */
  consume(batch: Uint8Array): void {
    try {
      this.detector.consume(batch);
    } catch (err) {
      this.consumeErrors++;
      const now = this.clock();
      if (now - this.lastConsumeErrorLogMs >= 1000) {
        this.lastConsumeErrorLogMs = now;
        this.options.log.error({ err, consumeErrors: this.consumeErrors }, 'counting a FlowBatch failed; the batch was skipped');
      }
    }
  }

  /** Evaluates the ticks completed by now (the timer calls this; tests may too). */
  tick(nowMs = this.clock()): void {
    try {
      this.detector.tick(nowMs);
    } catch (err) {
      this.tickErrors++;
      if (nowMs - this.lastTickErrorLogMs >= 1000) {
        this.lastTickErrorLogMs = nowMs;
        this.options.log.error({ err, tickErrors: this.tickErrors }, 'detection tick failed; the next tick runs as usual');
      }
    }
  }

  async start(): Promise<void> {
    const { log, config } = this.options;
    if (this.detector.groups.networks.length === 0) {
      log.warn('no protected networks (networks, hostGroups): detection tracks nothing until some are configured');
    }
    if (config.detection.baseline.enabled || config.hostGroups.some((g) => g.baseline?.enabled)) {
      this.persist = true;
      const loaded = await loadBaselines(this.baselineFile, this.detector.baselines);
      if (loaded.ok) log.info({ file: this.baselineFile, entries: loaded.entries, learningSince: this.detector.baselines.learningSinceMs }, 'baselines loaded');
      else log.warn({ code: 'BW_ERR_BASELINE_READ', err: new BreakwaterError('BW_ERR_BASELINE_READ', [this.baselineFile, loaded.reason]) }, 'baselines not loaded; learning afresh');
      const every = config.detection.baseline.saveIntervalSeconds * 1000;
      this.saveTimer = setInterval(() => void this.save(), every);
      this.saveTimer.unref();
    }
    this.running = true;
    if (this.options.timer !== false) this.scheduleTick();
    log.info(
      { networks: this.detector.groups.networks.length, hostGroups: config.hostGroups.length, tickMs: config.detection.tickMs, windowMs: config.detection.windowMs },
      'detection running',
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.saveTimer) clearInterval(this.saveTimer);
    this.tickTimer = undefined;
    this.saveTimer = undefined;
    if (this.persist) await this.save();
  }

  /** Writes the baselines now (one write at a time). */
  async save(): Promise<void> {
    if (this.saving) return this.saving;
    this.saving = (async () => {
      const at = new Date(this.clock()).toISOString();
      try {
        const bytes = await saveBaselines(this.baselineFile, this.detector.baselines);
        this.lastSave = { at, bytes };
      } catch (err) {
        this.lastSave = { at, error: (err as Error).message };
        this.options.log.error({ err }, 'saving baselines failed');
      }
    })();
    try {
      await this.saving;
    } finally {
      this.saving = undefined;
    }
  }

  activeAttacks(): AttackRecord[] {
    return this.detector.activeAttacks();
  }

  /** The /health section. */
  report(): Record<string, unknown> {
    return { ...this.detector.report(), tickErrors: this.tickErrors, consumeErrors: this.consumeErrors, baselineFile: this.baselineFile, lastBaselineSave: this.lastSave ?? null };
  }

  reportNow(): Promise<Record<string, unknown>> {
    return Promise.resolve(this.report());
  }

  /** Next tick at the next boundary (+1 ms so the tick that just ended is complete), re-armed each time. */
  private scheduleTick(): void {
    if (!this.running) return;
    const tickMs = this.options.config.detection.tickMs;
    const now = this.clock();
    const delay = tickMs - (now % tickMs) + 1;
    this.tickTimer = setTimeout(() => {
      this.tick();
      this.options.onTick?.();
      this.scheduleTick();
    }, delay);
    this.tickTimer.unref();
  }

  private publish(event: AttackEvent): void {
    const a = event.attack;
    const fields = {
      event: event.type,
      attack: a.id,
      target: a.target,
      vector: a.vector,
      confidence: a.confidence,
      severity: a.severity,
      pps: a.rates.pps,
      bps: a.rates.bps,
      threshold: a.threshold,
      ...(event.type === 'attack.started' ? { detectionLatencyMs: a.detectionLatencyMs, signature: a.signature } : {}),
      ...(event.type === 'attack.ended' ? { reason: event.reason, durationMs: (a.endedAt ?? a.updatedAt) - a.startedAt, peak: a.peak } : {}),
    };
    if (event.type === 'attack.started') this.options.log.warn(fields, `attack started: ${a.vector} on ${a.target}`);
    else if (event.type === 'attack.ended') this.options.log.info(fields, `attack ended: ${a.vector} on ${a.target}`);
    else this.options.log.debug(fields, 'attack updated');
    this.options.bus.publish(event);
  }
}
