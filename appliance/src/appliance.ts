// Composes the appliance from its components and owns their order: started in data-path order
// (intake last, so nothing arrives before its consumers exist), stopped in reverse within a bound.
import type { Component } from './component.js';
import { stopWithin } from './component.js';
import type { Config } from './config/schema.js';
import { DestinationTable, defaultDestinationCapacity } from './counting/destination-table.js';
import { prepareDataDir } from './data-dir.js';
import { HealthServer } from './health/health-server.js';
import { SflowIntake } from './intake/sflow-intake.js';
import type { Logger } from './log.js';

export interface ApplianceOptions {
  config: Config;
  log: Logger;
}

export class Appliance {
  private readonly components: Component[] = [];
  private started: Component[] = [];
  readonly health: HealthServer;
  readonly destinations: DestinationTable;
  readonly intake: SflowIntake;

  constructor(private readonly options: ApplianceOptions) {
    const { config, log } = options;
    this.destinations = new DestinationTable(defaultDestinationCapacity);
    this.intake = new SflowIntake({ config: config.sflow, destinations: this.destinations, log: log.child({ component: 'intake' }) });
    this.health = new HealthServer({
      host: config.health.host,
      port: config.health.port,
      log: log.child({ component: 'health' }),
      sections: { intake: () => this.intake.report() },
    });
    this.components.push(this.health, this.intake);
  }

  async start(): Promise<void> {
    await prepareDataDir(this.options.config.dataDir);
    for (const c of this.components) {
      await c.start();
      this.started.push(c);
    }
    this.options.log.info({ dataDir: this.options.config.dataDir }, 'appliance started');
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    for (const c of [...this.started].reverse()) {
      const result = await stopWithin(c, timeoutMs);
      if (result !== 'stopped') this.options.log.error({ component: c.name, result: String(result) }, 'component did not stop cleanly');
    }
    this.started = [];
    this.options.log.info('appliance stopped');
  }
}
