// Tier 2 on its own (SDK test kit, no appliance): the signature as a discard or rate-limit rule as the stage
// says, one rule per source prefix when few sources carry the attack, the stage's lifetime, refusals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowSpecRule } from '@breakwater/sdk';
import { loadTier, sampleAttack, sampleStage } from '@breakwater/sdk/testing';
import tier, { fewSources } from '../src/index.js';

test('announces the signature as a discard rule with the stage lifetime; disengage withdraws it', async () => {
  const { hooks, ctx } = await loadTier(tier);
  const attack = sampleAttack();
  const engagement = await hooks.engage(attack, sampleStage({ settings: { action: 'discard' }, ttlSeconds: 900 }), ctx.signal);
  assert.deepEqual(ctx.calls.map((c) => c.method), ['announceFlow']);
  assert.deepEqual(ctx.calls[0]?.args, [{ family: 'ipv4', match: attack.signature.match, actions: [{ type: 'discard' }] }, { attackId: attack.id, ttlSeconds: 900 }]);
  assert.equal(engagement.summary, 'FlowSpec discard for 203.0.113.10 (ntp_amplification), 900 s');
  assert.deepEqual(await hooks.verify!(engagement, ctx.signal), { state: 'active' });
  await hooks.disengage(engagement, attack, ctx.signal);
  assert.equal(ctx.active.size, 0);
});

test('rate-limits at the stage rate, or the configured one', async () => {
  const { hooks, ctx } = await loadTier(tier, { config: { rateLimitBytesPerSecond: 5_000_000 } });
  await hooks.engage(sampleAttack(), sampleStage({ settings: { action: 'rate-limit' } }), ctx.signal);
  await hooks.engage(sampleAttack(), sampleStage({ settings: { action: 'rate-limit', rateLimitBytesPerSecond: 1_000_000 } }), ctx.signal);
  const actions = ctx.calls.map((c) => (c.args[0] as FlowSpecRule).actions);
  assert.deepEqual(actions, [[{ type: 'rate-limit', bytesPerSecond: 5_000_000 }], [{ type: 'rate-limit', bytesPerSecond: 1_000_000 }]]);
});

test('few sources carrying most of the attack: one rule per source prefix, withdrawn together', async () => {
  const { hooks, ctx } = await loadTier(tier);
  const attack = sampleAttack({
    profile: { ...sampleAttack().profile, topSources: [{ key: '198.51.100.7', share: 0.6, pps: 1 }, { key: '198.51.100.9', share: 0.35, pps: 1 }] },
  });
  const engagement = await hooks.engage(attack, sampleStage(), ctx.signal);
  const sources = ctx.calls.map((c) => (c.args[0] as FlowSpecRule).match.source?.prefix);
  assert.deepEqual(sources, ['198.51.100.7/32', '198.51.100.9/32']);
  assert.match(engagement.summary, /2 source prefixes/);
  assert.match(engagement.id, /^flowset:/);
  await hooks.disengage(engagement, attack, ctx.signal);
  assert.equal(ctx.active.size, 0);
  // matchSources: false keeps one rule.
  await hooks.engage(attack, sampleStage({ settings: { matchSources: false } }), ctx.signal);
  assert.equal((ctx.calls.at(-1)?.args[0] as FlowSpecRule).match.source, undefined);
});

test('fewSources: too many, or too small a share, means no source match', () => {
  const base = sampleAttack();
  const many = { ...base, profile: { ...base.profile, topSources: Array.from({ length: 9 }, (_, i) => ({ key: `198.51.100.${i}`, share: 0.11, pps: 1 })) } };
  assert.deepEqual(fewSources(many, 8, 0.9), []);
  assert.deepEqual(fewSources(base, 8, 0.9), [], 'one source with 4% is no reason');
  const v6 = { ...base, profile: { ...base.profile, topSources: [{ key: '2001:db8::7', share: 0.97, pps: 1 }] } };
  assert.deepEqual(fewSources(v6, 8, 0.9), ['2001:db8::7/128']);
});

test('a broad signature or bad stage settings fail the stage without announcing anything; a refusal midway takes back what went out', async () => {
  const { hooks, ctx } = await loadTier(tier);
  await assert.rejects(async () => hooks.engage(sampleAttack({ signature: { ...sampleAttack().signature, coverage: 0.5 } }), sampleStage(), ctx.signal), /covers 50%/);
  await assert.rejects(async () => hooks.engage(sampleAttack(), sampleStage({ settings: { action: 'drop' } }), ctx.signal), /settings/);
  assert.equal(ctx.calls.length, 0);

  let n = 0;
  const refusing = await loadTier(tier, {
    bgp: {
      announceFlow: async () => {
        if (++n === 2) throw Object.assign(new Error('quota'), { code: 'BW_ERR_MITIGATION_QUOTA' });
        return { id: `flow-${n}`, expiresAt: Date.now() + 60_000 };
      },
    },
  });
  const attack = sampleAttack({ profile: { ...sampleAttack().profile, topSources: [{ key: '198.51.100.7', share: 0.5, pps: 1 }, { key: '198.51.100.9', share: 0.5, pps: 1 }] } });
  await assert.rejects(async () => refusing.hooks.engage(attack, sampleStage(), refusing.ctx.signal), /quota/);
  assert.deepEqual(refusing.ctx.calls.map((c) => `${c.method} ${c.method.startsWith('withdraw') ? c.args[0] : ''}`.trim()), ['announceFlow', 'announceFlow', 'withdrawFlow flow-1']);
});
