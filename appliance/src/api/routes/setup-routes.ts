// First run: GET /setup/status and POST /setup, which creates the first administrator with the one-time token
// of DATADIR/setup-token, then deletes the token file and writes DATADIR/setup-complete. Once any user exists
// the route answers BW_ERR_API_SETUP_DONE, token or not.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BreakwaterError } from '../../errors.js';
import type { ApiCore } from '../api-core.js';
import type { ApiDeps } from '../api-types.js';
import { checkPasswordPolicy, hashPassword } from '../password-hash.js';
import { completeSetup, setupTokenMatches, setupTokenPath } from '../setup-token.js';
import { USERNAME_PATTERN } from '../user-store.js';

const SetupBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200 }),
    username: Type.String({ pattern: USERNAME_PATTERN }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export function setupRoutes(app: FastifyInstance, deps: ApiDeps, core: ApiCore): void {
  app.get('/setup/status', { config: { public: true }, schema: { tags: ['setup'], summary: 'Whether the first administrator still has to be created' } }, async () => ({ setupRequired: core.users.count() === 0 }));

  app.post<{ Body: Static<typeof SetupBody> }>('/setup', { config: { public: true }, schema: { tags: ['setup'], summary: 'Create the first administrator with the one-time setup token', body: SetupBody } }, async (request, reply) => {
    if (core.users.count() > 0) throw new BreakwaterError('BW_ERR_API_SETUP_DONE');
    const { token, username, password } = request.body;
    const expected = core.setupToken();
    if (expected === undefined || !setupTokenMatches(expected, token)) {
      deps.audit.append({ at: deps.clock(), actor: 'anonymous', action: 'setup.refused', reason: 'wrong setup token', detail: { client: request.ip } });
      throw new BreakwaterError('BW_ERR_API_SETUP_TOKEN_INVALID', [setupTokenPath(deps.dataDir)]);
    }
    checkPasswordPolicy(username, password);
    const passwordHash = await hashPassword(password);
    if (!core.users.createFirst({ username, role: 'admin', passwordHash }, deps.clock())) throw new BreakwaterError('BW_ERR_API_SETUP_DONE');
    await completeSetup(deps.dataDir, deps.clock());
    core.setupCompleted();
    deps.audit.append({ at: deps.clock(), actor: `user:${username}`, action: 'setup.completed', resource: username, detail: { role: 'admin', client: request.ip } });
    return reply.code(201).send({ user: { username, role: 'admin' } });
  });
}
