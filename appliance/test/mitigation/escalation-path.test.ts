// The whole path with a fake clock: attack.started -> FlowSpec (Tier 2) -> RTBH (Tier 3) -> BGP diversion
// (Tier 4) -> the runbook runs out -> attack.ended -> one step down per quiet period -> nothing left; then the
// attack returns and starts at the last stage that worked. The real first-party tier plugins run through the
// engine's guarded facades onto a fake speaker; the audit trail and the mitigation events are checked on the way.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FakeDivertingSpeaker } from './support/fake-speaker.js';
import { Harness, PEER, T0, attackAt } from './support/harness.js';
import { firstParty } from './support/source-tiers.js';

const RUNBOOK = {
  name: 'escalate',
  stages: [
    { name: 'flowspec', tier: '@breakwater/tier-flowspec', settings: { action: 'discard' } },
    { name: 'rtbh', tier: '@breakwater/tier-rtbh', settings: { communities: ['65010:666'] } },
    { name: 'scrub', tier: '@breakwater/tier-scrubbing', settings: { provider: 'bgp-community' }, notifiers: ['@breakwater/notifier-slack'] },
  ],
  escalation: { afterSeconds: 60 },
  deescalation: { quietSeconds: 120, steps: 'one' },
  reengage: { withinSeconds: 600 },
};

const TIERS = [firstParty('tier-flowspec'), firstParty('tier-rtbh'), { ...firstParty('tier-scrubbing'), config: { bgpCommunity: { communities: ['65000:9999'] } } }];

let h: Harness;
let speaker: FakeDivertingSpeaker;

before(async () => {
  h = new Harness({
    config: { mitigation: { mode: 'auto', verifyIntervalSeconds: 30 }, runbooks: [RUNBOOK], bgp: { peers: [PEER] } },
    tiers: TIERS,
    speaker: new FakeDivertingSpeaker(() => h.now),
  });
  speaker = h.speaker as FakeDivertingSpeaker;
  await h.start();
});

after(() => h.close());

const routes = () => [...speaker.routes.values()].map((r) => (r.kind === 'rtbh' ? `rtbh ${r.prefix} ${r.communities.join(' ')}` : `flow ${r.rule.match.destination?.prefix} ${JSON.stringify(r.rule.actions)}`)).concat([...speaker.diversions.values()].map((d) => `divert ${d.prefix} ${d.communities.join(' ')}`));

test('climbs FlowSpec -> RTBH -> diversion while the attack lasts, and says when no stage is left', async () => {
  const attack = attackAt(h.now);
  await h.started(attack);
  assert.deepEqual(routes(), ['flow 203.0.113.10/32 [{"type":"discard"}]']);
  assert.deepEqual(h.notices().map((e) => e.type), ['tier.engaged']);
  assert.equal(h.notices('tier.engaged')[0]?.tier, '@breakwater/tier-flowspec');

  await h.advance(59_000);
  assert.equal(routes().length, 1, 'no escalation before 60 s');
  await h.advance(1_000);
  assert.deepEqual(routes(), ['flow 203.0.113.10/32 [{"type":"discard"}]', 'rtbh 203.0.113.10/32 65535:666 65010:666']);
  const escalated = h.notices('attack.escalated')[0]!;
  assert.equal(escalated.from?.name, 'flowspec');
  assert.equal(escalated.stage?.name, 'rtbh');
  assert.match(escalated.reason ?? '', /still active 60 s after stage flowspec/);

  await h.advance(60_000);
  assert.ok(routes().includes('divert 203.0.113.0/24 65000:9999'));
  assert.deepEqual(h.notices('tier.engaged').map((e) => e.stage?.name), ['flowspec', 'rtbh', 'scrub']);
  assert.deepEqual(h.notices('tier.engaged').at(-1)?.notifiers, ['@breakwater/notifier-slack']);
  assert.deepEqual(h.notices('tier.engaged').at(-1)?.actions.map((a) => `${a.stage.name}:${a.outcome}`), ['flowspec:engaged', 'rtbh:engaged', 'scrub:engaged']);

  await h.advance(120_000);
  assert.equal(h.notices('runbook.exhausted').length, 1, 'alerted once, not every tick');
  assert.equal(routes().length, 3);
  // Verification ran every 30 s and found everything in place: no repair, no failure.
  assert.equal(h.notices('mitigation.failed').length, 0);
  assert.equal(h.audit({ action: 'stage.repair' }).length, 0);
});

