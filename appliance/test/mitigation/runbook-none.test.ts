// An attack no runbook takes is alerted only, and the audit trail says so once: runbook.none at its start, not
// again at each of its updates (about one a second), once more for another attack, and a mitigation as soon as
// an update makes a runbook match (the outcome changed).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Harness, PEER, T0, attackAt } from './support/harness.js';
import { firstParty } from './support/source-tiers.js';

const RUNBOOK = {
  name: 'confident-only',
  match: { minConfidence: 0.6 },
  stages: [{ name: 'flowspec', tier: '@breakwater/tier-flowspec', settings: { action: 'discard' } }],
};

let h: Harness;

before(async () => {
  h = new Harness({ config: { mitigation: { mode: 'auto' }, runbooks: [RUNBOOK], bgp: { peers: [PEER] } }, tiers: [firstParty('tier-flowspec')] });
  await h.start();
});

after(() => h.close());

const none = (attackId: string) => h.audit({ attackId }).filter((r) => r.action === 'runbook.none');

test('runbook.none is audited once per attack, not at every update', async () => {
  const crowd = attackAt(T0, { id: 'crowd-1', confidence: 0.3 });
  await h.started(crowd);
  for (let i = 1; i <= 5; i++) {
    h.now = T0 + i * 1_000;
    await h.updated({ ...crowd, updatedAt: h.now });
  }
  assert.equal(none('crowd-1').length, 1);
  assert.match(none('crowd-1')[0]!.reason ?? '', /no runbook matches/);
  assert.equal(none('crowd-1')[0]!.at, T0, 'written at the start');
  await h.ended(crowd);

  // Another attack is another alert.
  const other = attackAt(h.now, { id: 'crowd-2', target: '203.0.113.20', confidence: 0.2 });
  await h.started(other);
  await h.updated({ ...other, updatedAt: h.now + 1_000 });
  assert.equal(none('crowd-2').length, 1);
  assert.equal(h.speaker.desiredRoutes().length, 0, 'nothing announced');
});

test('an update that makes a runbook match starts the mitigation, and runbook.none is not written again', async () => {
  const rising = attackAt(h.now, { id: 'rising', confidence: 0.4 });
  await h.started(rising);
  await h.updated({ ...rising, confidence: 0.5 });
  assert.equal(none('rising').length, 1);
  await h.updated({ ...rising, confidence: 0.9 });
  const actions = h.audit({ attackId: 'rising' }).map((r) => r.action);
  assert.deepEqual(actions.slice(0, 3), ['runbook.none', 'attack.detected', 'stage.selected']);
  assert.ok(actions.includes('stage.engaged'), actions.join(' '));
  await h.updated({ ...rising, confidence: 0.9 });
  assert.equal(none('rising').length, 1);
  assert.equal(h.speaker.desiredRoutes().length, 1, 'its FlowSpec rule is announced');
});
