// The configuration `breakwater demo` runs with: the demo network 203.0.113.0/24, sFlow on a loopback port, the
// `demo` speaker with one pretend router, the first-party tier plugins, mitigation in auto mode, and the default
// runbook with demo timings (it escalates and steps down in seconds, not minutes). Validated like any other.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { formatProblems, validateConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { BreakwaterError } from '../errors.js';
import { DEFAULT_RUNBOOK_INPUT } from '../mitigation/default-runbook.js';
import { DEMO_NETWORK } from './demo-traffic.js';

export interface DemoTimings {
  /** Escalation to the next stage while the attack is still on. */
  escalateAfterSeconds: number;
  /** Quiet time before each step down once the attack ended. */
  stepDownQuietSeconds: number;
  /** Quiet time before detection ends an attack. */
  detectionQuietSeconds: number;
}

export const DEMO_TIMINGS: DemoTimings = { escalateAfterSeconds: 15, stepDownQuietSeconds: 5, detectionQuietSeconds: 5 };

/** The first-party plugins folder of this installation (next to the source tree or the bundle). */
export function firstPartyPluginsDir(): string | undefined {
  const candidates = [new URL('../../../plugins', import.meta.url), new URL('../../plugins', import.meta.url)].map((u) => fileURLToPath(u));
  return candidates.find((dir) => existsSync(join(dir, 'tier-flowspec', 'package.json')));
}

export function demoConfig(options: { dataDir: string; sflowPort: number; apiListen: string; tls: 'auto' | 'off'; logLevel: string; timings: DemoTimings }): Config {
  const plugins = firstPartyPluginsDir();
  const { timings } = options;
  const result = validateConfig({
    dataDir: options.dataDir,
    log: { level: options.logLevel },
    sflow: { listen: [`127.0.0.1:${options.sflowPort}`] },
    health: { host: '127.0.0.1', port: 0 },
    networks: [DEMO_NETWORK],
    detection: { quietSeconds: timings.detectionQuietSeconds },
    bgp: {
      speaker: 'demo',
      localAddress: '192.0.2.10',
      peers: [{ name: 'demo_router', address: '192.0.2.1', asn: 64500, families: ['ipv4-unicast', 'ipv4-flowspec'] }],
    },
    plugins: plugins === undefined ? {} : { extraDirectories: [plugins] },
    mitigation: { mode: 'auto' },
    runbooks: [
      {
        ...structuredClone(DEFAULT_RUNBOOK_INPUT),
        description: `${DEFAULT_RUNBOOK_INPUT.description} DEMO timings: escalate after ${timings.escalateAfterSeconds} s, step down after ${timings.stepDownQuietSeconds} s quiet.`,
        escalation: { afterSeconds: timings.escalateAfterSeconds, onFailure: true },
        deescalation: { quietSeconds: timings.stepDownQuietSeconds, steps: 'one' },
      },
    ],
    api: { listen: options.apiListen, tls: { mode: options.tls } },
  });
  if (!result.ok) throw new BreakwaterError('BW_ERR_CONFIG_INVALID', [formatProblems(result.problems)], { details: { problems: result.problems } });
  return result.config;
}
