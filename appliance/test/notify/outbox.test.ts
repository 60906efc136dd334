// The outbox with a clock the test moves and channels that fail as told: routing, retries with backoff and
// jitter, Retry-After (which holds the whole channel), refusals, the give-up bounds, de-duplication, the
// rate limit, the "not told" rule for an attack's end, per-attack order, and that the emitter never waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DeliveryError, PluginError, type NotificationEvent } from '@breakwater/sdk';
import { sampleAttack, sampleNotification } from '@breakwater/sdk/testing';
import { Secret } from '../../src/config/secret.js';
import { Outbox, type DeliveryFailure, type OutboxChannel } from '../../src/notify/outbox.js';
import { DATABASE_FILE_NAME, OutboxStore } from '../../src/notify/outbox-store.js';
import { captureLogger, FakeClock, recordingChannel, tempDir } from './helpers.js';

const policy = { initialDelayMs: 5_000, maxDelayMs: 60_000, maxAttempts: 5, maxAgeMs: 3_600_000 };

function channel(name: string, deliver: OutboxChannel['deliver'], overrides: Partial<OutboxChannel> = {}): OutboxChannel {
  return {
    name,
    rule: { minSeverity: 'low', events: ['attack.detected', 'tier.engaged', 'attack.escalated', 'attack.deescalated', 'mitigation.failed', 'approval.needed', 'attack.ended'], minStage: 1 },
    dedupMs: 900_000,
    rateLimit: { burst: 100, perHour: 3_600 },
    secrets: [],
    ...(deliver !== undefined ? { deliver } : {}),
    ...overrides,
  };
}

function setup(channels: OutboxChannel[], options: { timers?: boolean; clock?: FakeClock; onFailed?: (f: DeliveryFailure) => void } = {}) {
  const tmp = tempDir();
  const store = OutboxStore.open(join(tmp.dir, DATABASE_FILE_NAME));
  const clock = options.clock ?? new FakeClock();
  const { log, text, lines } = captureLogger();
  const outbox = new Outbox({
    store,
    channels,
    policy,
    log,
    now: options.timers ? Date.now : clock.now,
    random: () => 0.5,
    timers: options.timers ?? false,
    ...(options.onFailed !== undefined ? { onFailed: options.onFailed } : {}),
  });
  const done = async () => {
    await outbox.stop();
    store.close();
    tmp.remove();
  };
  return { store, outbox, clock, logText: text, logLines: lines, done };
}

const detected = (attackId = 'A1', overrides: Partial<NotificationEvent> = {}) =>
  sampleNotification('attack.detected', { id: `${attackId}.detected`, attack: sampleAttack({ id: attackId }), ...overrides } as never);
const ended = (attackId = 'A1') => sampleNotification('attack.ended', { id: `${attackId}.ended`, attack: { ...sampleAttack({ id: attackId }), endedAt: sampleAttack().startedAt + 250_000 } });

test('enqueue only queues: nothing is stored or sent until the next turn (flush), then each channel that takes it gets it', async () => {
  const slack = recordingChannel();
  const pager = recordingChannel();
  const t = setup([channel('slack', slack.deliver), channel('pager', pager.deliver, { rule: { minSeverity: 'critical', events: ['attack.detected'], minStage: 1 } })]);
  t.outbox.enqueue(detected());
  assert.equal(t.store.list().length, 0, 'nothing stored by enqueue itself');
  assert.equal(slack.calls(), 0);
  t.outbox.flush();
  await t.outbox.deliverDue();
  assert.deepEqual(slack.delivered.map((e) => e.id), ['A1.detected']);
  assert.equal(pager.calls(), 0, 'severity high is below the pager channel\'s critical');
  assert.equal(t.outbox.counters.get('pager')!.filtered, 1);
  const [row] = t.store.list({ channel: 'slack' });
  assert.equal(row!.status, 'delivered');
  assert.equal(row!.attempts, 1);
  assert.deepEqual(t.store.attempts(row!.id).map((a) => a.outcome), ['delivered']);
  await t.done();
});

