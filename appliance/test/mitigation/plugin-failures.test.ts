// Tier plugins that fail, through the real PluginRegistry: one refused at load (its stage fails with
// BW_ERR_PLUGIN_NOT_FOUND), one whose engage throws, one that hangs past its timeout after announcing a rule.
// Each failure is alerted and the runbook escalates to the next stage, until one works; nothing the hanging
// tier announced is left behind.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { PluginsSchema, type PluginsConfig } from '../../src/config/plugins-schema.js';
import { silentLogger } from '../../src/log.js';
import { PluginRegistry } from '../../src/plugins/registry.js';
import { FakeSpeaker } from './support/fake-speaker.js';
import { Harness, PEER, attackAt } from './support/harness.js';

const FIXTURES = new URL('./fixtures/registry/', import.meta.url).pathname;
let h: Harness;
let registry: PluginRegistry;

before(async () => {
  h = new Harness({
    config: {
      mitigation: { mode: 'auto' },
      runbooks: [
        {
          name: 'fallbacks',
          stages: ['refused-tier', 'throwing-tier', 'slow-tier', 'fallback-tier'].map((tier) => ({ name: tier.replace('-tier', ''), tier, effect: 'filter' })),
          escalation: { afterSeconds: 0, onFailure: true },
        },
      ],
      bgp: { peers: [PEER] },
    },
    runner: (facades) => {
      registry = new PluginRegistry({
        // Only the hanging tier gets a short timeout: on a loaded machine the others must not time out too.
        settings: Value.Default(PluginsSchema, { extraDirectories: [FIXTURES], settings: { 'slow-tier': { hookTimeoutMs: 300 } } }) as PluginsConfig,
        dataDir: h.dataDir,
        log: silentLogger(),
        facades,
      });
      return registry;
    },
  });
  await h.start();
});

after(() => h.close());

test('a refused plugin, a throwing one and a hanging one each fail their stage, are alerted, and the runbook escalates', async () => {
  assert.equal(registry.list().find((p) => p.name === 'refused-tier')?.error?.code, 'BW_ERR_PLUGIN_CONFIG');
  await h.started(attackAt(h.now));
  const [m] = h.engine.list();
  assert.deepEqual(m?.stages.map((s) => s.status), ['failed', 'failed', 'failed', 'engaged']);
  assert.deepEqual(
    h.notices('mitigation.failed').map((e) => [e.stage?.name, e.error?.code, e.outcome]),
    [
      ['refused', 'BW_ERR_PLUGIN_NOT_FOUND', 'failed'],
      ['throwing', 'BW_ERR_PLUGIN_HOOK', 'failed'],
      ['slow', 'BW_ERR_PLUGIN_TIMEOUT', 'failed'],
    ],
  );
  assert.match(h.notices('mitigation.failed')[1]?.error?.message ?? '', /the upstream API said no/);
  assert.deepEqual(h.notices('attack.escalated').map((e) => `${e.from?.name} -> ${e.stage?.name}`), ['refused -> throwing', 'throwing -> slow', 'slow -> fallback']);
  assert.equal(h.notices('tier.engaged')[0]?.tier, 'fallback-tier');

  // The hanging tier's rule was withdrawn when its stage failed; only the fallback's rule is announced.
  const speaker = h.speaker as FakeSpeaker;
  assert.equal(speaker.routes.size, 1);
  const removed = h.audit({ action: 'action.removed' });
  assert.equal(removed.length, 1);
  assert.equal(removed[0]?.tier, 'slow-tier');
  assert.match(removed[0]?.reason ?? '', /the stage failed/);
  assert.deepEqual(h.audit({ action: 'stage.failed' }).map((r) => r.reason?.split(':')[0]), ['BW_ERR_PLUGIN_NOT_FOUND', 'BW_ERR_PLUGIN_HOOK', 'BW_ERR_PLUGIN_TIMEOUT']);
});
