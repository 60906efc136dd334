// Finds plugin folders on disk and reads their manifests. Discovery is by manifest only, never by a name
// pattern: every folder of a plugin directory is expected to be a plugin (a folder without a usable manifest
// is reported, not skipped), except an npm node_modules folder, where only packages with a "breakwater" field
// are plugins (the others are their dependencies). Order is deterministic: directories in the order given,
// folders by name, so which of two same-named plugins wins does not depend on the file system.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PluginError } from '@breakwater/sdk';
import { readManifest, type PluginManifest } from './manifest.js';
import { pluginError } from './plugin-error.js';

export type ScannedPlugin = { dir: string; manifest: PluginManifest; error?: undefined } | { dir: string; manifest?: undefined; error: PluginError };

/** Every plugin folder under the given directories; a directory that does not exist contributes nothing. */
export async function findPluginFolders(directories: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const dir of directories) {
    for (const name of await folderNames(dir)) {
      if (name === 'node_modules') found.push(...(await npmPluginFolders(join(dir, name))));
      else if (name.startsWith('@')) found.push(...(await folderNames(join(dir, name))).map((n) => join(dir, name, n)));
      else found.push(join(dir, name));
    }
  }
  return found;
}

/**
 * Reads the manifest of every plugin folder. A folder whose manifest is refused keeps its error; a second
 * folder with a name already seen is refused as a duplicate (the first keeps its place).
 */
export async function scanPlugins(directories: readonly string[]): Promise<ScannedPlugin[]> {
  const out: ScannedPlugin[] = [];
  const seen = new Map<string, string>();
  for (const dir of await findPluginFolders(directories)) {
    try {
      const manifest = await readManifest(dir);
      const first = seen.get(manifest.name);
      if (first !== undefined) {
        out.push({ dir, error: pluginError('BW_ERR_PLUGIN_DUPLICATE', manifest.name, 'manifest', [manifest.name, manifest.dir, first]) });
        continue;
      }
      seen.set(manifest.name, manifest.dir);
      out.push({ dir, manifest });
    } catch (err) {
      out.push({ dir, error: err as PluginError });
    }
  }
  return out;
}

async function folderNames(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  // Symlinked folders count (npm links workspace packages that way); hidden ones are editor or VCS state.
  return entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

async function npmPluginFolders(nodeModules: string): Promise<string[]> {
  const candidates: string[] = [];
  for (const name of await folderNames(nodeModules)) {
    if (name.startsWith('@')) candidates.push(...(await folderNames(join(nodeModules, name))).map((n) => join(nodeModules, name, n)));
    else candidates.push(join(nodeModules, name));
  }
  const plugins: string[] = [];
  for (const dir of candidates) {
    if (await hasBreakwaterField(dir)) plugins.push(dir);
  }
  return plugins;
}

async function hasBreakwaterField(dir: string): Promise<boolean> {
  try {
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { breakwater?: unknown };
    return pkg.breakwater !== undefined;
  } catch {
    return false;
  }
}

