// The notification component of the running appliance: it opens the outbox store, loads each configured
// channel's notifier plugin, turns detection's attack events into notifications, and runs the outbox. It owns
// the outbox's upkeep too: at start, messages still pending for a channel that is no longer configured are
// recorded as failed, and finished rows older than notify.keepDays are deleted (then every six hours).
// It must not slow what emits events: publish() queues in memory and returns.
import { join } from 'node:path';
import type { AttackEvent, NotificationEvent } from '@breakwater/sdk';
import type { AttackBus } from '../bus/event-bus.js';
import type { Component } from '../component.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { fromAttackEvent } from './attack-events.js';
import { deliverer, loadChannels, type LoadedChannel } from './channels.js';
import { Outbox, type ChannelCounters, type DeliveryFailure, type OutboxChannel } from './outbox.js';
import { DATABASE_FILE_NAME, OutboxStore, type OutboxStatus } from './outbox-store.js';

const PURGE_INTERVAL_MS = 6 * 3_600_000;
const DAY_MS = 86_400_000;

export interface NotifyServiceOptions {
  config: Pick<Config, 'notify' | 'plugins' | 'dataDir'>;
  log: Logger;
  /** Detection's attack events are turned into notifications when given. */
  bus?: AttackBus;
  now?: () => number;
  random?: () => number;
  /** Timers on (default). Tests turn them off and drive outbox.flush() / deliverDue(). */
  timers?: boolean;
  /** Loads the channels (default: their plugins through the plugin loader). */
  loadChannels?: typeof loadChannels;
  /** Told of every notification given up (the appliance writes these to the audit trail). */
  onDeliveryFailed?: (failure: DeliveryFailure) => void;
}

export interface ChannelReport {
  plugin: string;
  state: 'running' | 'unavailable';
  error?: { code: string; message: string };
  counters: ChannelCounters;
  outbox: Record<OutboxStatus, number>;
}

export class NotifyService implements Component {
  readonly name = 'notify';
  store: OutboxStore | undefined;
  outbox: Outbox | undefined;
  private channels: LoadedChannel[] = [];
  private unsubscribe: (() => void)[] = [];
  private purgeTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: NotifyServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    const { config, log } = this.options;
    const enabled = Object.entries(config.notify.channels).filter(([, c]) => c.enabled);
    // Without channels there is nothing to store or send: no database file is made.
    if (enabled.length === 0) return;
    this.store = OutboxStore.open(join(config.dataDir, DATABASE_FILE_NAME));
    this.channels = await (this.options.loadChannels ?? loadChannels)(config, log);
    // Node loads its fetch implementation (undici) on the first call: ~55 ms of main-thread CPU that bench/e2e
    // saw land between the first attack's detection and its route. Pay it now, at start, with a local data: URL.
    void fetch('data:,').then((r) => r.arrayBuffer()).catch(() => undefined);
    const now = this.now();
    const configured = new Set(enabled.map(([name]) => name));
    const gone = this.store.pendingChannels().filter((c) => !configured.has(c));
    if (gone.length > 0) {
      const n = this.store.failPending(gone, 'channel_removed', now, 'the channel is no longer configured (or is disabled)');
      log.warn({ channels: gone, messages: n }, 'pending notifications for removed channels recorded as failed');
    }
    this.purge();
    const outboxChannels: OutboxChannel[] = this.channels.map((c) => ({
      name: c.name,
      rule: { minSeverity: c.settings.minSeverity, events: c.settings.events, minStage: c.settings.minStage },
      dedupMs: c.settings.dedupSeconds * 1000,
      rateLimit: c.settings.rateLimit,
      secrets: c.secrets,
      ...(c.handle !== undefined ? { deliver: deliverer(c.handle) } : { unavailable: c.error?.message ?? 'not loaded' }),
    }));
    const { retry } = config.notify;
    this.outbox = new Outbox({
      store: this.store,
      channels: outboxChannels,
      policy: { initialDelayMs: retry.initialDelayMs, maxDelayMs: retry.maxDelayMs, maxAttempts: retry.maxAttempts, maxAgeMs: retry.maxAgeSeconds * 1000 },
      log: log.child({ component: 'outbox' }),
      now: this.now,
      ...(this.options.random !== undefined ? { random: this.options.random } : {}),
      ...(this.options.timers !== undefined ? { timers: this.options.timers } : {}),
      ...(this.options.onDeliveryFailed !== undefined ? { onFailed: this.options.onDeliveryFailed } : {}),
    });
    const bus = this.options.bus;
    if (bus !== undefined) {
      const onAttack = (event: AttackEvent) => {
        const notification = fromAttackEvent(event, config.notify.panelUrl);
        if (notification !== undefined) this.publish(notification);
      };
      this.unsubscribe.push(bus.on('attack.started', onAttack), bus.on('attack.ended', onAttack));
    }
    // Messages left pending by the previous run are due now.
    this.outbox.flush();
    if (this.options.timers !== false) {
      this.purgeTimer = setInterval(() => this.purge(), PURGE_INTERVAL_MS);
      this.purgeTimer.unref();
    }
  }

  /**
   * Queues a notification (the runbook engine's entry point). `channels` sends it to exactly these channels,
   * as a runbook stage's notifier list does; otherwise each channel's routing rules decide. Never throws.
   */
  publish(event: NotificationEvent, options: { channels?: readonly string[] } = {}): void {
    this.outbox?.enqueue(event, options);
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    clearInterval(this.purgeTimer);
    await this.outbox?.stop();
    await Promise.all(this.channels.map((c) => c.handle?.stop()));
    this.store?.close();
    this.store = undefined;
  }

  /** The /health section: each channel's state, counters and outbox totals. */
  report(): Record<string, ChannelReport> {
    const out: Record<string, ChannelReport> = {};
    for (const c of this.channels) {
      out[c.name] = {
        plugin: c.settings.plugin,
        state: c.handle !== undefined ? 'running' : 'unavailable',
        ...(c.error !== undefined ? { error: c.error } : {}),
        counters: { ...this.outbox!.counters.get(c.name)! },
        outbox: this.store!.countByStatus(c.name),
      };
    }
    return out;
  }

  private purge(): void {
    try {
      const n = this.store?.purge(this.now() - this.options.config.notify.keepDays * DAY_MS) ?? 0;
      if (n > 0) this.options.log.info({ rows: n }, 'old notification records deleted');
    } catch (err) {
      this.options.log.error({ err }, 'notification outbox purge failed');
    }
  }
}
