// The plugin contract, driven by sample plugin folders: each folder under fixtures/ is a plugin (or a broken
// one) with its expected outcome below, and the whole folder is loaded as one plugin directory, once with
// every plugin in-process and once with every plugin in its own child process. The outcome must be the same
// either way: refused with the code and load step named, or running; and the running ones must keep working
// while their neighbours are refused or hang.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPluginError } from '@breakwater/sdk';
import { createRecordingFacades, sampleAttack, sampleEvent, sampleStage } from '@breakwater/sdk/testing';
import { PluginRegistry, type PluginStatus } from '../../src/plugins/registry.js';
import { captureLogger, fastRestart, pluginsConfig } from './helpers.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const HOOK_TIMEOUT_MS = 400;

type Expected = { state: 'running' } | { state: 'refused'; code: string; hook: string };

const cases: { folder: string; name: string; expected: Expected }[] = [
  { folder: 'good-tier', name: 'good-tier', expected: { state: 'running' } },
  { folder: 'good-notifier', name: 'good-notifier', expected: { state: 'running' } },
  { folder: 'wrong-api-version', name: 'wrong-api-version', expected: { state: 'refused', code: 'BW_ERR_PLUGIN_API_VERSION', hook: 'manifest' } },
  { folder: 'sdk-range-mismatch', name: 'sdk-range-mismatch', expected: { state: 'refused', code: 'BW_ERR_PLUGIN_SDK_RANGE', hook: 'manifest' } },
  { folder: 'no-manifest', name: 'no-manifest', expected: { state: 'refused', code: 'BW_ERR_PLUGIN_MANIFEST', hook: 'manifest' } },
  { folder: 'name-mismatch', name: 'name-mismatch', expected: { state: 'refused', code: 'BW_ERR_PLUGIN_MANIFEST', hook: 'import' } },
  { folder: 'bad-config', name: 'bad-config', expected: { state: 'refused', code: 'BW_ERR_PLUGIN_CONFIG', hook: 'config' } },
  { folder: 'throws-in-create', name: 'throws-in-create', expected: { state: 'refused', code: 'BW_ERR_PLUGIN_LOAD', hook: 'create' } },
  { folder: 'rejects-in-start', name: 'rejects-in-start', expected: { state: 'refused', code: 'BW_ERR_PLUGIN_LOAD', hook: 'start' } },
  // Loads fine; its notify never settles (see the notify test).
  { folder: 'hangs-in-hook', name: 'hangs-in-hook', expected: { state: 'running' } },
  // Same package name: the first folder by name wins, the second is refused without being imported.
  { folder: 'duplicate-a', name: 'duplicate-name', expected: { state: 'running' } },
  { folder: 'duplicate-b', name: 'duplicate-name', expected: { state: 'refused', code: 'BW_ERR_PLUGIN_DUPLICATE', hook: 'manifest' } },
];

test('every fixture folder has an expected outcome, and every outcome a folder', () => {
  const folders = readdirSync(fixtures).sort();
  assert.deepEqual(folders, cases.map((c) => c.folder).sort());
});

