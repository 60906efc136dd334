// GET /settings: the whole configuration in force, defaults filled in and every secret masked, with where it
// came from. Changes go through the section routes (runbooks, host groups, peers, ...), never a whole-file PUT.
import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../api-types.js';
import { maskSecrets } from './masking.js';

export const settingsRoutes: RouteModule = (app, deps) => {
  app.get(
    '/settings',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['configuration'],
        summary: 'The configuration in force (secrets masked)',
        response: { 200: Type.Object({ configPath: Type.Union([Type.String(), Type.Null()]), dataDir: Type.String(), config: Type.Object({}, { additionalProperties: true }) }, { additionalProperties: false }) },
      },
    },
    async () => ({ configPath: deps.configPath ?? null, dataDir: deps.dataDir, config: maskSecrets(deps.config()) as Record<string, unknown> }),
  );
};
