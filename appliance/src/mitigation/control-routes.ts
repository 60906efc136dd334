// The local control endpoint of the running appliance for `breakwater mitigations`: list, approve a stage,
// stop all, resume. Served on the loopback health server, and refused to any peer that is not loopback even if
// the health server was bound wider: approving a blackhole is not something to offer the network. The REST API
// (a later issue, with authentication) replaces it; until then this is the CLI's one way in.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BreakwaterError, isBreakwaterError } from '../errors.js';
import type { MitigationEngine } from './mitigation-engine.js';

const USER = /^[A-Za-z0-9._@-]{1,64}$/;

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));
}

export function registerControlRoutes(app: FastifyInstance, engine: () => MitigationEngine): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/control/')) return;
    if (isLoopback(request.socket.remoteAddress)) return;
    const refused = new BreakwaterError('BW_ERR_CONTROL_FORBIDDEN', [request.socket.remoteAddress ?? 'an unknown peer']);
    await reply.code(refused.status).send({ code: refused.code, message: refused.message });
  });
  const userOf = (request: FastifyRequest, reply: FastifyReply): string | undefined => {
    const user = (request.body as { user?: unknown } | undefined)?.user;
    if (typeof user === 'string' && USER.test(user)) return user;
    void reply.code(400).send({ code: 'BW_ERR_CLI_USAGE', message: 'body must be {"user": NAME} (letters, digits, . _ @ -)' });
    return undefined;
  };
  const failed = (reply: FastifyReply, err: unknown) => {
    if (isBreakwaterError(err)) return reply.code(err.status).send({ code: err.code, message: err.message });
    throw err;
  };

  app.get('/control/mitigations', async () => ({ mitigations: engine().list(), status: engine().report() }));

  app.post<{ Params: { id: string } }>('/control/mitigations/:id/approve', async (request, reply) => {
    const user = userOf(request, reply);
    if (user === undefined) return reply;
    try {
      return { mitigation: await engine().approve(request.params.id, user) };
    } catch (err) {
      return failed(reply, err);
    }
  });

  app.post('/control/stop-all', async (request, reply) => {
    const user = userOf(request, reply);
    if (user === undefined) return reply;
    await engine().stopAll(user);
    return { stopped: true, status: engine().report() };
  });

  app.post('/control/resume', async (request, reply) => {
    const user = userOf(request, reply);
    if (user === undefined) return reply;
    engine().resume(user);
    return { resumed: true, status: engine().report() };
  });
}
