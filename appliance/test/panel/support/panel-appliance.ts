// A real appliance for the panel's browser tests: the demo's network and `demo` recording speaker (every route
// it would announce is written to DATADIR/bgp/demo/recorded-routes.jsonl, which the test reads back), but
// started from a configuration FILE so the panel's runbook edits are written and reloaded as in production, with
// the API over TLS (self-signed, made by the appliance) on a random loopback port. Synthetic sFlow (the demo's
// traffic: synthetic/traffic-scenarios.ts) is sent over loopback only when the test asks for it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { panelDirectory } from '../../../src/api/api-server.js';
import { Appliance } from '../../../src/appliance.js';
import { loadConfig } from '../../../src/config/load.js';
import { firstPartyPluginsDir } from '../../../src/demo/demo-config.js';
import type { RecordedRoute } from '../../../src/demo/demo-speaker-daemon.js';
import { DEMO_NETWORK, DemoTraffic, type DemoSchedule } from '../../../src/demo/demo-traffic.js';
import { silentLogger } from '../../../src/log.js';
import { DEFAULT_RUNBOOK_INPUT } from '../../../src/mitigation/default-runbook.js';
import { freeUdpPort } from '../../support/free-port.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../../../test-artifacts/panel/', import.meta.url));

/** Why the browser tests cannot run here, or undefined when they can. */
export function panelTestsBlocked(): string | undefined {
  if (panelDirectory('') === undefined) return 'the panel is not built: appliance/panel/dist/index.html is missing — run `npm run build -w @breakwater/panel` (scripts/setup.sh does it)';
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing — scripts/setup.sh --dev installs Debian's chromium`;
  return undefined;
}

export interface PanelAppliance {
  appliance: Appliance;
  dataDir: string;
  configPath: string;
  /** https://127.0.0.1:PORT */
  url: string;
  setupToken: string;
  /** Starts the demo's synthetic sFlow: a benign background, then one attack (NTP amplification on 203.0.113.10). */
  startTraffic(schedule: Partial<DemoSchedule>): Promise<void>;
  /**
   * Stops the traffic and the appliance (cleanly) and starts a new appliance on the same configuration file and
   * data directory, as a restart of the service does; `appliance` and `url` (a new port) follow it.
   */
  restart(): Promise<void>;
  recordedRoutes(): RecordedRoute[];
  stop(): Promise<void>;
}


export async function startPanelAppliance(): Promise<PanelAppliance> {
  const dir = mkdtempSync(join(tmpdir(), 'bwt-panel-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const sflowPort = await freeUdpPort();
  const plugins = firstPartyPluginsDir();
  const configPath = join(dir, 'breakwater.yaml');
  writeFileSync(
    configPath,
    `# written by appliance/test/panel/support/panel-appliance.ts\n${stringify({
      dataDir,
      log: { level: 'warn' },
      sflow: { listen: [`127.0.0.1:${sflowPort}`] },
      health: { host: '127.0.0.1', port: 0 },
      networks: [DEMO_NETWORK],
      detection: { quietSeconds: 5 },
      bgp: {
        speaker: 'demo',
        localAddress: '192.0.2.10',
        peers: [{ name: 'demo_router', address: '192.0.2.1', asn: 64500, families: ['ipv4-unicast', 'ipv4-flowspec'] }],
      },
      plugins: plugins === undefined ? {} : { extraDirectories: [plugins] },
      mitigation: { mode: 'auto' },
      // The FlowSpec stage holds for the whole test (no escalation to RTBH): the test withdraws it by hand.
      runbooks: [{ ...structuredClone(DEFAULT_RUNBOOK_INPUT), escalation: { afterSeconds: 3600, onFailure: true }, deescalation: { quietSeconds: 5, steps: 'one' } }],
      api: { listen: '127.0.0.1:0', tls: { mode: 'auto' } },
    })}`,
  );
  const config = await loadConfig(configPath);
  let appliance = new Appliance({ config, configPath, log: silentLogger() });
  let traffic: DemoTraffic | undefined;
  const stop = async () => {
    await traffic?.stop();
    await appliance.stop(5_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await appliance.start();
    const api = appliance.api;
    if (api === undefined) throw new Error('the API is not enabled in the test configuration');
    if (api.failure !== undefined) throw api.failure;
    const setupToken = api.core?.setupToken();
    if (setupToken === undefined) throw new Error('a new data directory must have a setup token');
    const handle: PanelAppliance = {
      appliance,
      dataDir,
      configPath,
      url: api.url,
      setupToken,
      async startTraffic(schedule) {
        traffic = new DemoTraffic({ port: sflowPort, schedule: { firstAttackSeconds: 2, attackSeconds: 120, attackEverySeconds: 3600, ...schedule } });
        await traffic.start();
      },
      async restart() {
        await traffic?.stop();
        traffic = undefined;
        await appliance.stop(5_000);
        appliance = new Appliance({ config: await loadConfig(configPath), configPath, log: silentLogger() });
        await appliance.start();
        if (appliance.api === undefined) throw new Error('the API is not enabled in the test configuration');
        if (appliance.api.failure !== undefined) throw appliance.api.failure;
        handle.appliance = appliance;
        handle.url = appliance.api.url;
      },
      recordedRoutes() {
        const file = join(dataDir, 'bgp', 'demo', 'recorded-routes.jsonl');
        if (!existsSync(file)) return [];
        return readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as RecordedRoute);
      },
      stop,
    };
    return handle;
  } catch (err) {
    await stop();
    throw err;
  }
}
