// Every guardrail refuses, below the plugin: the refusal carries its code, is written to the audit trail and
// published as a mitigation.failed event (outcome refused, the guardrail named), and the runbook moves on.
// The first-party tiers ask for what the runbook says; the rogue fixture tier asks for what it must not.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { FirewallRule, MitigationOptions } from '@breakwater/sdk';
import { MitigationStore } from '../../src/mitigation/mitigation-store.js';
import { databasePath, openDatabase } from '../../src/storage/sqlite.js';
import { FakeDivertingSpeaker, FakeSpeaker } from './support/fake-speaker.js';
import { Harness, PEER, attackAt } from './support/harness.js';
import { firstParty, type TierSpec } from './support/source-tiers.js';

const ROGUE: TierSpec = { name: 'rogue-tier', entry: new URL('./fixtures/rogue-tier/index.js', import.meta.url).pathname, dir: new URL('./fixtures/rogue-tier/', import.meta.url).pathname };
const TIERS = [ROGUE, firstParty('tier-flowspec'), firstParty('tier-rtbh')];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function harness(stages: unknown[], options: { guardrails?: Record<string, unknown>; runbook?: Record<string, unknown>; speaker?: FakeSpeaker; firewall?: ConstructorParameters<typeof Harness>[0]['firewall'] } = {}): Promise<Harness> {
  h = new Harness({
    config: {
      mitigation: { mode: 'auto', guardrails: options.guardrails ?? {} },
      runbooks: [{ name: 'rb', stages, escalation: { afterSeconds: 0 }, ...(options.runbook ?? {}) }],
      bgp: { peers: [PEER] },
    },
    tiers: TIERS,
    ...(options.speaker !== undefined ? { speaker: options.speaker } : {}),
    ...(options.firewall !== undefined ? { firewall: options.firewall } : {}),
  });
  return h.start();
}

/** The refusal as the three places report it: the stage's failure, the audit trail, the event. */
function refusal(harness: Harness, code: string, guardrail: string): void {
  const failed = harness.notices('mitigation.failed').find((e) => e.error?.code === code);
  assert.ok(failed, `a mitigation.failed event with ${code}; got ${JSON.stringify(harness.notices('mitigation.failed').map((e) => e.error))}`);
  assert.equal(failed.outcome, 'refused');
  assert.equal(failed.guardrail, guardrail);
  assert.ok(harness.audit({ action: 'action.refused' }).some((r) => r.detail?.code === code), `an action.refused audit entry with ${code}`);
}

let stages = 0;
const rogue = (calls: unknown[], extra: Record<string, unknown> = {}) => ({ name: `rogue-${++stages}`, tier: 'rogue-tier', effect: 'filter', settings: { calls, ...extra } });

test('protected prefix: a blackhole stage is refused before its tier runs, and the runbook escalates', async () => {
  const harness = await harness_([{ name: 'rtbh', tier: '@breakwater/tier-rtbh' }, { name: 'flowspec', tier: '@breakwater/tier-flowspec' }], { guardrails: { protectedPrefixes: ['203.0.113.0/24'] } });
  await harness.started(attackAt(harness.now));
  refusal(harness, 'BW_ERR_MITIGATION_PROTECTED', 'protected-prefix');
  assert.deepEqual((harness.tiers as { calls: { tier: string }[] }).calls.map((c) => c.tier), ['@breakwater/tier-flowspec'], 'the RTBH tier never ran');
  assert.deepEqual(harness.engine.list()[0]?.stages.map((s) => s.status), ['refused', 'engaged']);
  assert.equal([...(harness.speaker as FakeSpeaker).routes.values()].filter((r) => r.kind === 'rtbh').length, 0);
});

test('protected prefix: a plugin whose stage claims to filter still cannot blackhole or divert a protected prefix', async () => {
  const speaker = new FakeDivertingSpeaker();
  const harness = await harness_([rogue([{ call: 'announceBlackhole' }]), rogue([{ call: 'announceDiversion', prefix: '203.0.113.0/24' }])], { guardrails: { protectedPrefixes: ['203.0.113.10/32'] }, speaker });
  await harness.started(attackAt(harness.now));
  assert.equal(harness.notices('mitigation.failed').filter((e) => e.guardrail === 'protected-prefix').length, 2);
  refusal(harness, 'BW_ERR_MITIGATION_PROTECTED', 'protected-prefix');
  assert.equal(speaker.routes.size + speaker.diversions.size, 0);
});

