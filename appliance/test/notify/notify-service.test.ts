// The notification service end to end: detection's attack events on the bus become signed webhook posts to a
// local receiver through the real webhook plugin, loaded by the plugin loader; a message pending when the
// appliance stops is delivered after it starts again (the outbox survives a restart); a removed channel's
// pending messages and an unloadable channel's messages are recorded as failed; /health reports it all.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { NotificationEvent } from '@breakwater/sdk';
import { sampleAttack, startFakeProvider } from '@breakwater/sdk/testing';
import { EventBus } from '../../src/bus/event-bus.js';
import type { AttackEvent } from '../../src/detection/attack.js';
import { PluginsSchema } from '../../src/config/plugins-schema.js';
import { NotifyService } from '../../src/notify/notify-service.js';
import { DATABASE_FILE_NAME } from '../../src/notify/outbox-store.js';
import { captureLogger, FakeClock, FIXTURE_PLUGINS, notifyConfig, tempDir } from './helpers.js';

const receiver = await startFakeProvider({ status: 204 });
after(() => receiver.close());
const secret = 'whsec-notify-service-test';

function config(dataDir: string, channels: Record<string, unknown>) {
  return {
    dataDir,
    plugins: Value.Default(PluginsSchema, { extraDirectories: [FIXTURE_PLUGINS] }) as never,
    notify: notifyConfig({ panelUrl: 'https://panel.example.net/', retry: { initialDelayMs: 1_000 }, channels }),
  };
}

const webhook = (path = '/hook') => ({ plugin: '@breakwater/notifier-webhook', secrets: { url: `${receiver.baseUrl}${path}`, secret } });

test('attack.started and attack.ended on the bus arrive at the webhook as signed attack.detected and attack.ended', async () => {
  const tmp = tempDir();
  const bus = new EventBus<AttackEvent>();
  const clock = new FakeClock();
  const { log } = captureLogger();
  const service = new NotifyService({ config: config(tmp.dir, { ops: webhook('/ops') }), bus, log, now: clock.now, timers: false });
  await service.start();
  receiver.requests.length = 0;
  const attack = sampleAttack();
  bus.publish({ type: 'attack.started', attack });
  bus.publish({ type: 'attack.updated', attack });
  bus.publish({ type: 'attack.ended', attack: { ...attack, endedAt: attack.startedAt + 90_000 }, reason: 'quiet' });
  service.outbox!.flush();
  await service.outbox!.deliverDue();
  const bodies = receiver.requests.map((r) => {
    const expected = `v1=${createHmac('sha256', secret).update(`${String(r.headers['x-breakwater-timestamp'])}.${r.body}`).digest('hex')}`;
    assert.equal(r.headers['x-breakwater-signature'], expected);
    return JSON.parse(r.body) as { event: NotificationEvent; message: { title: string } };
  });
  assert.deepEqual(bodies.map((b) => b.event.type), ['attack.detected', 'attack.ended']);
  assert.equal(bodies[0]!.event.attackUrl, 'https://panel.example.net/attacks/01JHQ7Z2K0ATTACK000000001');
  assert.equal(bodies[0]!.event.id, '01JHQ7Z2K0ATTACK000000001.detected');
  const end = bodies[1]!.event as Extract<NotificationEvent, { type: 'attack.ended' }>;
  assert.deepEqual(end.summary, { durationMs: 90_000, peak: attack.peak, vectors: attack.profile.vectors });
  assert.equal(bodies[1]!.message.title, '[HIGH] Attack on 203.0.113.10 ended after 1 min 30 s');
  const report = service.report();
  assert.equal(report.ops!.state, 'running');
  assert.equal(report.ops!.counters.delivered, 2);
  assert.deepEqual(report.ops!.outbox, { pending: 0, delivered: 2, failed: 0, suppressed: 0 });
  await service.stop();
  tmp.remove();
});

