// Reads, parses and validates a configuration. Validation happens here, once, at the boundary: every error is
// collected and named by its path, and nothing downstream re-checks the types.
import { readFile } from 'node:fs/promises';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { checkApiConfig } from '../api/api-config-check.js';
import { checkBgpConfig } from '../bgp/peers.js';
import { checkHostGroups } from '../detection/host-groups.js';
import { BreakwaterError } from '../errors.js';
import { checkRunbooks } from '../mitigation/runbook-validate.js';
import { ConfigSchema, type Config } from './schema.js';
import { REDACTED_KEYS } from './secret.js';

export interface ConfigProblem {
  path: string;
  message: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

/** Validates a parsed document (already an object) and fills in defaults. Never throws on bad input. */
export function validateConfig(input: unknown): ConfigResult {
  const doc = input === null || input === undefined ? {} : input;
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    return { ok: false, problems: [{ path: '/', message: 'the configuration must be a mapping of keys to values' }] };
  }
  const withDefaults = Value.Default(ConfigSchema, structuredClone(doc));
  const problems: ConfigProblem[] = [];
  for (const e of Value.Errors(ConfigSchema, withDefaults)) {
    problems.push({ path: e.path === '' ? '/' : e.path, message: describe(explain(e.message, e.schema as { anyOf?: { const?: unknown }[] }), e.path.includes('/secrets/') ? '[secret]' : e.value) });
  }
  problems.push(...checkSemantics(withDefaults as Config, problems.length === 0));
  if (problems.length > 0) return { ok: false, problems: dedupe(problems) };
  // Decoding turns configured secrets into Secret objects (config/secret.ts): from here on they print masked.
  return { ok: true, config: Value.Decode(ConfigSchema, withDefaults) };
}

/** Replaces TypeBox's terse union message with the list of allowed values when they are literals. */
function explain(message: string, schema: { anyOf?: { const?: unknown }[] } & object): string {
  const options = schema.anyOf?.map((s) => s.const).filter((c) => c !== undefined);
  if (options && options.length > 0 && options.length === schema.anyOf?.length) {
    return `expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}`;
  }
  return message;
}

function describe(message: string, value: unknown): string {
  // A problem shows the value it is about, but never a secret's (an error message may end up in a log).
  const shown = value === undefined ? 'nothing' : JSON.stringify(value, (key, v: unknown) => (REDACTED_KEYS.includes(key) ? '[secret]' : v));
  return `${message} (got ${shown && shown.length > 80 ? shown.slice(0, 77) + '...' : shown})`;
}

function checkSemantics(config: Config, schemaOk: boolean): ConfigProblem[] {
  if (!schemaOk) return [];
  const problems: ConfigProblem[] = [];
  config.sflow.listen.forEach((addr, i) => {
    const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
    if (port < 1 || port > 65535) problems.push({ path: `/sflow/listen/${i}`, message: `port ${port} is outside 1..65535` });
  });
  problems.push(...checkBgpConfig(config.bgp));
  problems.push(...checkHostGroups(config));
  problems.push(...checkRunbooks(config));
  problems.push(...checkApiConfig(config));
  return problems;
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Parses YAML (a superset of JSON) text. */
export function parseConfigText(text: string, source: string): unknown {
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new BreakwaterError('BW_ERR_CONFIG_PARSE', [source, (err as Error).message], { cause: err });
  }
}

/** Loads a configuration file (or the embedded defaults when file is undefined). Throws BW_ERR_CONFIG_* on failure. */
export async function loadConfig(file: string | undefined): Promise<Config> {
  let doc: unknown = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new BreakwaterError('BW_ERR_CONFIG_READ', [file, (err as Error).message], { cause: err });
    }
    doc = parseConfigText(text, file);
  }
  const result = validateConfig(doc);
  if (!result.ok) {
    throw new BreakwaterError('BW_ERR_CONFIG_INVALID', [formatProblems(result.problems)], { details: { problems: result.problems } });
  }
  return result.config;
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

/** Splits "host:port" / "[v6]:port" into parts. The schema has already checked the shape. */
export function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  let host = addr.slice(0, i);
  if (host.startsWith('[')) host = host.slice(1, -1);
  return { host, port: Number(addr.slice(i + 1)) };
}