test('RTBH wider than a host route is refused unless the runbook allows it (and then the speaker still holds RFC 7999)', async () => {
  const carpet = attackAt(0, { target: '203.0.113.0/24', targetKind: 'prefix' });
  const stage = { name: 'rtbh', tier: '@breakwater/tier-rtbh', settings: { prefixTargets: 'whole-prefix' } };
  let harness = await harness_([stage]);
  await harness.started({ ...carpet, startedAt: harness.now });
  refusal(harness, 'BW_ERR_MITIGATION_RTBH_PREFIX', 'rtbh-prefix-length');
  await harness.close();

  harness = await harness_([stage], { runbook: { rtbh: { minPrefixLengthIpv4: 24 } } });
  await harness.started({ ...carpet, startedAt: harness.now });
  const failed = harness.notices('mitigation.failed')[0];
  assert.equal(failed?.outcome, 'failed', 'not a guardrail refusal any more');
  assert.match(failed?.error?.message ?? '', /only host routes/);
});

test('quota: RTBH routes overall and FlowSpec rules per router peer; re-announcing a rule does not count twice', async () => {
  const harness = await harness_([{ name: 'rtbh', tier: '@breakwater/tier-rtbh' }], { guardrails: { maxRtbhRoutes: 1 } });
  await harness.started(attackAt(harness.now, { id: 'one' }));
  await harness.started(attackAt(harness.now, { id: 'two', target: '203.0.113.11' }));
  refusal(harness, 'BW_ERR_MITIGATION_QUOTA', 'quota');
  assert.match(harness.notices('mitigation.failed')[0]?.error?.message ?? '', /1 RTBH routes are announced and mitigation.guardrails.maxRtbhRoutes is 1/);
  await harness.close();

  const flows = await harness_([rogue([{ call: 'announceFlow', port: 53 }, { call: 'announceFlow', port: 53 }, { call: 'announceFlow', port: 123 }])], { guardrails: { maxFlowSpecRulesPerPeer: 5, flowSpecRulesPerPeer: { r1: 1 } } });
  await flows.started(attackAt(flows.now));
  refusal(flows, 'BW_ERR_MITIGATION_QUOTA', 'quota');
  assert.match(flows.notices('mitigation.failed')[0]?.error?.message ?? '', /peer r1 already has 1 ipv4 FlowSpec rules and its limit is 1/);
  assert.equal((flows.speaker as FakeSpeaker).calls.filter((c) => c.op === 'announceFlow').length, 2, 'the same rule twice passed, the third was refused');
});

test('TTL: a lifetime longer than the stage allows is refused', async () => {
  const harness = await harness_([{ ...rogue([{ call: 'announceFlow', ttlSeconds: 7200 }]), maxLifetimeSeconds: 3600 }]);
  await harness.started(attackAt(harness.now));
  refusal(harness, 'BW_ERR_MITIGATION_TTL', 'ttl');
  assert.match(harness.notices('mitigation.failed')[0]?.error?.message ?? '', /7200 s exceeds the 3600 s allowed/);
});

test('flap damping: a route announced and withdrawn over and over is suppressed until its penalty decays', async () => {
  const harness = await harness_([rogue([{ call: 'flap', times: 5 }])], { guardrails: { flapDamping: { halfLifeSeconds: 600 } } });
  await harness.started(attackAt(harness.now));
  refusal(harness, 'BW_ERR_MITIGATION_FLAP', 'flap-damping');
  const speaker = harness.speaker as FakeSpeaker;
  assert.equal(speaker.calls.filter((c) => c.op === 'announceFlow').length, 4, 'the fifth announcement was refused');
  // Penalty 4000: still suppressed after two half-lives (1000 > 750), allowed after three (500).
  await harness.ended(attackAt(harness.now));
  await harness.advance(1_200_000, 60_000);
  await harness.started(attackAt(harness.now, { id: 'again' }));
  assert.equal(speaker.calls.filter((c) => c.op === 'announceFlow').length, 4);
  await harness.ended(attackAt(harness.now, { id: 'again' }));
  await harness.advance(600_000, 60_000);
  await harness.started(attackAt(harness.now, { id: 'third' }));
  assert.ok(speaker.calls.filter((c) => c.op === 'announceFlow').length > 4, 'announced again once the penalty decayed');
});

test('flap damping: the suppression is on disk with the refusal, and no claim is left pending for the refused route', async () => {
  const harness = await harness_([rogue([{ call: 'flap', times: 5 }])], { guardrails: { flapDamping: { halfLifeSeconds: 600 } } });
  await harness.started(attackAt(harness.now));
  refusal(harness, 'BW_ERR_MITIGATION_FLAP', 'flap-damping');
  // Read back as a restarted engine would: the refusal's record is committed, though the claim it refused is not.
  const handle = openDatabase(databasePath(harness.dataDir));
  try {
    const store = new MitigationStore(handle.db);
    const suppressed = store.loadFlaps().filter(([, e]) => e.suppressed);
    assert.equal(suppressed.length, 1, JSON.stringify(store.loadFlaps()));
    assert.ok(suppressed[0]![1].penalty > 3000, `penalty ${suppressed[0]![1].penalty}`);
    assert.deepEqual(store.openClaims().filter((c) => c.status === 'pending'), [], 'no pending claim');
  } finally {
    handle.release();
  }
});

