// A plugin dropped into the plugin directory as a bare folder (no node_modules, no bundled SDK) still imports
// `@breakwater/sdk`: the loader's resolve hook hands it the appliance's SDK, in-process and in a child process.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRecordingFacades, sampleEvent } from '@breakwater/sdk/testing';
import { PluginRegistry } from '../../src/plugins/registry.js';
import { captureLogger, fastRestart, pluginsConfig } from './helpers.js';

// Under /tmp there is no node_modules on the way up, so Node alone cannot find the SDK from here.
const root = mkdtempSync(join(tmpdir(), 'bw-dropin-'));
after(() => rmSync(root, { recursive: true, force: true }));

function dropIn(dir: string, name: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(
    join(dir, name, 'package.json'),
    JSON.stringify({
      name,
      version: '1.0.0',
      type: 'module',
      breakwater: { apiVersion: 1, kind: 'notifier', entry: './index.js' },
      peerDependencies: { '@breakwater/sdk': '>=0.1.0 <1' },
    }),
  );
  writeFileSync(
    join(dir, name, 'index.js'),
    `import { defineNotifier, Type, PLUGIN_API_VERSION } from '@breakwater/sdk';
export default defineNotifier({
  name: ${JSON.stringify(name)},
  apiVersion: PLUGIN_API_VERSION,
  configSchema: Type.Object({}),
  create: () => ({ notify: async (event) => ({ delivered: event.type }) }),
});
`,
  );
}

for (const isolation of ['in-process', 'child'] as const) {
  test(`a bare drop-in plugin importing @breakwater/sdk loads and serves (${isolation})`, async () => {
    const dir = join(root, isolation);
    dropIn(dir, 'bare-notifier');
    const { log } = captureLogger();
    const registry = new PluginRegistry({
      settings: pluginsConfig({ directory: dir, isolation, hookTimeoutMs: 5_000 }),
      dataDir: join(root, `data-${isolation}`),
      log,
      facades: createRecordingFacades(),
      restart: fastRestart,
    });
    await registry.start();
    try {
      const status = registry.list().find((s) => s.name === 'bare-notifier');
      assert.equal(status?.state, 'running', JSON.stringify(status?.error));
      const outcomes = await registry.notify(sampleEvent('attack.started'));
      const mine = outcomes.find((o) => o.plugin === 'bare-notifier');
      assert.ok(mine && mine.ok, JSON.stringify(mine));
    } finally {
      await registry.stop();
    }
  });
}
