// Shared by the notification tests: a logger with the appliance's own options (secret redaction included)
// whose lines the test reads, a temporary data directory, the notify section as the config loader would
// decode it, a clock the test moves, and outbox channels that record or fail as told.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { pino, type Logger } from 'pino';
import type { NotificationEvent } from '@breakwater/sdk';
import { NotifySchema, type NotifyConfig } from '../../src/config/notify-schema.js';
import { loggerOptions } from '../../src/log.js';

export const FIXTURE_PLUGINS = fileURLToPath(new URL('./fixtures/plugins', import.meta.url));

export function captureLogger(): { log: Logger; text: () => string; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { log: pino(loggerOptions('debug'), stream), text: () => raw.join('\n'), lines };
}

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bw-notify-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The notify section from a partial one, defaults filled in and secrets decoded, as loadConfig does. */
export function notifyConfig(partial: Record<string, unknown>): NotifyConfig {
  return Value.Decode(NotifySchema, Value.Default(NotifySchema, structuredClone(partial)));
}

export class FakeClock {
  constructor(public ms = Date.UTC(2026, 0, 15, 10, 0, 0)) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A deliver function that records events, failing with the queued errors first. */
export function recordingChannel(): { deliver: (event: NotificationEvent) => Promise<void>; delivered: NotificationEvent[]; failNext: (...errors: unknown[]) => void; calls: () => number } {
  const delivered: NotificationEvent[] = [];
  const failures: unknown[] = [];
  let calls = 0;
  return {
    delivered,
    failNext: (...errors) => void failures.push(...errors),
    calls: () => calls,
    deliver: async (event) => {
      calls++;
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      delivered.push(event);
    },
  };
}