test('scope: a plugin cannot act on a destination outside its attack', async () => {
  const harness = await harness_([rogue([{ call: 'announceFlow', destination: '198.51.100.1/32' }])]);
  await harness.started(attackAt(harness.now));
  refusal(harness, 'BW_ERR_MITIGATION_SCOPE', 'scope');
  assert.equal((harness.speaker as FakeSpeaker).routes.size, 0);
});

test('not engaging: a plugin that announces after its stage was left is refused; stop-all refuses everything and withdraws all', async () => {
  const harness = await harness_([rogue([{ call: 'announceFlow' }], { afterDisengage: { call: 'announceFlow', port: 53 } })], { runbook: { deescalation: { quietSeconds: 0 } } });
  const attack = attackAt(harness.now);
  await harness.started(attack);
  assert.equal((harness.speaker as FakeSpeaker).routes.size, 1);
  await harness.ended(attack);
  await harness.advance(1_000);
  assert.equal((harness.speaker as FakeSpeaker).routes.size, 0);
  assert.ok(harness.audit({ action: 'action.refused' }).some((r) => r.detail?.code === 'BW_ERR_MITIGATION_NOT_ENGAGING'));

  await harness.started(attackAt(harness.now, { id: 'second', target: '203.0.113.12' }));
  assert.equal((harness.speaker as FakeSpeaker).routes.size, 1);
  await harness.engine.stopAll('alice');
  assert.equal((harness.speaker as FakeSpeaker).routes.size, 0, 'stop-all withdrew everything');
  assert.ok(harness.audit({ action: 'action.refused' }).some((r) => r.detail?.code === 'BW_ERR_MITIGATION_STOPPED'), 'the plugin\'s call after disengage was refused by stop-all');
  assert.deepEqual(harness.audit({ action: 'stop-all' }).map((r) => r.actor), ['user:alice']);
  await harness.started(attackAt(harness.now, { id: 'third', target: '203.0.113.13' }));
  assert.equal(harness.engine.list().find((m) => m.id === 'third')?.mode, 'detect-only');
  assert.equal((harness.speaker as FakeSpeaker).routes.size, 0);
  harness.engine.resume('alice');
  await harness.started(attackAt(harness.now, { id: 'fourth', target: '203.0.113.14' }));
  assert.equal((harness.speaker as FakeSpeaker).routes.size, 1, 'mitigating again after resume');
});

test('a refusal the plugin swallows is still audited and alerted', async () => {
  const harness = await harness_([rogue([{ call: 'announceFlow', destination: '198.51.100.1/32' }], { swallow: true })]);
  await harness.started(attackAt(harness.now));
  assert.equal(harness.engine.list()[0]?.stages[0]?.status, 'engaged');
  refusal(harness, 'BW_ERR_MITIGATION_SCOPE', 'scope');
});

test('firewall calls go to the registered backend, are refused without one; diversion needs a speaker that can divert', async () => {
  let harness = await harness_([rogue([{ call: 'apply' }])]);
  await harness.started(attackAt(harness.now));
  assert.equal(harness.notices('mitigation.failed')[0]?.error?.code, 'BW_ERR_MITIGATION_NO_FIREWALL');
  await harness.close();

  const applied: { rule: FirewallRule; options: MitigationOptions }[] = [];
  const backend = {
    apply: async (rule: FirewallRule, options: MitigationOptions) => {
      applied.push({ rule, options });
      return { id: `fw-${applied.length}`, expiresAt: Date.now() + options.ttlSeconds * 1000 };
    },
    remove: async () => true,
  };
  harness = await harness_([rogue([{ call: 'apply' }])], { firewall: backend });
  await harness.started(attackAt(harness.now));
  assert.equal(harness.engine.list()[0]?.stages[0]?.status, 'engaged');
  assert.equal(applied[0]?.options.attackId, harness.engine.list()[0]?.id);
  assert.equal(harness.audit({ action: 'action.applied' })[0]?.resource, 'fw-1');
  await harness.close();

  harness = await harness_([rogue([{ call: 'announceDiversion', prefix: '203.0.113.0/24' }])]);
  await harness.started(attackAt(harness.now));
  assert.equal(harness.notices('mitigation.failed')[0]?.error?.code, 'BW_ERR_MITIGATION_NO_DIVERSION');
});

/** A fresh harness, closing the previous one of the same test first. */
async function harness_(...args: Parameters<typeof harness>): Promise<Harness> {
  await h?.close();
  return harness(...args);
}
