// The attack bus's contract: call order (first, then the event's type, then every event), a throwing subscriber
// counted and isolated, unsubscribe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus } from '../../src/bus/event-bus.js';

type Ev = { type: 'a' } | { type: 'b' };

test('subscribers that asked to be first run before typed and catch-all subscribers, whatever the order of subscribing', () => {
  const bus = new EventBus<Ev>();
  const calls: string[] = [];
  bus.on('a', () => calls.push('typed-1'));
  bus.onAny(() => calls.push('any'));
  bus.onAny(() => calls.push('first'), { first: true });
  bus.on('a', () => calls.push('typed-2'));
  bus.publish({ type: 'a' });
  assert.deepEqual(calls, ['first', 'typed-1', 'typed-2', 'any']);
  calls.length = 0;
  bus.publish({ type: 'b' });
  assert.deepEqual(calls, ['first', 'any']);
});

test('a throwing subscriber is counted and reported, and the others still run', () => {
  const errors: unknown[] = [];
  const bus = new EventBus<Ev>((err) => errors.push(err));
  const calls: string[] = [];
  bus.onAny(() => {
    throw new Error('boom');
  }, { first: true });
  bus.on('a', () => calls.push('typed'));
  bus.publish({ type: 'a' });
  assert.deepEqual(calls, ['typed']);
  assert.equal(bus.handlerErrors, 1);
  assert.equal((errors[0] as Error).message, 'boom');
});

test('unsubscribing a first subscriber removes it', () => {
  const bus = new EventBus<Ev>();
  let n = 0;
  const off = bus.onAny(() => n++, { first: true });
  bus.publish({ type: 'a' });
  off();
  bus.publish({ type: 'a' });
  assert.equal(n, 1);
  assert.equal(bus.published, 2);
});
