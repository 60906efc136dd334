// Every route module of the REST API, registered under /api/v1 in this order. One module per area; each route
// declares its lowest role ({ config: { role } }) or { config: { public: true } } (api-types.ts).
import type { RouteModule } from '../api-types.js';

export const routeModules: RouteModule[] = [];
