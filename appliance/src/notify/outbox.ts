// The outbox: takes notification events from whoever emits them (detection today, the runbook engine later)
// and gets each to the channels that should have it, without ever making the emitter wait. enqueue() only
// appends to an in-memory list; on the next turn of the event loop the batch is routed and written to the
// store in one transaction (routing by severity, event type and runbook stage; per-channel de-duplication;
// per-channel rate limit; nothing about an attack's end to a channel that never heard of the attack). Each
// channel then has its own worker that delivers its due rows one at a time, oldest first within an attack,
// so a slow or failing channel delays no other. A failure is retried with exponential backoff and jitter, or
// after the provider's Retry-After (which also holds the channel's other rows), until the give-up bound;
// a refusal (bad credentials, a deleted webhook) is given up at once. Every attempt is recorded in the store.
import type { NotificationEvent } from '@breakwater/sdk';
import type { Logger } from '../log.js';
import { scrubSecrets, type Secret } from '../config/secret.js';
import { nextRetry, type RetryPolicy } from './backoff.js';
import { classifyFailure } from './delivery-outcome.js';
import type { OutboxReason, OutboxRow, OutboxStore } from './outbox-store.js';
import { TokenBucket } from './rate-limit.js';
import { channelTakes, dedupKey, type RouteRule } from './routing.js';

export interface OutboxChannel {
  name: string;
  rule: RouteRule;
  dedupMs: number;
  rateLimit: { burst: number; perHour: number };
  /** Sends one event; absent when the channel's plugin did not load (its messages fail at once). */
  deliver?: (event: NotificationEvent) => Promise<void>;
  /** Why deliver is absent. */
  unavailable?: string;
  /** The channel's secrets, scrubbed from every error text before it is logged or stored. */
  secrets: readonly Secret[];
}

export interface ChannelCounters {
  queued: number;
  delivered: number;
  /** Deliveries given up (refused, too many attempts, too old, channel unavailable). */
  failed: number;
  /** Attempts that failed and were scheduled again. */
  retried: number;
  /** Answers of the provider that asked us to slow down (429). */
  rateLimitedByProvider: number;
  suppressedDuplicate: number;
  suppressedRateLimit: number;
  suppressedNotTold: number;
  /** Events this channel's rules did not take. */
  filtered: number;
  lastDeliveredAt?: number;
  lastError?: { at: number; code: string; message: string };
}

export interface OutboxOptions {
  store: OutboxStore;
  channels: readonly OutboxChannel[];
  policy: RetryPolicy;
  log: Logger;
  now?: () => number;
  random?: () => number;
  /** Flush on the next tick and wake on timers (default true). Tests call flush() and deliverDue() instead. */
  timers?: boolean;
  /** Told of every message given up, once, after it is recorded: the audit trail listens here. */
  onFailed?: (failure: DeliveryFailure) => void;
}

/** A message the outbox gave up on, and why. */
export interface DeliveryFailure {
  at: number;
  channel: string;
  eventType: string;
  eventId: string;
  attackId: string;
  target: string;
  reason: 'channel_unavailable' | 'rejected' | 'gave_up_attempts' | 'gave_up_age';
  attempts: number;
  code: string;
  error: string;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class Outbox {
  readonly counters = new Map<string, ChannelCounters>();
  private readonly channels = new Map<string, OutboxChannel>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly running = new Map<string, Promise<void>>();
  private queue: { event: NotificationEvent; channels?: readonly string[] }[] = [];
  private flushPending = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly timers: boolean;

  constructor(private readonly options: OutboxOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.timers = options.timers ?? true;
    for (const c of options.channels) {
      this.channels.set(c.name, c);
      this.buckets.set(c.name, new TokenBucket(c.rateLimit.burst, c.rateLimit.perHour, this.now()));
      this.counters.set(c.name, { queued: 0, delivered: 0, failed: 0, retried: 0, rateLimitedByProvider: 0, suppressedDuplicate: 0, suppressedRateLimit: 0, suppressedNotTold: 0, filtered: 0 });
    }
  }

  /**
   * Queues an event for the channels its rules choose, or for exactly `channels` (a runbook stage's own
   * notifier list, or the channel a test message is for). Never throws, never waits, does no I/O.
   */
  enqueue(event: NotificationEvent, options: { channels?: readonly string[] } = {}): void {
    if (this.stopped) return;
    this.queue.push(options.channels === undefined ? { event } : { event, channels: options.channels });
    if (this.timers && !this.flushPending) {
      this.flushPending = true;
      setImmediate(() => {
        this.flushPending = false;
        this.flushSafely();
      });
    }
  }

  /** Routes and stores the queued events (one transaction), then starts the deliveries that are due. */
  flush(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length > 0) {
      const now = this.now();
      this.options.store.transaction(() => {
        for (const item of batch) this.route(item.event, item.channels, now);
      });
    }
    this.kick();
  }

