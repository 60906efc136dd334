// The api section's checks across keys (run by config/load.ts with the other semantic checks): the REST API's
// TCP address must not be one another listener of the appliance already takes. Both the API and the agent API
// default to port 8443, so enabling agents without moving one of them would leave the panel unserved.
import type { ConfigProblem } from '../config/load.js';
import type { Config } from '../config/schema.js';

const WILDCARDS = new Set(['::', '0.0.0.0', '']);

function hostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(addr.slice(i + 1)) };
}

/** Whether two TCP listeners would collide: the same port, and the same host or a wildcard on either side. */
export function listenersCollide(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  if (a.port === 0 || b.port === 0 || a.port !== b.port) return false;
  return a.host === b.host || WILDCARDS.has(a.host) || WILDCARDS.has(b.host);
}

export function checkApiConfig(config: Config): ConfigProblem[] {
  if (!config.api.enabled) return [];
  const problems: ConfigProblem[] = [];
  const api = hostPort(config.api.listen);
  if (api.port > 65535) problems.push({ path: '/api/listen', message: `port ${api.port} is outside 0..65535` });
  if (config.firewall.agents.enabled && listenersCollide(api, hostPort(config.firewall.agents.listen))) {
    problems.push({ path: '/api/listen', message: `${config.api.listen} collides with the agent API's firewall.agents.listen (${config.firewall.agents.listen}): move one of them, e.g. firewall.agents.listen: "[::]:8444"` });
  }
  if (listenersCollide(api, { host: config.health.host, port: config.health.port })) {
    problems.push({ path: '/api/listen', message: `${config.api.listen} collides with the health endpoint (${config.health.host}:${config.health.port}): move one of them` });
  }
  return problems;
}
