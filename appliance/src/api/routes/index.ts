// Every route module of the REST API, registered under /api/v1 in this order. One module per area; each route
// declares its lowest role ({ config: { role } }) or { config: { public: true } } (api-types.ts).
import type { RouteModule } from '../api-types.js';
import { attackRoutes } from './attacks.js';
import { auditRoutes } from './audit.js';
import { hostGroupRoutes } from './host-groups.js';
import { mitigationRoutes } from './mitigations.js';
import { notifierRoutes } from './notifiers.js';
import { peerRoutes } from './peers.js';
import { pluginRoutes } from './plugins.js';
import { runbookRoutes } from './runbooks.js';
import { settingsRoutes } from './settings.js';
import { trafficRoutes } from './traffic.js';

export const routeModules: RouteModule[] = [
  trafficRoutes,
  attackRoutes,
  mitigationRoutes,
  runbookRoutes,
  hostGroupRoutes,
  peerRoutes,
  pluginRoutes,
  notifierRoutes,
  settingsRoutes,
  auditRoutes,
];
