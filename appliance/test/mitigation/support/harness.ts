// An engine under test: the real MitigationEngine with its SQLite stores in a temporary data directory, the
// attack bus, a fake clock, a speaker (fake unless given) and tier plugins loaded from source. The test
// publishes attack events and advances the clock; every tick runs the engine's timers and waits until all it
// started has settled, so assertions see a quiet engine.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttackRecord, Rates } from '@breakwater/sdk';
import { sampleAttack } from '@breakwater/sdk/testing';
import { AuditStore, type AuditRecord } from '../../../src/audit/audit-store.js';
import type { Speaker } from '../../../src/bgp/speaker.js';
import { EventBus } from '../../../src/bus/event-bus.js';
import type { AttackEvent } from '../../../src/detection/attack.js';
import { validateConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { silentLogger, type Logger } from '../../../src/log.js';
import type { AttackRateSource } from '../../../src/mitigation/effectiveness.js';
import type { FirewallBackend } from '../../../src/mitigation/facades.js';
import { MitigationEngine, type TierRunner } from '../../../src/mitigation/mitigation-engine.js';
import { createMitigationBus, type MitigationEvent } from '../../../src/mitigation/mitigation-events.js';
import { databasePath, openDatabase } from '../../../src/storage/sqlite.js';
import { FakeSpeaker } from './fake-speaker.js';
import { SourceTiers, type TierSpec } from './source-tiers.js';

/**
 * The fake clock starts at the real time: tier plugins judge their own receipts' expiry by Date.now(), and
 * the tests move the fake clock only minutes ahead of it, well inside every lifetime they use.
 */
export const T0 = Math.floor(Date.now() / 1000) * 1000;

export interface HarnessOptions {
  /** The configuration document (mitigation, runbooks, bgp); dataDir is set by the harness. */
  config?: Record<string, unknown>;
  tiers?: TierSpec[];
  /** A TierRunner of the test's own instead of plugins from source. */
  runner?: (facades: MitigationEngine['facadesFor']) => TierRunner & { start?(): Promise<void>; stop?(): Promise<void> };
  speaker?: Speaker;
  firewall?: FirewallBackend;
  rates?: AttackRateSource;
  log?: Logger;
  dataDir?: string;
}

export class Harness {
  now = T0;
  readonly bus = new EventBus<AttackEvent>();
  readonly mitigationBus = createMitigationBus();
  readonly events: MitigationEvent[] = [];
  engine!: MitigationEngine;
  tiers!: TierRunner & { start?(): Promise<void>; stop?(): Promise<void>; calls?: SourceTiers['calls'] };
  readonly speaker: Speaker;
  readonly config: Config;
  private readonly ownsDir: boolean;

  constructor(private readonly options: HarnessOptions) {
    this.ownsDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'bwt-mit-'));
    const result = validateConfig({ ...(options.config ?? {}), dataDir });
    if (!result.ok) throw new Error(`test configuration is invalid: ${JSON.stringify(result.problems)}`);
    this.config = result.config;
    this.speaker = options.speaker ?? new FakeSpeaker(() => this.now);
    this.mitigationBus.onAny((e) => this.events.push(e));
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  async start(): Promise<this> {
    this.engine = new MitigationEngine({
      config: this.config,
      attacks: this.bus,
      events: this.mitigationBus,
      tiers: { engage: (...a) => this.tiers.engage(...a), disengage: (...a) => this.tiers.disengage(...a), verify: (...a) => this.tiers.verify(...a) },
      speaker: this.speaker,
      ...(this.options.firewall !== undefined ? { firewall: this.options.firewall } : {}),
      ...(this.options.rates !== undefined ? { rates: this.options.rates } : {}),
      log: this.options.log ?? silentLogger(),
      clock: () => this.now,
      timer: false,
      unseenAfterRestartMs: 120_000,
    });
    const facades = (plugin: string) => this.engine.facadesFor(plugin);
    this.tiers = this.options.runner !== undefined ? this.options.runner(facades) : new SourceTiers(this.options.tiers ?? [], facades);
    await this.tiers.start?.();
    await this.engine.start();
    await this.engine.idle();
    return this;
  }

  /** Stops the engine as a restart would (mitigations stay), and the tiers. */
  async stopEngine(): Promise<void> {
    await this.engine.stop();
    await this.tiers.stop?.();
  }

  /** A new engine and new tier plugin instances on the same data directory and speaker. */
  async restart(): Promise<void> {
    await this.stopEngine();
    await this.start();
  }

  async publish(event: AttackEvent): Promise<void> {
    this.bus.publish(event);
    await this.engine.idle();
  }

  started(attack: AttackRecord): Promise<void> {
    return this.publish({ type: 'attack.started', attack });
  }

  updated(attack: AttackRecord, rates?: Rates): Promise<void> {
    return this.publish({ type: 'attack.updated', attack: rates === undefined ? attack : { ...attack, rates } });
  }

  ended(attack: AttackRecord): Promise<void> {
    return this.publish({ type: 'attack.ended', attack: { ...attack, endedAt: this.now }, reason: 'quiet' });
  }

  /** Moves the clock on in steps of `stepMs` (a tick each), then waits for the engine. */
  async advance(ms: number, stepMs = 1_000): Promise<void> {
    const until = this.now + ms;
    while (this.now < until) {
      this.now = Math.min(until, this.now + stepMs);
      this.engine.tick();
      await this.engine.idle();
    }
  }

  audit(query: Parameters<AuditStore['query']>[0] = {}): AuditRecord[] {
    const handle = openDatabase(databasePath(this.dataDir));
    try {
      return new AuditStore(handle.db).query(query);
    } finally {
      handle.release();
    }
  }

  actions(): string[] {
    return this.audit().map((r) => r.action);
  }

  notices(type?: MitigationEvent['type']): MitigationEvent[] {
    return type === undefined ? this.events : this.events.filter((e) => e.type === type);
  }

  async close(): Promise<void> {
    await this.stopEngine().catch(() => undefined);
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** An attack (an NTP amplification on one host, from the SDK's sample) starting at `at`. */
export function attackAt(at: number, overrides: Partial<AttackRecord> = {}): AttackRecord {
  return sampleAttack({ startedAt: at, updatedAt: at, firstSampleAt: at - 1_000, ...overrides });
}

/** A peer so that FlowSpec quotas have someone to count for. */
export const PEER = { name: 'r1', address: '192.0.2.1', asn: 65000, families: ['ipv4-unicast', 'ipv4-flowspec', 'ipv6-unicast', 'ipv6-flowspec'] };
