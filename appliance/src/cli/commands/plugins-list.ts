// `breakwater plugins list`: every plugin folder in the configured plugin directories with its manifest
// verdict (the same checks the appliance makes before loading: API version, SDK range, duplicates). It runs
// no plugin code; `breakwater plugins check DIR` goes on to load one. Exit 1 when any plugin would be refused.
import { parseArgs } from 'node:util';
import { PLUGIN_API_VERSION, SDK_VERSION } from '@breakwater/sdk';
import { loadConfig } from '../../config/load.js';
import { isBreakwaterError } from '../../errors.js';
import { scanPlugins } from '../../plugins/discovery.js';
import { pluginDirectories, settingsFor } from '../../plugins/registry.js';
import type { Command } from '../command.js';

interface Row {
  name: string;
  dir: string;
  version?: string;
  kind?: string;
  isolation?: string;
  status: 'ok' | 'disabled' | 'refused';
  error?: { code: string; hook: string; message: string };
}

export const pluginsList: Command = {
  path: ['plugins', 'list'],
  summary: 'list the plugins found and whether their manifests are accepted',
  usage: 'breakwater plugins list [--config FILE] [--data-dir DIR] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { config: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean', default: false } },
    });
    let config;
    try {
      config = await loadConfig(values.config);
    } catch (err) {
      io.stderr.write(`${isBreakwaterError(err) ? err.code + ': ' : ''}${(err as Error).message}\n`);
      return 1;
    }
    const directories = pluginDirectories(config.plugins, values['data-dir'] ?? config.dataDir);
    const rows: Row[] = (await scanPlugins(directories)).map((s) => {
      if (s.error !== undefined) return { name: s.error.plugin, dir: s.dir, status: 'refused', error: { code: s.error.code, hook: s.error.hook, message: s.error.message } };
      const own = settingsFor(config.plugins, s.manifest.name);
      return { name: s.manifest.name, dir: s.dir, version: s.manifest.version, kind: s.manifest.kind, isolation: own.isolation, status: own.enabled ? 'ok' : 'disabled' };
    });
    const refused = rows.some((r) => r.status === 'refused');
    if (values.json) {
      io.stdout.write(JSON.stringify({ apiVersion: PLUGIN_API_VERSION, sdkVersion: SDK_VERSION, directories, plugins: rows }) + '\n');
      return refused ? 1 : 0;
    }
    io.stdout.write(`plugin API ${PLUGIN_API_VERSION}, @breakwater/sdk ${SDK_VERSION}; searched: ${directories.join(', ')}\n`);
    if (rows.length === 0) {
      io.stdout.write('no plugins found\n');
      return 0;
    }
    const table = [['NAME', 'VERSION', 'KIND', 'ISOLATION', 'STATUS'], ...rows.map((r) => [r.name, r.version ?? '-', r.kind ?? '-', r.isolation ?? '-', r.status === 'refused' ? `refused: ${r.error?.code}` : r.status])];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) io.stdout.write(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ') + '\n');
    for (const r of rows.filter((x) => x.status === 'refused')) io.stderr.write(`${r.error?.code}: ${r.error?.message} (${r.dir})\n`);
    return refused ? 1 : 0;
  },
};