test('steps down one stage per quiet period after the attack ends, then ends and remembers the last stage that worked', async () => {
  const attack = h.engine.list()[0]!;
  await h.ended(attackAt(T0, { id: attack.id }));
  assert.equal(h.engine.list()[0]?.phase, 'cooling');
  await h.advance(119_000);
  assert.equal(routes().length, 3, 'nothing leaves before the quiet period');
  await h.advance(1_000);
  assert.deepEqual(routes(), ['flow 203.0.113.10/32 [{"type":"discard"}]', 'rtbh 203.0.113.10/32 65535:666 65010:666']);
  await h.advance(120_000);
  assert.deepEqual(routes(), ['flow 203.0.113.10/32 [{"type":"discard"}]']);
  await h.advance(120_000);
  assert.deepEqual(routes(), []);
  assert.deepEqual(h.engine.list(), []);
  assert.deepEqual(h.notices('attack.deescalated').map((e) => e.from?.name), ['scrub', 'rtbh', 'flowspec']);
  assert.equal(h.notices('mitigation.ended').length, 1);

  // The audit trail tells the whole story: what was applied, when, by whom, and removed why.
  const applied = h.audit({ action: 'action.applied' });
  assert.deepEqual(applied.map((r) => [r.stageName, r.actor]), [
    ['flowspec', 'plugin:@breakwater/tier-flowspec'],
    ['rtbh', 'plugin:@breakwater/tier-rtbh'],
    ['scrub', 'plugin:@breakwater/tier-scrubbing'],
  ]);
  const removed = h.audit({ action: 'action.removed' });
  assert.deepEqual(removed.map((r) => `${r.stageName} ${r.target}`), ['scrub 203.0.113.10', 'rtbh 203.0.113.10', 'flowspec 203.0.113.10']);
  assert.ok(removed.every((r) => /withdrawn by @breakwater\/tier-/.test(r.reason ?? '')), JSON.stringify(removed.map((r) => r.reason)));
  assert.deepEqual(h.audit({ action: 'stage.disengaged' }).map((r) => r.reason), Array(3).fill('the attack stayed away for the quiet period'));
  assert.ok(h.audit({ attackId: attack.id }).length >= 15);
  assert.ok(h.audit({ target: '203.0.113.0/24' }).length >= 15, 'a prefix matches the targets inside it');
});

test('an attack that returns within reengage.withinSeconds starts at the last stage that worked', async () => {
  const back = attackAt(h.now, { id: 'returning-attack' });
  const before = h.events.length;
  await h.started(back);
  const fresh = h.events.slice(before);
  assert.deepEqual(fresh.map((e) => e.type), ['attack.escalated', 'tier.engaged']);
  assert.equal(fresh[1]?.stage?.name, 'scrub');
  assert.deepEqual(routes(), ['divert 203.0.113.0/24 65000:9999']);
  assert.match(h.audit({ attackId: 'returning-attack', action: 'stage.selected' })[0]?.reason ?? '', /worked last time/);
  await h.ended(back);
  await h.advance(120_000);
  assert.deepEqual(routes(), []);
});

test('an attack that returns while its mitigation is cooling is folded in and climbs back to the last stage that worked', async () => {
  const first = attackAt(h.now, { id: 'wave-1', target: '203.0.113.20', signature: { ...attackAt(0).signature, match: { destination: { prefix: '203.0.113.20/32' }, protocol: [[{ op: '=', value: 17 }]] } } });
  await h.started(first);
  await h.advance(60_000);
  assert.equal(h.engine.list()[0]?.stage, 'rtbh');
  await h.ended(first);
  await h.advance(120_000);
  assert.equal(h.engine.list()[0]?.stage, 'flowspec', 'stepped down once');
  const second = { ...first, id: 'wave-2' };
  await h.started(second);
  const [m] = h.engine.list();
  assert.deepEqual(m?.attackIds, ['wave-1', 'wave-2']);
  assert.equal(m?.phase, 'active');
  assert.equal(m?.stage, 'rtbh', 're-engaged the RTBH stage that worked');
  await h.ended(second);
  await h.advance(240_000);
  assert.deepEqual(h.engine.list(), []);
  assert.deepEqual(routes(), []);
});
