// `breakwater plugins check DIR`: loads one plugin folder the way the appliance would (manifest, import,
// config from the configuration's plugins.settings, create, start) and stops it again, then says whether it
// would run. Its tiers get facades that refuse every call, so checking a plugin cannot change the network.
import { parseArgs } from 'node:util';
import { isPluginError } from '@breakwater/sdk';
import { loadConfig } from '../../config/load.js';
import { isBreakwaterError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { unconnectedFacades } from '../../plugins/facades.js';
import { readManifest } from '../../plugins/manifest.js';
import { PluginMetricStore } from '../../plugins/plugin-metrics.js';
import { createPluginHandle, settingsFor } from '../../plugins/registry.js';
import type { Command } from '../command.js';

export const pluginsCheck: Command = {
  path: ['plugins', 'check'],
  summary: 'load one plugin folder as the appliance would, then stop it',
  usage: 'breakwater plugins check DIR [--config FILE] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { config: { type: 'string' }, json: { type: 'boolean', default: false } }, allowPositionals: true });
    const dir = positionals[0];
    if (dir === undefined || positionals.length > 1) {
      io.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    let config;
    try {
      config = await loadConfig(values.config);
    } catch (err) {
      io.stderr.write(`${isBreakwaterError(err) ? err.code + ': ' : ''}${(err as Error).message}\n`);
      return 1;
    }
    const report = (ok: boolean, fields: Record<string, unknown>, text: string) => {
      if (values.json) io.stdout.write(JSON.stringify({ ok, ...fields }) + '\n');
      else (ok ? io.stdout : io.stderr).write(text + '\n');
      return ok ? 0 : 1;
    };
    // The plugin's own log lines go to stderr, so a check shows what the plugin said while loading.
    const log = createLogger({ level: 'info', fd: 2 });
    try {
      const manifest = await readManifest(dir);
      const own = settingsFor(config.plugins, manifest.name);
      const handle = createPluginHandle(manifest, own, {
        log,
        metrics: new PluginMetricStore(),
        facades: unconnectedFacades(manifest.name, '"plugins check" connects no BGP speaker or firewall'),
      });
      try {
        await handle.load();
      } finally {
        await handle.stop();
      }
      const what = `${manifest.name} ${manifest.version} (${manifest.kind}, plugin API ${manifest.apiVersion}, ${own.isolation})`;
      return report(true, { name: manifest.name, version: manifest.version, kind: manifest.kind, isolation: own.isolation }, `${what}: OK, loaded, started and stopped`);
    } catch (err) {
      if (!isPluginError(err)) throw err;
      return report(false, { name: err.plugin, code: err.code, hook: err.hook, message: err.message }, `${err.code} (${err.hook}): ${err.message}`);
    } finally {
      log.flush();
    }
  },
};