  /** Delivers everything due now, channel by channel, and resolves when no channel has a due row left. */
  async deliverDue(): Promise<void> {
    await Promise.all([...this.channels.values()].filter((c) => c.deliver !== undefined).map((c) => this.runChannel(c)));
  }

  /** Stops queueing and timers; resolves when the attempts in flight have finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.wakeTimer);
    this.flushSafely();
    await Promise.all(this.running.values());
  }

  private flushSafely(): void {
    try {
      this.flush();
    } catch (err) {
      // The store failing must not reach the emitter: the events of this batch are lost, and said so.
      this.options.log.error({ err }, 'notification outbox could not store events');
    }
  }

  private route(event: NotificationEvent, explicit: readonly string[] | undefined, now: number): void {
    const { store } = this.options;
    const targets = explicit ?? [...this.channels.keys()];
    const key = dedupKey(event);
    for (const name of targets) {
      const channel = this.channels.get(name);
      if (channel === undefined) {
        this.options.log.warn({ channel: name, event: event.type }, 'notification for a channel that is not configured: dropped');
        continue;
      }
      const counters = this.counters.get(name)!;
      if (explicit === undefined && !channelTakes(channel.rule, event)) {
        counters.filtered++;
        continue;
      }
      // The same event published twice (a restart of its emitter) is one message.
      if (store.hasEvent(name, event.id)) continue;
      let suppressed: OutboxReason | undefined;
      if (event.type !== 'notify.test') {
        const told = store.wasTold(name, event.attack.id);
        if (channel.dedupMs > 0 && store.isDuplicate(name, key, now - channel.dedupMs)) suppressed = 'duplicate';
        // An end closes what a start opened (a PagerDuty incident, an OpsGenie alert): it goes to a channel
        // that was told about the attack, whatever the rate limit, and to no channel that was not.
        else if (event.type === 'attack.ended' && channel.rule.events.includes('attack.detected') && !told) suppressed = 'not_told';
        else if (!(event.type === 'attack.ended' && told) && !this.buckets.get(name)!.take(now)) suppressed = 'rate_limited';
      }
      if (suppressed !== undefined) {
        store.insert([{ channel: name, event, dedupKey: key, createdAt: now, status: 'suppressed', reason: suppressed }]);
        if (suppressed === 'duplicate') counters.suppressedDuplicate++;
        else if (suppressed === 'not_told') counters.suppressedNotTold++;
        else counters.suppressedRateLimit++;
        continue;
      }
      if (channel.deliver === undefined) {
        store.insert([{ channel: name, event, dedupKey: key, createdAt: now, status: 'failed', reason: 'channel_unavailable' }]);
        counters.failed++;
        counters.lastError = { at: now, code: 'BW_ERR_NOTIFY_CHANNEL', message: channel.unavailable ?? 'the channel is not loaded' };
        this.failed({ at: now, channel: name, eventType: event.type, eventId: event.id, attackId: event.attack.id, target: event.attack.target, reason: 'channel_unavailable', attempts: 0, code: 'BW_ERR_NOTIFY_CHANNEL', error: counters.lastError.message });
        continue;
      }
      store.insert([{ channel: name, event, dedupKey: key, createdAt: now, status: 'pending' }]);
      counters.queued++;
    }
  }

  /** A listener's failure must not stop delivery: it is logged and the outbox goes on. */
  private failed(failure: DeliveryFailure): void {
    try {
      this.options.onFailed?.(failure);
    } catch (err) {
      this.options.log.error({ err, channel: failure.channel }, 'the delivery-failure listener failed');
    }
  }

  /** Starts every channel that has something due, and sets the timer for the next due row. */
  private kick(): void {
    if (this.stopped) return;
    const now = this.now();
    for (const c of this.channels.values()) {
      if (c.deliver !== undefined && !this.running.has(c.name) && this.options.store.nextDue(c.name, now) !== undefined) void this.runChannel(c);
    }
    this.scheduleWake();
  }