for (const isolation of ['in-process', 'child'] as const) {
  describe(`plugins ${isolation}`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bw-plugins-'));
    const { log, lines } = captureLogger();
    const facades = createRecordingFacades();
    const registry = new PluginRegistry({
      settings: pluginsConfig({
        directory: fixtures,
        hookTimeoutMs: HOOK_TIMEOUT_MS,
        isolation,
        settings: {
          'good-tier': { config: { ttlSeconds: 120 } },
          'bad-config': { config: { url: 'not a url' } },
        },
      }),
      dataDir,
      log,
      facades,
      restart: fastRestart,
    });
    let statuses: PluginStatus[] = [];

    before(async () => {
      await registry.start();
      statuses = registry.list();
    });
    after(async () => {
      await registry.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    for (const c of cases) {
      test(`${c.folder}: ${c.expected.state === 'running' ? 'running' : `${c.expected.code} in ${c.expected.hook}`}`, () => {
        const status = statuses.find((s) => s.dir === join(fixtures, c.folder));
        assert.ok(status, `no status for ${c.folder}`);
        assert.equal(status.name, c.name);
        assert.equal(status.state, c.expected.state, JSON.stringify(status.error));
        if (c.expected.state === 'refused') {
          assert.equal(status.error?.code, c.expected.code);
          assert.equal(status.error?.hook, c.expected.hook);
          assert.ok(status.error?.message.includes(c.name), `the message names the plugin: ${status.error?.message}`);
        } else {
          assert.equal(status.isolation, isolation);
        }
      });
    }

    test('bad-config names each problem with its path', () => {
      const message = statuses.find((s) => s.name === 'bad-config')?.error?.message ?? '';
      assert.match(message, /\/url must match format "uri"/);
      assert.match(message, /must have required property 'timeoutMs'/);
    });

    test('the tier engages through ctx.bgp with its validated config, verifies and disengages', async () => {
      const attack = sampleAttack();
      const engagement = await registry.engage('good-tier', attack, sampleStage());
      assert.deepEqual(engagement, { id: 'flow-1', summary: 'FlowSpec discard for 203.0.113.10' });
      const announce = facades.calls.find((c) => c.method === 'announceFlow');
      assert.deepEqual(announce?.args, [{ family: 'ipv4', match: attack.signature.match, actions: [{ type: 'discard' }] }, { attackId: attack.id, ttlSeconds: 120 }]);
      assert.deepEqual(await registry.verify('good-tier', engagement), { state: 'active' });
      await registry.disengage('good-tier', engagement, attack);
      assert.equal(facades.active.size, 0);
      const metric = registry.metrics.snapshot().find((m) => m.plugin === 'good-tier' && m.name === 'engagements_total');
      assert.equal(metric?.value, 1);
      assert.ok(lines.some((l) => l.plugin === 'good-tier' && l.msg === 'engaged'), 'the plugin logs through the appliance, with its name');
    });

    test('a hanging notifier times out alone: the others are told, within the timeout', async () => {
      const started = Date.now();
      const outcomes = await registry.notify(sampleEvent('attack.started'));
      const elapsed = Date.now() - started;
      assert.ok(elapsed < HOOK_TIMEOUT_MS + 500, `notify took ${elapsed} ms`);
      const byPlugin = Object.fromEntries(outcomes.map((o) => [o.plugin, o]));
      assert.deepEqual(Object.keys(byPlugin).sort(), ['duplicate-name', 'good-notifier', 'hangs-in-hook']);
      assert.equal(byPlugin['good-notifier']?.ok, true);
      assert.equal(byPlugin['duplicate-name']?.ok, true);
      assert.ok(isPluginError(byPlugin['hangs-in-hook']?.error, 'BW_ERR_PLUGIN_TIMEOUT'));
      assert.equal((byPlugin['hangs-in-hook']?.error as { hook?: string }).hook, 'notify');
      assert.ok(lines.some((l) => l.plugin === 'good-notifier' && l.msg === 'notified'));
      const hung = registry.list().find((s) => s.name === 'hangs-in-hook');
      assert.equal(hung?.state, 'running', 'a plugin that waits is not killed for it');
      assert.equal(hung?.stats?.timeouts, 1);
      assert.equal(hung?.stats?.hung, 1);
      // The tier is not held up by the notifier's hung call either.
      const engagement = await registry.engage('good-tier', sampleAttack({ id: 'second' }), sampleStage());
      assert.equal(engagement.id, 'flow-2');
    });

    test('a tier or notifier that is refused or unknown is BW_ERR_PLUGIN_NOT_FOUND', async () => {
      for (const name of ['throws-in-create', 'no-such-tier', 'good-notifier']) {
        await assert.rejects(registry.engage(name, sampleAttack(), sampleStage()), (err) => isPluginError(err, 'BW_ERR_PLUGIN_NOT_FOUND') && err.plugin === name);
      }
    });
  });
}