test('routing by event type and runbook stage', async () => {
  const ch = recordingChannel();
  const t = setup([channel('escalations', ch.deliver, { rule: { minSeverity: 'low', events: ['attack.escalated', 'mitigation.failed'], minStage: 2 } })]);
  const stage1Failure = sampleNotification('mitigation.failed', { id: 'f1' });
  const stage2Escalation = sampleNotification('attack.escalated', { id: 'e2' });
  for (const e of [detected(), stage1Failure, stage2Escalation]) t.outbox.enqueue(e);
  t.outbox.flush();
  await t.outbox.deliverDue();
  assert.deepEqual(ch.delivered.map((e) => e.id), ['e2']);
  assert.equal(t.outbox.counters.get('escalations')!.filtered, 2);
  await t.done();
});

test('a failure is retried with exponential backoff and jitter, recorded attempt by attempt, until delivered', async () => {
  const ch = recordingChannel();
  const t = setup([channel('slack', ch.deliver)]);
  const unavailable = new DeliveryError('BW_ERR_NOTIFY_UNAVAILABLE', 'Slack answered 503', { status: 503 });
  ch.failNext(unavailable, unavailable, unavailable);
  t.outbox.enqueue(detected());
  t.outbox.flush();
  const start = t.clock.ms;
  // random() = 0.5 draws the middle of the upper half: 0.75 × 5 s, then × 10 s, then × 20 s.
  const expected = [3_750, 7_500, 15_000];
  for (const delay of expected) {
    await t.outbox.deliverDue();
    const [row] = t.store.list();
    assert.equal(row!.status, 'pending');
    assert.equal(row!.nextAttemptAt, t.clock.ms + delay);
    t.clock.advance(delay - 1);
    await t.outbox.deliverDue();
    assert.equal(ch.calls(), expected.indexOf(delay) + 1, 'not retried before its time');
    t.clock.advance(1);
  }
  await t.outbox.deliverDue();
  const [row] = t.store.list();
  assert.equal(row!.status, 'delivered');
  assert.equal(row!.attempts, 4);
  assert.equal(row!.lastStatus, 503, 'the last failure stays on record');
  assert.deepEqual(t.store.attempts(row!.id).map((a) => [a.outcome, a.httpStatus, a.at - start]), [
    ['retry', 503, 0],
    ['retry', 503, 3_750],
    ['retry', 503, 11_250],
    ['delivered', null, 26_250],
  ]);
  assert.equal(t.outbox.counters.get('slack')!.retried, 3);
  assert.equal(t.outbox.counters.get('slack')!.delivered, 1);
  await t.done();
});

test('the backoff is capped at maxDelayMs and its jitter spreads retries over the upper half', async () => {
  const { backoffDelay } = await import('../../src/notify/backoff.js');
  assert.equal(backoffDelay(1, policy, () => 0), 2_500);
  assert.equal(backoffDelay(1, policy, () => 1), 5_000);
  assert.equal(backoffDelay(3, policy, () => 0.5), 15_000);
  assert.equal(backoffDelay(10, policy, () => 1), 60_000, 'capped');
  assert.equal(backoffDelay(10, policy, () => 0), 30_000);
});

