// The guardrails on diversion routes that the end-to-end test (scrubbing-bgp-community.test.ts) does not reach:
// the quota (mitigation.guardrails.maxDiversionRoutes; a second attack inside a diverted prefix shares its
// route and is no new one), flap damping of a prefix diverted again and again, a run-time stop-all
// withdrawing diversions, and a speaker whose daemon cannot divert (FRR) refused at the facade. The
// first-party scrubbing tier runs from source on the engine harness.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { BgpSpeaker } from '../../src/bgp/bgp-speaker.js';
import { DesiredStateStore } from '../../src/bgp/desired-state.js';
import { FrrDaemon } from '../../src/bgp/frr/frr-daemon.js';
import type { Speaker } from '../../src/bgp/speaker.js';
import { silentLogger } from '../../src/log.js';
import { cleanUpEverything, makeTempDir } from '../support/netns.js';
import { FakeDivertingSpeaker } from './support/fake-speaker.js';
import { Harness, PEER, attackAt } from './support/harness.js';
import { firstParty } from './support/source-tiers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  cleanUpEverything();
});

async function scrubbingHarness(speaker: Speaker, guardrails: Record<string, unknown> = {}): Promise<Harness> {
  h = new Harness({
    config: {
      mitigation: { mode: 'auto', guardrails },
      runbooks: [
        {
          name: 'scrub',
          stages: [{ name: 'scrub', tier: '@breakwater/tier-scrubbing', settings: { provider: 'bgp-community' } }],
          escalation: { afterSeconds: 0 },
          deescalation: { quietSeconds: 60 },
        },
      ],
      bgp: { peers: [PEER] },
    },
    tiers: [{ ...firstParty('tier-scrubbing'), config: { bgpCommunity: { communities: ['65010:99', '65010:1:2'] } } }],
    speaker,
  });
  return h.start();
}

const statuses = (harness: Harness) => Object.fromEntries(harness.engine.list().map((m) => [m.id, m.stages.map((s) => s.status).join(',')]));

test('maxDiversionRoutes: a diversion of another prefix beyond the limit is refused; an attack inside a diverted prefix shares it', async () => {
  const speaker = new FakeDivertingSpeaker();
  const harness = await scrubbingHarness(speaker, { maxDiversionRoutes: 1 });
  await harness.started(attackAt(harness.now, { id: 'a1', target: '203.0.113.10' }));
  await harness.started(attackAt(harness.now, { id: 'a2', target: '198.51.100.10' }));
  await harness.started(attackAt(harness.now, { id: 'a3', target: '203.0.113.20' }));
  assert.deepEqual(statuses(harness), { a1: 'engaged', a2: 'refused', a3: 'engaged' });
  const refused = harness.notices('mitigation.failed').find((e) => e.error?.code === 'BW_ERR_MITIGATION_QUOTA');
  assert.equal(refused?.guardrail, 'quota');
  assert.match(refused?.error?.message ?? '', /diversion 198\.51\.100\.0\/24 refused: 1 diversion routes are announced and mitigation\.guardrails\.maxDiversionRoutes is 1/);
  assert.deepEqual([...speaker.diversions.keys()], ['divert-203.0.113.0/24']);
  assert.ok(harness.audit({ action: 'action.refused' }).some((r) => r.detail?.code === 'BW_ERR_MITIGATION_QUOTA'));
});

test('flap damping: a diversion announced again after withdrawals is refused once its penalty passes suppressAbove', async () => {
  const speaker = new FakeDivertingSpeaker();
  const harness = await scrubbingHarness(speaker, { flapDamping: { penalty: 1000, suppressAbove: 1500, reuseBelow: 500, halfLifeSeconds: 3600 } });
  const cycle = async (id: string) => {
    const attack = attackAt(harness.now, { id, target: '203.0.113.10' });
    await harness.started(attack);
    const status = statuses(harness)[id];
    await harness.ended(attack);
    await harness.advance(65_000, 5_000);
    return status;
  };
  assert.equal(await cycle('a1'), 'engaged');
  assert.equal(await cycle('a2'), 'engaged', 'the first re-announcement: penalty 1000');
  assert.equal(await cycle('a3'), 'refused', 'the second: about 2000, above 1500');
  const refused = harness.notices('mitigation.failed').find((e) => e.error?.code === 'BW_ERR_MITIGATION_FLAP');
  assert.equal(refused?.guardrail, 'flap-damping');
  assert.equal(speaker.calls.filter((c) => c.op === 'announceDiversion').length, 2);
});

test('stop-all at run time withdraws every diversion and refuses new ones', async () => {
  const speaker = new FakeDivertingSpeaker();
  const harness = await scrubbingHarness(speaker);
  await harness.started(attackAt(harness.now, { id: 'a1', target: '203.0.113.10' }));
  assert.equal(speaker.diversions.size, 1);
  await harness.engine.stopAll('user:test');
  await harness.engine.idle();
  assert.equal(speaker.diversions.size, 0);
  assert.ok(speaker.calls.some((c) => c.op === 'withdrawDiversion' && c.id === 'divert-203.0.113.0/24'));
  await harness.started(attackAt(harness.now, { id: 'a2', target: '198.51.100.10' }));
  assert.equal(speaker.diversions.size, 0, 'nothing new while stopped');
});

test('a speaker whose daemon cannot divert (FRR) is refused with BW_ERR_MITIGATION_NO_DIVERSION and nothing is recorded', async () => {
  const dir = makeTempDir('div-frr-engine');
  const bgp = { speaker: 'frr', localAddress: '192.0.2.10', peers: [{ ...PEER, families: ['ipv4-unicast', 'ipv6-unicast'] }] };
  const probe = new Harness({ config: { bgp } });
  const config = probe.config.bgp;
  await probe.close();
  const speaker = new BgpSpeaker({ config, store: new DesiredStateStore(join(dir, 'desired-routes.json')), daemon: new FrrDaemon({ config, dir, desired: () => [], log: silentLogger() }), log: silentLogger() });
  const harness = await scrubbingHarness(speaker);
  await harness.started(attackAt(harness.now, { id: 'a1', target: '203.0.113.10' }));
  assert.equal(harness.notices('mitigation.failed')[0]?.error?.code, 'BW_ERR_MITIGATION_NO_DIVERSION');
  assert.deepEqual(speaker.diversionRoutes(), []);
});