  private scheduleWake(): void {
    if (!this.timers || this.stopped) return;
    clearTimeout(this.wakeTimer);
    const idle = [...this.channels.values()].filter((c) => c.deliver !== undefined && !this.running.has(c.name)).map((c) => c.name);
    const at = this.options.store.nextWake(idle);
    if (at === undefined) return;
    this.wakeTimer = setTimeout(() => this.kick(), Math.min(MAX_TIMER_MS, Math.max(0, at - this.now())));
    this.wakeTimer.unref();
  }

  private runChannel(channel: OutboxChannel): Promise<void> {
    const current = this.running.get(channel.name);
    if (current !== undefined) return current;
    const run = (async () => {
      // JS runs this check and the decision to stop without interruption: a row stored meanwhile is seen.
      for (let row = this.options.store.nextDue(channel.name, this.now()); row !== undefined && !this.stopped; row = this.options.store.nextDue(channel.name, this.now())) {
        await this.attempt(channel, row);
      }
    })()
      .catch((err: unknown) => this.options.log.error({ err, channel: channel.name }, 'notification delivery loop failed'))
      .finally(() => {
        this.running.delete(channel.name);
        this.scheduleWake();
      });
    this.running.set(channel.name, run);
    return run;
  }

  private async attempt(channel: OutboxChannel, row: OutboxRow): Promise<void> {
    const { store, log, policy } = this.options;
    const counters = this.counters.get(channel.name)!;
    const at = this.now();
    const context = { channel: channel.name, event: row.eventType, eventId: row.eventId, attack: row.attackId, attempt: row.attempts + 1 };
    try {
      await channel.deliver!(row.event);
      const done = this.now();
      store.recordAttempt(row, { at, durationMs: done - at, outcome: 'delivered' }, { status: 'delivered' });
      counters.delivered++;
      counters.lastDeliveredAt = done;
      log.debug(context, 'notification delivered');
      return;
    } catch (err) {
      const done = this.now();
      const failure = classifyFailure(err);
      const message = scrubSecrets(failure.message, channel.secrets);
      const attempt = {
        at,
        durationMs: done - at,
        outcome: failure.kind,
        errorCode: failure.code,
        error: message,
        ...(failure.status !== undefined ? { httpStatus: failure.status } : {}),
        ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
      };
      counters.lastError = { at: done, code: failure.code, message };
      if (failure.kind === 'rate-limited') counters.rateLimitedByProvider++;
      if (failure.kind === 'rejected') {
        store.recordAttempt(row, attempt, { status: 'failed', reason: 'rejected' });
        counters.failed++;
        log.error({ ...context, code: failure.code, status: failure.status, error: message }, 'notification refused by the provider: given up');
        this.failed({ ...failureOf(row, done), reason: 'rejected', code: failure.code, error: message });
        return;
      }
      const decision = nextRetry({ attempts: row.attempts + 1, createdAt: row.createdAt, now: done, retryAfterMs: failure.retryAfterMs }, policy, this.random);
      if ('giveUp' in decision) {
        store.recordAttempt(row, attempt, { status: 'failed', reason: decision.giveUp === 'attempts' ? 'gave_up_attempts' : 'gave_up_age' });
        counters.failed++;
        log.error({ ...context, code: failure.code, status: failure.status, error: message, reason: decision.giveUp }, 'notification given up (BW_ERR_NOTIFY_GAVE_UP)');
        this.failed({ ...failureOf(row, done), reason: decision.giveUp === 'attempts' ? 'gave_up_attempts' : 'gave_up_age', code: failure.code, error: message });
        return;
      }
      store.recordAttempt(row, attempt, { status: 'pending', retryAt: decision.retryAt });
      counters.retried++;
      // A provider that limits our rate limits the channel, not one message: hold the others too.
      if (failure.kind === 'rate-limited') store.holdChannel(channel.name, decision.retryAt);
      log.warn({ ...context, code: failure.code, status: failure.status, error: message, retryInMs: decision.delayMs }, 'notification failed; will retry');
    }
  }
}

function failureOf(row: OutboxRow, at: number): Pick<DeliveryFailure, 'at' | 'channel' | 'eventType' | 'eventId' | 'attackId' | 'target' | 'attempts'> {
  return { at, channel: row.channel, eventType: row.eventType, eventId: row.eventId, attackId: row.attackId, target: row.event.attack.target, attempts: row.attempts + 1 };
}