test('a 429 waits exactly the provider\'s Retry-After and holds the channel\'s other messages until then', async () => {
  const ch = recordingChannel();
  const t = setup([channel('discord', ch.deliver)]);
  ch.failNext(new PluginError('BW_ERR_PLUGIN_HOOK', 'plugin failed', { plugin: 'p', hook: 'notify', cause: new DeliveryError('BW_ERR_NOTIFY_RATE_LIMITED', 'Discord answered 429', { status: 429, retryAfterMs: 30_000 }) }));
  t.outbox.enqueue(detected('A1'));
  t.outbox.enqueue(detected('A2'));
  t.outbox.flush();
  await t.outbox.deliverDue();
  const rows = t.store.list();
  assert.deepEqual(rows.map((r) => [r.attackId, r.status, r.nextAttemptAt! - t.clock.ms]), [
    ['A1', 'pending', 30_000],
    ['A2', 'pending', 30_000],
  ]);
  assert.equal(t.store.attempts(rows[0]!.id)[0]!.retryAfterMs, 30_000);
  t.clock.advance(29_999);
  await t.outbox.deliverDue();
  assert.equal(ch.calls(), 1, 'nothing sent while the provider asked us to wait');
  t.clock.advance(1);
  await t.outbox.deliverDue();
  assert.deepEqual(ch.delivered.map((e) => e.attack.id).sort(), ['A1', 'A2']);
  assert.equal(t.outbox.counters.get('discord')!.rateLimitedByProvider, 1);
  await t.done();
});

test('a refusal (4xx) is given up at once; errors of the plugin loader (timeouts) and unknown errors are retried', async () => {
  const ch = recordingChannel();
  const t = setup([channel('teams', ch.deliver)]);
  ch.failNext(
    new PluginError('BW_ERR_PLUGIN_HOOK', 'x', { plugin: 'p', hook: 'notify', cause: new DeliveryError('BW_ERR_NOTIFY_REJECTED', 'Teams answered 400: bad card', { status: 400 }) }),
    new PluginError('BW_ERR_PLUGIN_TIMEOUT', 'Plugin p did not finish hook notify within 10000 ms', { plugin: 'p', hook: 'notify' }),
    new TypeError('fetch failed'),
  );
  t.outbox.enqueue(detected('A1'));
  t.outbox.enqueue(detected('A2'));
  t.outbox.flush();
  await t.outbox.deliverDue();
  const [a1, a2] = t.store.list();
  assert.deepEqual([a1!.status, a1!.reason, a1!.attempts, a1!.lastErrorCode, a1!.lastStatus], ['failed', 'rejected', 1, 'BW_ERR_NOTIFY_REJECTED', 400]);
  assert.deepEqual([a2!.status, a2!.lastErrorCode], ['pending', 'BW_ERR_PLUGIN_TIMEOUT']);
  t.clock.advance(5_000);
  await t.outbox.deliverDue();
  assert.deepEqual([t.store.get(a2!.id)!.status, t.store.get(a2!.id)!.lastErrorCode], ['pending', 'BW_ERR_NOTIFY_UNAVAILABLE']);
  t.clock.advance(10_000);
  await t.outbox.deliverDue();
  assert.equal(t.store.get(a2!.id)!.status, 'delivered');
  assert.equal(t.store.failures().length, 1);
  assert.equal(t.store.failures()[0]!.attemptLog[0]!.error, 'Teams answered 400: bad card');
  await t.done();
});

test('gives up after maxAttempts, and when the next attempt would come later than maxAge after the event', async () => {
  const always = async () => {
    throw new DeliveryError('BW_ERR_NOTIFY_UNAVAILABLE', 'down');
  };
  const t = setup([channel('a', always), channel('b', async () => {
    throw new DeliveryError('BW_ERR_NOTIFY_RATE_LIMITED', 'slow down', { retryAfterMs: 7_200_000 });
  })]);
  t.outbox.enqueue(detected());
  t.outbox.flush();
  for (let i = 0; i < 10; i++) {
    await t.outbox.deliverDue();
    t.clock.advance(60_000);
  }
  const a = t.store.list({ channel: 'a' })[0]!;
  assert.deepEqual([a.status, a.reason, a.attempts], ['failed', 'gave_up_attempts', policy.maxAttempts]);
  const b = t.store.list({ channel: 'b' })[0]!;
  assert.deepEqual([b.status, b.reason, b.attempts], ['failed', 'gave_up_age', 1], 'a 2 h wait is past the 1 h bound: given up at once');
  assert.equal(t.outbox.counters.get('a')!.failed, 1);
  assert.ok(t.logLines.some((l) => l.msg === 'notification given up (BW_ERR_NOTIFY_GAVE_UP)' && l.channel === 'a' && l.reason === 'attempts'));
  await t.done();
});

