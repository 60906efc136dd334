// The example tier's own tests: no appliance, no BGP daemon, only @breakwater/sdk/testing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPluginError } from '@breakwater/sdk';
import { loadTier, sampleAttack, sampleStage } from '@breakwater/sdk/testing';
import tier from '../src/index.js';

test('announces the signature as a discard rule for the configured lifetime', async () => {
  const { hooks, ctx } = await loadTier(tier);
  const attack = sampleAttack();
  const engagement = await hooks.engage(attack, sampleStage(), ctx.signal);
  assert.equal(engagement.id, 'flow-1');
  assert.equal(engagement.summary, 'FlowSpec discard for 203.0.113.10 (ntp_amplification), 1800 s');
  assert.deepEqual(ctx.calls, [
    { facade: 'bgp', method: 'announceFlow', args: [{ family: 'ipv4', match: attack.signature.match, actions: [{ type: 'discard' }] }, { attackId: attack.id, ttlSeconds: 1800 }] },
  ]);
  assert.equal(ctx.metricValue('rules_announced_total'), 1);
  assert.deepEqual(await hooks.verify!(engagement, ctx.signal), { state: 'active' });
});

test('rate-limits instead when configured, and uses the IPv6 family for an IPv6 attack', async () => {
  const { hooks, ctx } = await loadTier(tier, { config: { action: 'rate-limit', rateLimitBytesPerSecond: 1_000_000 } });
  const attack = sampleAttack({
    target: '2001:db8::10',
    ipVersion: 6,
    signature: { ...sampleAttack().signature, match: { destination: { prefix: '2001:db8::10/128' }, protocol: [[{ op: '=', value: 17 }]] } },
  });
  await hooks.engage(attack, sampleStage(), ctx.signal);
  const rule = ctx.calls[0]?.args[0] as { family: string; actions: unknown[] };
  assert.equal(rule.family, 'ipv6');
  assert.deepEqual(rule.actions, [{ type: 'rate-limit', bytesPerSecond: 1_000_000 }]);
});

test('refuses a signature that would drop too much normal traffic, announcing nothing', async () => {
  const { hooks, ctx } = await loadTier(tier);
  const broad = sampleAttack({ signature: { ...sampleAttack().signature, collateral: 0.2 } });
  await assert.rejects(async () => hooks.engage(broad, sampleStage(), ctx.signal), /20% of normal traffic/);
  assert.equal(ctx.calls.length, 0);
  assert.equal(ctx.metricValue('signatures_refused_total'), 1);
});

test('disengage withdraws the rule; verify reports an expired rule as gone', async () => {
  const { hooks, ctx } = await loadTier(tier, { now: () => 0 });
  const engagement = await hooks.engage(sampleAttack(), sampleStage(), ctx.signal);
  assert.equal((await hooks.verify!(engagement, ctx.signal)).state, 'gone');
  await hooks.disengage(engagement, sampleAttack(), ctx.signal);
  assert.equal(ctx.active.size, 0);
  await hooks.disengage(engagement, sampleAttack(), ctx.signal);
  assert.equal(ctx.logs.at(-1)?.message, 'rule was already gone (expired or withdrawn)');
});

test('takes the rule back when the call was aborted while it was being announced', async () => {
  const controller = new AbortController();
  const { hooks, ctx } = await loadTier(tier, {
    bgp: {
      announceFlow: async (_rule, options) => {
        controller.abort(new Error('timed out'));
        return { id: 'flow-x', expiresAt: Date.now() + options.ttlSeconds * 1000 };
      },
    },
  });
  await assert.rejects(async () => hooks.engage(sampleAttack(), sampleStage(), controller.signal), /timed out/);
  assert.deepEqual(ctx.calls.map((c) => [c.method, c.args[0]]).at(-1), ['withdrawFlow', 'flow-x']);
});

test('a configuration outside the schema is refused as the appliance would refuse it', async () => {
  await assert.rejects(loadTier(tier, { config: { ttlSeconds: 5 } }), (err) => isPluginError(err, 'BW_ERR_PLUGIN_CONFIG') && /\/ttlSeconds/.test(err.message));
  await assert.rejects(loadTier(tier, { config: { action: 'blackhole' } }), (err) => isPluginError(err, 'BW_ERR_PLUGIN_CONFIG'));
});
