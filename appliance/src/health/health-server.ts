// The loopback health endpoint: GET /health answers whether the appliance is up and what its components report.
// It only reads state that components expose; it computes nothing of its own.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Component } from '../component.js';
import type { Logger } from '../log.js';

export type HealthReport = () => Record<string, unknown>;

export interface HealthServerOptions {
  host: string;
  port: number;
  log: Logger;
  /** Each named section of the report, read on every request. */
  sections: Record<string, HealthReport>;
  /** Further loopback routes other components serve here (the mitigation control endpoint). */
  routes?: ((app: FastifyInstance) => void)[];
}

export class HealthServer implements Component {
  readonly name = 'health';
  private readonly app: FastifyInstance;
  private readonly startedAt = Date.now();
  private boundPort = 0;

  constructor(private readonly options: HealthServerOptions) {
    this.app = Fastify({ logger: false });
    this.app.get('/health', async () => {
      const report: Record<string, unknown> = {
        status: 'ok',
        uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
        pid: process.pid,
      };
      for (const [name, read] of Object.entries(this.options.sections)) report[name] = read();
      return report;
    });
    for (const register of options.routes ?? []) register(this.app);
  }

  /** The port actually bound (useful when configured with port 0). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    await this.app.listen({ host: this.options.host, port: this.options.port });
    const addr = this.app.server.address();
    this.boundPort = typeof addr === 'object' && addr !== null ? addr.port : this.options.port;
    this.options.log.info({ host: this.options.host, port: this.boundPort }, 'health endpoint listening');
  }

  async stop(): Promise<void> {
    await this.app.close();
  }
}
