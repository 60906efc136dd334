import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type, defineNotifier, defineTier, isPluginError, type FlowSpecRule } from '@breakwater/sdk';
import { createFakeTierContext, loadNotifier, loadTier, sampleAttack, sampleEvent, sampleStage } from '@breakwater/sdk/testing';

const flowTier = defineTier({
  name: 'flow-tier',
  apiVersion: 1,
  configSchema: Type.Object({ ttlSeconds: Type.Integer({ minimum: 1, default: 300 }) }),
  create(ctx) {
    return {
      async engage(attack) {
        const rule: FlowSpecRule = { family: 'ipv4', match: attack.signature.match, actions: [{ type: 'discard' }] };
        const receipt = await ctx.bgp.announceFlow(rule, { attackId: attack.id, ttlSeconds: ctx.config.ttlSeconds });
        ctx.log.child({ attack: attack.id }).info('announced');
        ctx.metrics.counter('announced_total', 'rules announced').inc();
        return { id: receipt.id, summary: 'discard' };
      },
      async disengage(engagement) {
        await ctx.bgp.withdrawFlow(engagement.id);
      },
    };
  },
});

test('loadTier validates the config, creates and records facade calls, logs and metrics', async () => {
  const { hooks, ctx } = await loadTier(flowTier, { config: { ttlSeconds: 60 }, now: () => 1_000 });
  const engagement = await hooks.engage(sampleAttack(), sampleStage(), ctx.signal);
  assert.deepEqual(engagement, { id: 'flow-1', summary: 'discard' });
  assert.equal(ctx.active.get('flow-1')?.expiresAt, 61_000);
  assert.deepEqual(ctx.calls[0]?.args[1], { attackId: sampleAttack().id, ttlSeconds: 60 });
  assert.deepEqual(ctx.logs, [{ level: 'info', message: 'announced', bindings: { attack: sampleAttack().id } }]);
  assert.equal(ctx.metricValue('announced_total'), 1);
  await hooks.disengage(engagement, sampleAttack(), ctx.signal);
  assert.equal(ctx.active.size, 0);
});

test('loadTier refuses a config the schema rejects with BW_ERR_PLUGIN_CONFIG, like the appliance', async () => {
  await assert.rejects(loadTier(flowTier, { config: { ttlSeconds: 0 } }), (err) => isPluginError(err, 'BW_ERR_PLUGIN_CONFIG') && /\/ttlSeconds/.test(err.message));
});

test('loadTier refuses another plugin API version and wraps a throwing create or start', async () => {
  const wrongApi = { ...flowTier, apiVersion: 2 } as unknown as typeof flowTier;
  await assert.rejects(loadTier(wrongApi), (err) => isPluginError(err, 'BW_ERR_PLUGIN_API_VERSION'));
  const throwing = defineTier({ ...flowTier, create: () => { throw new Error('no token'); } });
  await assert.rejects(loadTier(throwing), (err) => isPluginError(err, 'BW_ERR_PLUGIN_LOAD') && err.hook === 'create' && (err.cause as Error).message === 'no token');
  const failingStart = defineNotifier({ name: 'n', apiVersion: 1, configSchema: Type.Object({}), create: () => ({ start: async () => Promise.reject(new Error('ECONNREFUSED')), notify() {} }) });
  await assert.rejects(loadNotifier(failingStart), (err) => isPluginError(err, 'BW_ERR_PLUGIN_LOAD') && err.hook === 'start');
});

test('recording facades refuse what the appliance refuses and can be made to reject', async () => {
  const ctx = createFakeTierContext({ config: {}, bgp: { announceBlackhole: async () => Promise.reject(Object.assign(new Error('down'), { code: 'BW_ERR_SPEAKER_UNAVAILABLE' })) } });
  const rule: FlowSpecRule = { family: 'ipv4', match: { destination: { prefix: '203.0.113.10/32' } }, actions: [{ type: 'discard' }] };
  await assert.rejects(ctx.bgp.announceFlow(rule, { attackId: 'a', ttlSeconds: 0 }), /ttlSeconds/);
  await assert.rejects(ctx.bgp.announceFlow(rule, { attackId: '', ttlSeconds: 5 }), /attackId/);
  await assert.rejects(ctx.bgp.announceBlackhole('203.0.113.10/32', { attackId: 'a', ttlSeconds: 5 }), { code: 'BW_ERR_SPEAKER_UNAVAILABLE' });
  assert.deepEqual(ctx.calls.map((c) => c.method), ['announceFlow', 'announceFlow', 'announceBlackhole']);
  assert.equal(ctx.active.size, 0);
});

test('the fake signal aborts like the appliance\'s at stop; metric names are checked', () => {
  const ctx = createFakeTierContext({ config: {} });
  assert.equal(ctx.signal.aborted, false);
  ctx.abort();
  assert.equal(ctx.signal.aborted, true);
  assert.throws(() => ctx.metrics.counter('Bad-Name', ''), TypeError);
  const gauge = ctx.metrics.gauge('queue_depth', '');
  gauge.set(5);
  gauge.dec(2);
  assert.equal(ctx.metricValue('queue_depth'), 3);
});

test('sampleEvent builds each lifecycle event around a sample attack', () => {
  const ended = sampleEvent('attack.ended');
  assert.equal(ended.type, 'attack.ended');
  assert.equal(ended.type === 'attack.ended' && ended.reason, 'quiet');
  assert.ok(ended.attack.endedAt !== undefined);
});