test('de-duplication: the same event about the same attack once per window; the same event id only ever once', async () => {
  const ch = recordingChannel();
  const t = setup([channel('slack', ch.deliver)]);
  t.outbox.enqueue(detected('A1'));
  t.outbox.enqueue(detected('A1'));
  t.outbox.enqueue(detected('A1', { id: 'A1.detected-again' }));
  t.outbox.flush();
  await t.outbox.deliverDue();
  assert.equal(ch.delivered.length, 1);
  assert.deepEqual(t.store.list().map((r) => [r.eventId, r.status, r.reason]), [
    ['A1.detected', 'delivered', null],
    ['A1.detected-again', 'suppressed', 'duplicate'],
  ]);
  t.clock.advance(900_001);
  t.outbox.enqueue(detected('A1', { id: 'A1.detected-later' }));
  t.outbox.flush();
  await t.outbox.deliverDue();
  assert.equal(ch.delivered.length, 2, 'after the window it goes out again');
  assert.equal(t.outbox.counters.get('slack')!.suppressedDuplicate, 1);
  await t.done();
});

test('rate limit: a burst, then the sustained rate; the end of an attack the channel was told about passes anyway', async () => {
  const ch = recordingChannel();
  const t = setup([channel('sms', ch.deliver, { rateLimit: { burst: 2, perHour: 60 } })]);
  for (const id of ['A1', 'A2', 'A3']) t.outbox.enqueue(detected(id));
  t.outbox.enqueue(ended('A1'));
  t.outbox.enqueue(ended('A3'));
  t.outbox.flush();
  await t.outbox.deliverDue();
  assert.deepEqual(t.store.list().map((r) => [r.eventId, r.status, r.reason]), [
    ['A1.detected', 'delivered', null],
    ['A2.detected', 'delivered', null],
    ['A3.detected', 'suppressed', 'rate_limited'],
    ['A1.ended', 'delivered', null],
    ['A3.ended', 'suppressed', 'not_told'],
  ]);
  t.clock.advance(60_000);
  t.outbox.enqueue(detected('A4'));
  t.outbox.enqueue(detected('A5'));
  t.outbox.flush();
  await t.outbox.deliverDue();
  assert.deepEqual(t.store.list().slice(5).map((r) => r.status), ['delivered', 'suppressed'], 'one token a minute at 60 an hour');
  const counters = t.outbox.counters.get('sms')!;
  assert.equal(counters.suppressedRateLimit, 2);
  assert.equal(counters.suppressedNotTold, 1);
  await t.done();
});

test('one attack\'s messages reach a channel in order; another attack\'s go ahead meanwhile', async () => {
  const ch = recordingChannel();
  const t = setup([channel('pagerduty', ch.deliver)]);
  ch.failNext(new DeliveryError('BW_ERR_NOTIFY_UNAVAILABLE', 'down'));
  t.outbox.enqueue(detected('A1'));
  t.outbox.enqueue(ended('A1'));
  t.outbox.enqueue(detected('A2'));
  t.outbox.flush();
  await t.outbox.deliverDue();
  assert.deepEqual(ch.delivered.map((e) => e.id), ['A2.detected'], 'A1.ended waits for A1.detected');
  t.clock.advance(5_000);
  await t.outbox.deliverDue();
  assert.deepEqual(ch.delivered.map((e) => e.id), ['A2.detected', 'A1.detected', 'A1.ended']);
  await t.done();
});

