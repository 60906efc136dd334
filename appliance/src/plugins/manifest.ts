// Reads and checks one plugin folder's package.json before any of the plugin's code runs: the `breakwater`
// field (plugin API version, kind, entry file) and the semver range the plugin accepts for @breakwater/sdk.
// A mismatch refuses the plugin (fail closed): homebridge only warns on an engines mismatch, and a plugin
// built against another contract can misread an attack or a FlowSpec rule without failing loudly.
import { readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import semver from 'semver';
import { PLUGIN_API_VERSION, SDK_VERSION, type PluginError, type PluginKind } from '@breakwater/sdk';
import { pluginError } from './plugin-error.js';

export interface PluginManifest {
  /** The package name: the plugin's identity, the key of its settings and the name its definition must carry. */
  name: string;
  version: string;
  /** Absolute path of the plugin's folder. */
  dir: string;
  kind: PluginKind;
  apiVersion: number;
  /** Absolute path of the entry module (inside dir). */
  entry: string;
  /** The @breakwater/sdk range the plugin declared. */
  sdkRange: string;
}

const BreakwaterFieldSchema = Type.Object(
  {
    apiVersion: Type.Integer({ minimum: 1 }),
    kind: Type.Union([Type.Literal('tier'), Type.Literal('notifier')]),
    entry: Type.String({ minLength: 1 }),
  },
  // Strict, so a misspelt key ("entrypoint") is reported rather than ignored.
  { additionalProperties: false },
);

// npm's rules for package names, short form: optional @scope/, lower case, URL-safe.
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

export const SDK_PACKAGE = '@breakwater/sdk';

/** Reads dir/package.json and checks it. Throws a PluginError (MANIFEST, API_VERSION or SDK_RANGE). */
export async function readManifest(dir: string): Promise<PluginManifest> {
  const absDir = resolve(dir);
  const folder = basename(absDir);
  let pkg: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(await readFile(resolve(absDir, 'package.json'), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('package.json is not a JSON object');
    pkg = parsed as Record<string, unknown>;
  } catch (err) {
    throw manifestError(folder, absDir, `cannot read package.json: ${(err as Error).message}`, err);
  }
  const name = typeof pkg.name === 'string' && PACKAGE_NAME.test(pkg.name) ? pkg.name : undefined;
  if (name === undefined) throw manifestError(folder, absDir, 'package.json has no valid "name"');
  if (typeof pkg.version !== 'string' || semver.valid(pkg.version) === null) throw manifestError(name, absDir, 'package.json has no valid semver "version"');
  const field = pkg.breakwater as Record<string, unknown> | undefined;
  if (typeof field !== 'object' || field === null) throw manifestError(name, absDir, 'package.json has no "breakwater" field ({ "apiVersion", "kind", "entry" })');
  // The API version is judged first: a manifest of another API version may legitimately have other fields.
  if (field.apiVersion !== PLUGIN_API_VERSION) {
    throw pluginError('BW_ERR_PLUGIN_API_VERSION', name, 'manifest', [name, JSON.stringify(field.apiVersion ?? null), PLUGIN_API_VERSION, PLUGIN_API_VERSION]);
  }
  if (!Value.Check(BreakwaterFieldSchema, field)) {
    const first = [...Value.Errors(BreakwaterFieldSchema, field)][0];
    throw manifestError(name, absDir, `"breakwater" field: ${first?.path || '/'} ${first?.message ?? 'is malformed'}`);
  }
  const sdkRange = declaredSdkRange(pkg);
  if (sdkRange === undefined) {
    throw pluginError('BW_ERR_PLUGIN_SDK_RANGE', name, 'manifest', [name, '(no range: declare peerDependencies["@breakwater/sdk"])', SDK_VERSION]);
  }
  if (semver.validRange(sdkRange) === null || !semver.satisfies(SDK_VERSION, sdkRange)) {
    throw pluginError('BW_ERR_PLUGIN_SDK_RANGE', name, 'manifest', [name, JSON.stringify(sdkRange), SDK_VERSION]);
  }
  const entry = resolve(absDir, field.entry);
  const inside = relative(absDir, entry);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) throw manifestError(name, absDir, `entry ${field.entry} is not a file inside the plugin folder`);
  const entryStat = await stat(entry).catch(() => undefined);
  if (entryStat === undefined || !entryStat.isFile()) throw manifestError(name, absDir, `entry ${field.entry} does not exist (is the plugin built?)`);
  return { name, version: pkg.version, dir: absDir, kind: field.kind, apiVersion: field.apiVersion, entry, sdkRange };
}

/** peerDependencies is where npm packages state it; engines is accepted too (homebridge's habit). */
function declaredSdkRange(pkg: Record<string, unknown>): string | undefined {
  for (const key of ['peerDependencies', 'engines']) {
    const table = pkg[key];
    if (typeof table === 'object' && table !== null) {
      const range = (table as Record<string, unknown>)[SDK_PACKAGE];
      if (typeof range === 'string') return range;
    }
  }
  return undefined;
}

function manifestError(plugin: string, dir: string, reason: string, cause?: unknown): PluginError {
  return pluginError('BW_ERR_PLUGIN_MANIFEST', plugin, 'manifest', [plugin, dir, reason], cause);
}
