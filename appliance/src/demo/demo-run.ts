// `breakwater demo` without the command line: the appliance on the demo configuration, fed by its own synthetic
// sFlow, with the REST API and panel up. The caller prints the panel URL and setup token and stops it.
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Appliance } from '../appliance.js';
import type { Logger } from '../log.js';
import { DEMO_TIMINGS, demoConfig, type DemoTimings } from './demo-config.js';
import { DemoTraffic, type DemoSchedule } from './demo-traffic.js';

export const DEMO_SCHEDULE: DemoSchedule = { firstAttackSeconds: 10, attackSeconds: 30, attackEverySeconds: 180 };

export interface DemoOptions {
  /** Data directory (default: a new temporary one). */
  dataDir?: string;
  /** API and panel address (default 127.0.0.1:8443). */
  listen?: string;
  tls?: 'auto' | 'off';
  logLevel?: string;
  schedule?: Partial<DemoSchedule>;
  timings?: Partial<DemoTimings>;
  log: Logger;
}

export interface RunningDemo {
  appliance: Appliance;
  traffic: DemoTraffic;
  dataDir: string;
  /** The panel's URL, and the first-run link with the one-time setup token while no admin exists. */
  panelUrl: string;
  setupUrl: string | undefined;
  setupToken: string | undefined;
  stop(): Promise<void>;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'breakwater-demo-'));
  const sflowPort = await freeUdpPort();
  const config = demoConfig({
    dataDir,
    sflowPort,
    apiListen: options.listen ?? '127.0.0.1:8443',
    tls: options.tls ?? 'auto',
    logLevel: options.logLevel ?? 'info',
    timings: { ...DEMO_TIMINGS, ...options.timings },
  });
  const appliance = new Appliance({ config, log: options.log });
  await appliance.start();
  const traffic = new DemoTraffic({ port: sflowPort, schedule: { ...DEMO_SCHEDULE, ...options.schedule } });
  await traffic.start();
  const api = appliance.api!;
  if (api.failure !== undefined) {
    await traffic.stop();
    await appliance.stop(5_000);
    throw api.failure;
  }
  return {
    appliance,
    traffic,
    dataDir,
    panelUrl: api.url,
    setupUrl: api.setupUrl(),
    setupToken: api.core?.setupToken(),
    async stop() {
      await traffic.stop();
      await appliance.stop(5_000);
    },
  };
}