test('the outbox survives a restart: a message that failed before the stop is delivered after the start', async () => {
  const tmp = tempDir();
  const clock = new FakeClock();
  const bus = new EventBus<AttackEvent>();
  const first = new NotifyService({ config: config(tmp.dir, { ops: webhook('/restart') }), bus, log: captureLogger().log, now: clock.now, timers: false });
  await first.start();
  receiver.requests.length = 0;
  receiver.answer({ status: 503 });
  bus.publish({ type: 'attack.started', attack: sampleAttack({ id: 'RESTART1' }) });
  first.outbox!.flush();
  await first.outbox!.deliverDue();
  assert.equal(receiver.requests.length, 1);
  assert.equal(first.store!.list()[0]!.status, 'pending');
  await first.stop();

  clock.advance(2_000);
  const second = new NotifyService({ config: config(tmp.dir, { ops: webhook('/restart') }), bus: new EventBus<AttackEvent>(), log: captureLogger().log, now: clock.now, timers: false });
  await second.start();
  await second.outbox!.deliverDue();
  assert.equal(receiver.requests.length, 2);
  assert.equal((JSON.parse(receiver.requests[1]!.body) as { event: NotificationEvent }).event.id, 'RESTART1.detected');
  const [row] = second.store!.list();
  assert.deepEqual([row!.status, row!.attempts], ['delivered', 2]);
  await second.stop();
  tmp.remove();
});

test('the same with real timers: the retry happens by itself after its backoff', async () => {
  const tmp = tempDir();
  const bus = new EventBus<AttackEvent>();
  const service = new NotifyService({ config: config(tmp.dir, { ops: webhook('/timers') }), bus, log: captureLogger().log });
  await service.start();
  receiver.requests.length = 0;
  receiver.answer({ status: 429, headers: { 'retry-after': '1' } });
  bus.publish({ type: 'attack.started', attack: sampleAttack({ id: 'TIMERS1' }) });
  // Not a speed assertion: wait (bounded) for the event to arrive, however long the 1 s Retry-After takes.
  for (let i = 0; i < 400 && receiver.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(receiver.requests.length, 2);
  // The receiver sees the second request before the service has its answer and records the attempt: wait for that too.
  const recorded = () => service.store!.attempts(service.store!.list()[0]!.id);
  for (let i = 0; i < 100 && recorded().length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  const attempts = recorded();
  assert.deepEqual(attempts.map((a) => [a.outcome, a.httpStatus, a.retryAfterMs]), [
    ['rate-limited', 429, 1_000],
    ['delivered', null, null],
  ]);
  assert.ok(attempts[1]!.at - attempts[0]!.at >= 1_000, 'not before the Retry-After');
  await service.stop();
  tmp.remove();
});

test('a removed channel\'s pending messages and an unloadable channel\'s messages are recorded as failed', async () => {
  const tmp = tempDir();
  const clock = new FakeClock();
  const bus = new EventBus<AttackEvent>();
  const first = new NotifyService({ config: config(tmp.dir, { old: webhook('/old') }), bus, log: captureLogger().log, now: clock.now, timers: false });
  await first.start();
  receiver.answer({ status: 500 });
  bus.publish({ type: 'attack.started', attack: sampleAttack({ id: 'GONE1' }) });
  first.outbox!.flush();
  await first.outbox!.deliverDue();
  await first.stop();

  const { log, lines } = captureLogger();
  const bus2 = new EventBus<AttackEvent>();
  const second = new NotifyService({ config: config(tmp.dir, { mail: { plugin: '@breakwater/notifier-email', config: {} } }), bus: bus2, log, now: clock.now, timers: false });
  await second.start();
  bus2.publish({ type: 'attack.started', attack: sampleAttack({ id: 'MAIL1' }) });
  second.outbox!.flush();
  assert.deepEqual(second.store!.list().map((r) => [r.channel, r.status, r.reason]), [
    ['old', 'failed', 'channel_removed'],
    ['mail', 'failed', 'channel_unavailable'],
  ]);
  const report = second.report();
  assert.equal(report.mail!.state, 'unavailable');
  assert.equal(report.mail!.error!.code, 'BW_ERR_NOTIFY_CHANNEL');
  assert.ok(lines.some((l) => l.code === 'BW_ERR_NOTIFY_CHANNEL' && l.channel === 'mail'));
  await second.stop();
  tmp.remove();
});

test('without channels nothing is opened: no database file, publish is a no-op', async () => {
  const tmp = tempDir();
  const service = new NotifyService({ config: config(tmp.dir, {}), bus: new EventBus<AttackEvent>(), log: captureLogger().log });
  await service.start();
  service.publish({ type: 'attack.detected', id: 'x', at: 0, attack: sampleAttack(), actions: [] });
  assert.equal(existsSync(join(tmp.dir, DATABASE_FILE_NAME)), false);
  assert.deepEqual(service.report(), {});
  await service.stop();
  tmp.remove();
});