test('a channel that hangs delays no other channel, and enqueue returns at once', async () => {
  let release: () => void = () => undefined;
  const hanging = new Promise<void>((resolve) => (release = resolve));
  const fast = recordingChannel();
  const t = setup([channel('stuck', () => hanging), channel('fast', fast.deliver)], { timers: true });
  t.outbox.enqueue(detected('A1'));
  assert.equal(fast.calls(), 0, 'enqueue sent nothing itself');
  for (let i = 0; i < 1000 && fast.delivered.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(fast.delivered.map((e) => e.id), ['A1.detected']);
  assert.equal(t.store.list({ channel: 'stuck' })[0]!.status, 'pending');
  release();
  await t.done();
});

test('a channel whose plugin did not load: its messages are recorded as failed, not dropped', async () => {
  const t = setup([channel('mail', undefined, { unavailable: 'channel mail: no plugin @breakwater/notifier-email' })]);
  t.outbox.enqueue(detected());
  t.outbox.flush();
  assert.deepEqual(t.store.list().map((r) => [r.status, r.reason]), [['failed', 'channel_unavailable']]);
  assert.equal(t.outbox.counters.get('mail')!.lastError?.code, 'BW_ERR_NOTIFY_CHANNEL');
  await t.done();
});

test('a secret quoted in a provider error is neither logged nor stored', async () => {
  const url = new Secret('https://hooks.slack.com/services/T0/B0/s3cr3tT0k3nValue');
  const ch = recordingChannel();
  const t = setup([channel('slack', ch.deliver, { secrets: [url] })]);
  ch.failNext(new DeliveryError('BW_ERR_NOTIFY_UNAVAILABLE', 'POST https://hooks.slack.com/services/T0/B0/s3cr3tT0k3nValue failed; path /services/T0/B0/s3cr3tT0k3nValue'));
  t.outbox.enqueue(detected());
  t.outbox.flush();
  await t.outbox.deliverDue();
  const [row] = t.store.list();
  assert.ok(!row!.lastError!.includes('s3cr3tT0k3nValue'), row!.lastError!);
  assert.match(row!.lastError!, /https:\/\/hooks\.slack\.com\/••••/);
  assert.ok(!t.logText().includes('s3cr3tT0k3nValue'));
  await t.done();
});

test('every message given up is reported once to onFailed (for the audit trail), with why; a retry is not a failure', async () => {
  const failures: DeliveryFailure[] = [];
  const refused = async () => {
    throw new DeliveryError('BW_ERR_NOTIFY_REJECTED', 'Slack answered 404: no_service', { status: 404 });
  };
  const down = async () => {
    throw new DeliveryError('BW_ERR_NOTIFY_UNAVAILABLE', 'connection refused');
  };
  const t = setup(
    [channel('slack', refused), channel('pager', down), channel('mail', undefined, { unavailable: 'no plugin' }), channel('log', async () => undefined)],
    { onFailed: (f) => failures.push(f) },
  );
  t.outbox.enqueue(detected('A7'));
  t.outbox.flush();
  await t.outbox.deliverDue();
  assert.deepEqual(failures.map((f) => [f.channel, f.reason]).sort(), [['mail', 'channel_unavailable'], ['slack', 'rejected']], 'the pager is only being retried');
  for (let i = 0; i < 10; i++) {
    t.clock.advance(60_000);
    await t.outbox.deliverDue();
  }
  const byChannel = Object.fromEntries(failures.map((f) => [f.channel, f]));
  assert.equal(failures.length, 3, 'each message is reported once');
  assert.deepEqual(
    [byChannel.pager!.reason, byChannel.pager!.attempts, byChannel.pager!.code, byChannel.pager!.error],
    ['gave_up_attempts', policy.maxAttempts, 'BW_ERR_NOTIFY_UNAVAILABLE', 'connection refused'],
  );
  assert.deepEqual([byChannel.slack!.attackId, byChannel.slack!.eventType, byChannel.slack!.code], ['A7', 'attack.detected', 'BW_ERR_NOTIFY_REJECTED']);
  assert.equal(byChannel.slack!.target, sampleAttack().target);
  await t.done();
});
