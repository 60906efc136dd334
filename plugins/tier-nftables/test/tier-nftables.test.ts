// Tier 1's plugin with @breakwater/sdk/testing only: what it asks ctx.firewall for, and how verify turns the
// rule's counters into an engagement status. The real nftables path is tested in appliance/test/firewall/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTier, sampleAttack, sampleStage } from '@breakwater/sdk/testing';
import tier from '../src/index.js';

test('engage applies the signature as a drop rule with the stage lifetime', async () => {
  const { hooks, ctx } = await loadTier(tier);
  const attack = sampleAttack();
  const engagement = await hooks.engage(attack, { ...sampleStage(), ttlSeconds: 120 }, ctx.signal);
  assert.deepEqual(ctx.calls[0], { facade: 'firewall', method: 'apply', args: [{ match: attack.signature.match, action: { type: 'drop' } }, { attackId: attack.id, ttlSeconds: 120 }] });
  assert.match(engagement.summary, /^local drop of 203\.0\.113\.10\/32/);
  assert.equal(ctx.metricValue('rules_applied_total'), 1);
});

test('rate-limits when configured and falls back to its own lifetime', async () => {
  const { hooks, ctx } = await loadTier(tier, { config: { action: 'rate-limit', rateLimitPacketsPerSecond: 500, ttlSeconds: 300 } });
  await hooks.engage(sampleAttack(), { ...sampleStage(), ttlSeconds: undefined }, ctx.signal);
  assert.deepEqual(ctx.calls[0]?.args[0], { match: sampleAttack().signature.match, action: { type: 'rate-limit', packetsPerSecond: 500 } });
  assert.deepEqual(ctx.calls[0]?.args[1], { attackId: sampleAttack().id, ttlSeconds: 300 });
});

test('verify reports the counters read back, and gone once the rule is not installed', async () => {
  let installed = true;
  const { hooks, ctx } = await loadTier(tier, {
    firewall: { counters: async () => (installed ? { packets: 2000, bytes: 256_000, readAt: 1 } : undefined) },
  });
  const engagement = await hooks.engage(sampleAttack(), sampleStage(), ctx.signal);
  assert.deepEqual(await hooks.verify!(engagement, ctx.signal), { state: 'active', detail: 'dropped 2000 packets', counters: { packets: 2000, bytes: 256_000, readAt: 1 } });
  installed = false;
  assert.equal((await hooks.verify!(engagement, ctx.signal)).state, 'gone');
});

test('refuses a signature with too much collateral; disengage removes the rule', async () => {
  const { hooks, ctx } = await loadTier(tier);
  await assert.rejects(async () => hooks.engage(sampleAttack({ signature: { ...sampleAttack().signature, collateral: 0.3 } }), sampleStage(), ctx.signal), /30% of normal traffic/);
  const engagement = await hooks.engage(sampleAttack(), sampleStage(), ctx.signal);
  await hooks.disengage(engagement, sampleAttack(), ctx.signal);
  assert.equal(ctx.active.size, 0);
});

test('takes the rule back when the call was aborted while it went in', async () => {
  const controller = new AbortController();
  const { hooks, ctx } = await loadTier(tier, {
    firewall: {
      apply: async (_rule, options) => {
        controller.abort(new Error('timed out'));
        return { id: 'fw-x', expiresAt: Date.now() + options.ttlSeconds * 1000 };
      },
    },
  });
  await assert.rejects(async () => hooks.engage(sampleAttack(), sampleStage(), controller.signal), /timed out/);
  assert.deepEqual(ctx.calls.map((c) => c.method), ['apply', 'remove']);
});
