// A notification the outbox gave up on lands in the audit trail next to the actions it was about, so
// `breakwater audit --attack ID` tells the whole story, including who was not told.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeSpeaker } from './support/fake-speaker.js';
import { Harness, PEER } from './support/harness.js';

let h: Harness;

before(async () => {
  h = new Harness({ config: { mitigation: { mode: 'detect-only' }, bgp: { peers: [PEER] } }, tiers: [], speaker: new FakeSpeaker(() => h.now) });
  await h.start();
});

after(() => h.close());

test('notificationFailed appends a notify.failed entry, queryable by attack and by action family', () => {
  h.engine.notificationFailed({
    at: h.now,
    channel: 'pager',
    eventType: 'attack.detected',
    eventId: 'A9.detected',
    attackId: 'A9',
    target: '203.0.113.10',
    reason: 'gave_up_attempts',
    attempts: 12,
    code: 'BW_ERR_NOTIFY_UNAVAILABLE',
    error: 'connection refused',
  });
  const [row, ...rest] = h.audit({ attackId: 'A9' });
  assert.equal(rest.length, 0);
  assert.equal(row?.action, 'notify.failed');
  assert.equal(row?.target, '203.0.113.10');
  assert.equal(row?.resource, 'pager:A9.detected');
  assert.equal(row?.reason, 'BW_ERR_NOTIFY_UNAVAILABLE: connection refused');
  assert.deepEqual(row?.detail, { channel: 'pager', event: 'attack.detected', why: 'gave_up_attempts', attempts: 12 });
  assert.equal(h.audit({ action: 'notify.' }).length, 1);
});
