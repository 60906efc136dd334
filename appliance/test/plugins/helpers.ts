// Shared by the plugin tests: a pino logger whose lines the test can read, and registry settings.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { Value } from '@sinclair/typebox/value';
import { PluginsSchema, type PluginsConfig } from '../../src/config/plugins-schema.js';

export interface LogLine {
  level: number;
  msg: string;
  plugin?: string;
  [key: string]: unknown;
}

export function captureLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

/** The plugins section as the config loader would produce it from this partial one. */
/**
 * Tests start many child-isolated plugins at once under tsx (about 1.5 s of CPU each on this machine's cores):
 * they get a minute to start, so a busy machine cannot turn the contract into a startup race.
 */
export function pluginsConfig(partial: Record<string, unknown>): PluginsConfig {
  return Value.Default(PluginsSchema, structuredClone({ childStartupMs: 60_000, ...partial })) as PluginsConfig;
}

/** Short restarts, so tests of isolated plugins do not wait out production backoff. */
export const fastRestart = { initialDelayMs: 50, maxDelayMs: 200, maxRestarts: 5, windowMs: 60_000, stableAfterMs: 60_000 };
