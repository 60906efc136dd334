// Changes the configuration file on behalf of the REST API (and anything else that edits it): one change at a
// time, validated as a whole before anything is replaced, written atomically. A change is a function of the
// file's document (the YAML as plain data, secrets in clear, as an operator wrote them); the writer applies it
// to a copy, validates the result with everything `breakwater start` would check (the schema, the semantic
// checks of config/load.ts including runbook validation, and any extra check the caller adds: plugin config
// schemas), and only then writes: a temporary file next to the target, fsynced, the current file kept as
// `FILE.bak`, then renamed into place and the directory fsynced. A refused change leaves the file byte for byte
// as it was. Top-level sections the change did not touch keep their YAML text and comments.
//
// Two writers never interleave: an in-process queue per file, and a `FILE.lock` taken with O_EXCL around the
// read-change-write, so another process that uses this module (the CLI) waits too. This module does not reload
// the running appliance: the caller does that with the configuration it returns.
import { constants } from 'node:fs';
import { copyFile, open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import { BreakwaterError } from '../errors.js';
import { formatProblems, validateConfig, type ConfigProblem } from './load.js';
import type { Config } from './schema.js';

/** The configuration file as data: what `yaml` parses it to. */
export type ConfigDocument = Record<string, unknown>;

/** A change to the document: mutate the copy it is given, or return a replacement. */
export type ConfigChange = (document: ConfigDocument) => ConfigDocument | void;

/** Checks beyond the schema and config/load.ts (plugin settings against their plugins' schemas). */
export type ExtraCheck = (config: Config, document: ConfigDocument) => Promise<ConfigProblem[]> | ConfigProblem[];

export interface ConfigWriteResult {
  /** The new configuration, validated and decoded: what to hand to appliance.reload(). */
  config: Config;
  /** Top-level sections whose content changed. */
  changed: string[];
  /** False when the change left the document as it was (nothing was written). */
  written: boolean;
}

const queues = new Map<string, Promise<unknown>>();
/** A lock file older than this is left over by a process that died while writing. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

export class ConfigWriter {
  constructor(readonly path: string) {}

  /** The file's document now (an empty document when the file does not exist yet). */
  async read(): Promise<ConfigDocument> {
    const text = await this.readText();
    return documentOf(text ?? '', this.path);
  }

  /**
   * Applies `change`, validates the whole result and writes it. Throws BW_ERR_CONFIG_INVALID (with every
   * problem and its path in details.problems) when the result is not a configuration the appliance would
   * start with; BW_ERR_CONFIG_PARSE when the current file is not YAML; BW_ERR_CONFIG_WRITE when it cannot be
   * written. In every failure the file is unchanged.
   */
  update(change: ConfigChange, extraCheck?: ExtraCheck): Promise<ConfigWriteResult> {
    const previous = queues.get(this.path) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.withFileLock(() => this.apply(change, extraCheck)));
    queues.set(this.path, next);
    void next.finally(() => {
      if (queues.get(this.path) === next) queues.delete(this.path);
    }).catch(() => undefined);
    return next;
  }

  private async apply(change: ConfigChange, extraCheck: ExtraCheck | undefined): Promise<ConfigWriteResult> {
    const text = (await this.readText()) ?? '';
    const yamlDoc = parseDocument(text, { prettyErrors: true });
    if (yamlDoc.errors.length > 0) throw new BreakwaterError('BW_ERR_CONFIG_PARSE', [this.path, yamlDoc.errors[0]!.message]);
    const current = asDocument(yamlDoc.toJS(), this.path);
    const draft = structuredClone(current);
    const next = change(draft) ?? draft;
    const result = validateConfig(next);
    const problems = result.ok ? await extraCheck?.(result.config, next) ?? [] : result.problems;
    if (!result.ok || problems.length > 0) {
      throw new BreakwaterError('BW_ERR_CONFIG_INVALID', [formatProblems(problems)], { details: { problems } });
    }
    const changed = [...new Set([...Object.keys(current), ...Object.keys(next)])].filter((k) => !isDeepStrictEqual(current[k], next[k]));
    if (changed.length === 0) return { config: result.config, changed, written: false };
    // Only the sections that changed are replaced in the YAML document, so the rest keeps its comments.
    for (const key of changed) {
      if (next[key] === undefined) yamlDoc.delete(key);
      else yamlDoc.set(key, yamlDoc.createNode(next[key]));
    }
    await this.writeAtomically(yamlDoc.toString({ lineWidth: 0 }), text !== '');
    return { config: result.config, changed, written: true };
  }

  private async readText(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new BreakwaterError('BW_ERR_CONFIG_READ', [this.path, (err as Error).message], { cause: err });
    }
  }

  private async writeAtomically(text: string, keepBackup: boolean): Promise<void> {
    const temp = `${this.path}.${process.pid}.tmp`;
    try {
      let mode = 0o640;
      try {
        mode = (await stat(this.path)).mode & 0o777;
      } catch {
        // A new file.
      }
      const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, mode);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (keepBackup) await copyFile(this.path, `${this.path}.bak`);
      await rename(temp, this.path);
      await syncDirectory(dirname(this.path));
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw new BreakwaterError('BW_ERR_CONFIG_WRITE', [this.path, (err as Error).message], { cause: err });
    }
  }

  private async withFileLock<T>(work: () => Promise<T>): Promise<T> {
    const lock = `${this.path}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    let handle: FileHandle | undefined;
    while (handle === undefined) {
      try {
        handle = await open(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new BreakwaterError('BW_ERR_CONFIG_WRITE', [this.path, `cannot take ${lock}: ${(err as Error).message}`], { cause: err });
        const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age > STALE_LOCK_MS) await unlink(lock).catch(() => undefined);
        else if (Date.now() > deadline) throw new BreakwaterError('BW_ERR_CONFIG_WRITE', [this.path, `${lock} is held by another writer`]);
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    try {
      await handle.writeFile(String(process.pid));
      return await work();
    } finally {
      await handle.close();
      await unlink(lock).catch(() => undefined);
    }
  }
}

function documentOf(text: string, path: string): ConfigDocument {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new BreakwaterError('BW_ERR_CONFIG_PARSE', [path, doc.errors[0]!.message]);
  return asDocument(doc.toJS(), path);
}

function asDocument(value: unknown, path: string): ConfigDocument {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new BreakwaterError('BW_ERR_CONFIG_PARSE', [path, 'the top level is not a mapping of keys to values']);
  return value as ConfigDocument;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
