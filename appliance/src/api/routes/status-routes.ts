// Health, the live event stream, and (at the root, outside /api/v1) Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import type { ApiCore } from '../api-core.js';
import type { ApiDeps } from '../api-types.js';
import { renderMetrics } from '../metrics-exposition.js';

export function statusRoutes(app: FastifyInstance, deps: ApiDeps, core: ApiCore): void {
  app.get('/health/live', { config: { public: true }, schema: { tags: ['health'], summary: 'Liveness: the API answers' } }, async () => ({ status: 'ok' }));

  app.get('/health', { config: { role: 'viewer' }, schema: { tags: ['health'], summary: 'What every component reports (the loopback /health, authenticated)' } }, async () => {
    const report: Record<string, unknown> = { status: 'ok', uptimeSeconds: Math.round((deps.clock() - core.startedAt) / 1000), pid: process.pid };
    for (const [name, read] of Object.entries(core.reports())) report[name] = read();
    report.api = core.report();
    return report;
  });

  app.get('/events', { config: { role: 'viewer' }, schema: { tags: ['events'], summary: 'Server-Sent Events: traffic, attack, mitigation, peers' } }, async (request, reply) => {
    reply.hijack();
    core.hub.attach(reply.raw, core.streamHeaders);
  });
}

export function metricsRoute(app: FastifyInstance, core: ApiCore): void {
  app.get('/metrics', { config: { role: 'viewer' }, schema: { tags: ['metrics'], summary: 'Prometheus text exposition of every component\'s figures' } }, async (_request, reply) => {
    const api = core.report();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderMetrics(core.reports(), { api }));
  });
}
