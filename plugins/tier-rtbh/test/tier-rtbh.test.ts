// Tier 3 on its own: the victim as a /32 or /128 with the tier's and the stage's communities (the appliance
// adds 65535:666 and bgp.rtbh.communities), the stage lifetime, carpet bombing by top destinations.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTier, sampleAttack, sampleStage } from '@breakwater/sdk/testing';
import tier, { victims } from '../src/index.js';

test('blackholes the victim /32 with the configured and stage communities for the stage lifetime', async () => {
  const { hooks, ctx } = await loadTier(tier, { config: { communities: ['65000:666'] } });
  const attack = sampleAttack();
  const engagement = await hooks.engage(attack, sampleStage({ settings: { communities: ['65010:1'] }, ttlSeconds: 1200 }), ctx.signal);
  assert.deepEqual(ctx.calls[0]?.args, ['203.0.113.10/32', { attackId: attack.id, ttlSeconds: 1200, communities: ['65000:666', '65010:1'] }]);
  assert.equal(engagement.summary, 'RTBH 203.0.113.10/32 with 65535:666 65000:666 65010:1, 1200 s');
  await hooks.disengage(engagement, attack, ctx.signal);
  assert.deepEqual(ctx.calls.map((c) => c.method), ['announceBlackhole', 'withdrawBlackhole']);
  assert.equal(ctx.active.size, 0);
});

test('IPv6 victims become /128; no communities of its own means none passed', async () => {
  const { hooks, ctx } = await loadTier(tier);
  await hooks.engage(sampleAttack({ target: '2001:db8::10', ipVersion: 6 }), sampleStage(), ctx.signal);
  assert.deepEqual(ctx.calls[0]?.args, ['2001:db8::10/128', { attackId: sampleAttack().id, ttlSeconds: 3600 }]);
});

test('a prefix target: its top destinations as host routes, or the whole prefix when the stage says so', () => {
  const carpet = sampleAttack({
    target: '203.0.113.0/24',
    targetKind: 'prefix',
    profile: { ...sampleAttack().profile, topDestinations: [{ key: '203.0.113.5', share: 0.3, pps: 1 }, { key: '203.0.113.6', share: 0.2, pps: 1 }, { key: '203.0.113.7', share: 0.1, pps: 1 }] },
  });
  assert.deepEqual(victims(carpet, 'top-hosts', 2), ['203.0.113.5/32', '203.0.113.6/32']);
  assert.deepEqual(victims(carpet, 'whole-prefix', 2), ['203.0.113.0/24']);
});

test('a refused announcement fails the stage and takes back the routes that went out before it', async () => {
  let n = 0;
  const { hooks, ctx } = await loadTier(tier, {
    bgp: {
      announceBlackhole: async () => {
        if (++n === 2) throw Object.assign(new Error('quota'), { code: 'BW_ERR_MITIGATION_QUOTA' });
        return { id: `rtbh-${n}`, expiresAt: Date.now() + 60_000 };
      },
    },
  });
  const carpet = sampleAttack({ target: '203.0.113.0/24', targetKind: 'prefix', profile: { ...sampleAttack().profile, topDestinations: [{ key: '203.0.113.5', share: 0.5, pps: 1 }, { key: '203.0.113.6', share: 0.5, pps: 1 }] } });
  await assert.rejects(async () => hooks.engage(carpet, sampleStage(), ctx.signal), /quota/);
  assert.deepEqual(ctx.calls.map((c) => c.method), ['announceBlackhole', 'announceBlackhole', 'withdrawBlackhole']);
});
