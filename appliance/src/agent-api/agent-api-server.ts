// The agent API: HTTPS on agentApi.listen, two routes, bearer tokens. Agents poll GET /api/agent/v1/rules (the
// entries in their token's scope and the lease: how long they may keep them without hearing from us again) and
// POST /api/agent/v1/report (their counters). The certificate is self-signed (certificate.ts); agents pin it.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Component } from '../component.js';
import { BreakwaterError } from '../errors.js';
import type { AgentRuleBoard } from './agent-rule-board.js';
import { ensureCertificate } from './certificate.js';
import type { AgentToken, AgentTokenStore } from './token-store.js';

export interface AgentApiServerOptions {
  host: string;
  port: number;
  dataDir: string;
  leaseSeconds: number;
  tokens: AgentTokenStore;
  board: AgentRuleBoard;
}

const CounterSchema = Type.Object({
  id: Type.String({ maxLength: 64 }),
  expiresAt: Type.Number(),
  packets: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
});
const ReportSchema = Type.Object({ counters: Type.Array(CounterSchema, { maxItems: 10_000 }) }, { additionalProperties: false });

export class AgentApiServer implements Component {
  readonly name = 'agent-api';
  private app: FastifyInstance | undefined;
  private boundPort = 0;
  fingerprint = '';

  constructor(private readonly options: AgentApiServerOptions) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const tls = await ensureCertificate(this.options.dataDir);
    this.fingerprint = tls.fingerprint;
    const app = Fastify({ logger: false, https: { cert: tls.cert, key: tls.key }, bodyLimit: 4 * 1024 * 1024 });
    const { board, tokens, leaseSeconds } = this.options;

    const authenticate = async (req: FastifyRequest): Promise<AgentToken> => {
      const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
      const token = m ? await tokens.verify(m[1]!) : undefined;
      if (token === undefined) throw new BreakwaterError('BW_ERR_AGENT_TOKEN', [m ? 'unknown or revoked token' : 'no bearer token']);
      return token;
    };
    app.setErrorHandler((err: Error & { code?: string; statusCode?: number; status?: number }, _req, reply) => {
      const status = err instanceof BreakwaterError ? err.status : (err.statusCode ?? 500);
      void reply.code(status).send({ code: err.code ?? 'error', message: err.message });
    });

    // Authentication runs first, on every request: an unauthenticated caller learns nothing, not even which bodies
    // would be valid.
    const agents = new WeakMap<FastifyRequest, AgentToken>();
    app.addHook('onRequest', async (req) => {
      agents.set(req, await authenticate(req));
    });
    const agentOf = (req: FastifyRequest): AgentToken => agents.get(req)!;

    app.get('/api/agent/v1/rules', async (req) => {
      const token = agentOf(req);
      return { agent: token.name, serverTime: Date.now(), leaseSeconds, rules: board.entriesFor(token) };
    });
    app.post('/api/agent/v1/report', { schema: { body: ReportSchema } }, async (req, reply) => {
      board.report(agentOf(req), (req.body as { counters: { id: string; expiresAt: number; packets: number; bytes: number }[] }).counters);
      return reply.code(204).send();
    });

    await app.listen({ host: this.options.host, port: this.options.port });
    const addr = app.server.address();
    this.boundPort = typeof addr === 'object' && addr !== null ? addr.port : this.options.port;
    this.app = app;
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }
}
