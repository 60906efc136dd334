// The mitigation routes: what the runbook engine runs and what people announced by hand, and the actions an
// operator takes — a manual FlowSpec rule or RTBH route with a lifetime, withdraw, extend (manual ones), approve
// a stage waiting for a person, stop all and resume. Every action goes to the audit trail with its actor (the
// engine and the manual-mitigation module write those entries themselves, with the actor the API names).
import { Type, type Static } from '@sinclair/typebox';
import { BreakwaterError } from '../../errors.js';
import { FlowSpecRuleSchema } from '../../flowspec/rule-schema.js';
import { ManualMitigations } from '../../mitigation/manual-mitigations.js';
import { actorName, type ApiDeps, type RouteModule } from '../api-types.js';
import type { FastifyRequest } from 'fastify';

const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });

const Community = Type.String({ pattern: '^[0-9]{1,5}:[0-9]{1,5}$' });
const Ttl = Type.Integer({ minimum: 60, maximum: 604_800, description: 'lifetime in seconds (at most mitigation.guardrails.maxTtlSeconds)' });
const Reason = Type.Optional(Type.String({ maxLength: 500 }));

export const ManualRequestSchema = Type.Union([
  Type.Object({ kind: Type.Literal('rtbh'), prefix: Type.String({ minLength: 2, maxLength: 64, description: 'a host address or /32, /128 route' }), ttlSeconds: Ttl, communities: Type.Optional(Type.Array(Community, { maxItems: 16 })), reason: Reason }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('flowspec'), rule: FlowSpecRuleSchema, ttlSeconds: Ttl, reason: Reason }, { additionalProperties: false }),
]);

const ManualSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.Union([Type.Literal('flowspec'), Type.Literal('rtbh')]),
    target: Type.String(),
    by: Type.String(),
    createdAt: Type.Number(),
    expiresAt: Type.Union([Type.Number(), Type.Null()]),
    rule: Type.Optional(Open('the FlowSpec rule as announced')),
    communities: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const Status = Open('the engine status (mode, stopAll, mitigations by phase, approvals waiting)');

const manualByDeps = new WeakMap<ApiDeps, ManualMitigations>();

export function manualMitigationsOf(deps: ApiDeps): ManualMitigations {
  let manual = manualByDeps.get(deps);
  if (manual === undefined) {
    manual = new ManualMitigations({
      speaker: () => deps.appliance.speaker,
      guardrails: () => deps.config().mitigation.guardrails,
      protectedNetworks: () => deps.appliance.detection.groups.protectedPrefixes(),
      stoppedBecause: () => {
        const stop = deps.appliance.mitigation.report().stopAll as false | { by: string };
        return stop === false ? undefined : stop.by;
      },
      rtbhCommunities: () => deps.config().bgp.rtbh.communities,
      audit: (entry) => deps.audit.append(entry),
      // The speaker stamps expiries with the wall clock; lifetimes are reckoned against the same clock.
      clock: Date.now,
    });
    manualByDeps.set(deps, manual);
  }
  return manual;
}

function actorOf(request: FastifyRequest): string {
  if (request.actor === undefined) throw new BreakwaterError('BW_ERR_API_UNAUTHENTICATED', ['no actor on the request']);
  return actorName(request.actor);
}

export const mitigationRoutes: RouteModule = (app, deps) => {
  const manual = manualMitigationsOf(deps);
  const engine = () => deps.appliance.mitigation;

  app.get(
    '/mitigations',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['mitigations'],
        summary: 'Mitigations the runbook engine runs, manual ones, and the engine status',
        response: { 200: Type.Object({ mitigations: Type.Array(Open('a mitigation summary: stages, phase, runbook')), manual: Type.Array(ManualSchema), status: Status }, { additionalProperties: false }) },
      },
    },
    async () => ({ mitigations: engine().list(), manual: manual.list(), status: engine().report() }),
  );

  app.post<{ Body: Static<typeof ManualRequestSchema> }>(
    '/mitigations',
    { config: { role: 'operator' }, schema: { tags: ['mitigations'], summary: 'Announce a manual FlowSpec rule or RTBH route with a lifetime', body: ManualRequestSchema, response: { 201: Type.Object({ mitigation: ManualSchema }, { additionalProperties: false }) } } },
    async (request, reply) => {
      const made = await manual.announce(request.body, actorOf(request));
      return reply.code(201).send({ mitigation: made });
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/mitigations/:id/withdraw',
    { config: { role: 'operator' }, schema: { tags: ['mitigations'], summary: 'Withdraw a manual mitigation, or every stage of a runbook mitigation', params: IdParams, response: { 200: Type.Object({ withdrawn: Type.Literal(true), manual: Type.Boolean(), mitigation: Type.Optional(Open('the runbook mitigation after the withdrawal')) }, { additionalProperties: false }) } } },
    async (request) => {
      const actor = actorOf(request);
      if (await manual.withdraw(request.params.id, actor)) return { withdrawn: true as const, manual: true };
      return { withdrawn: true as const, manual: false, mitigation: await engine().withdraw(request.params.id, actor) };
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: { seconds: number } }>(
    '/mitigations/:id/extend',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['mitigations'],
        summary: 'Extend a manual mitigation\'s lifetime',
        params: IdParams,
        body: Type.Object({ seconds: Type.Integer({ minimum: 60, maximum: 604_800 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ mitigation: ManualSchema }, { additionalProperties: false }) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const extended = await manual.extend(id, request.body.seconds, actorOf(request));
      if (extended !== undefined) return { mitigation: extended };
      if (engine().list().some((m) => m.id === id || m.attackIds.includes(id))) throw new BreakwaterError('BW_ERR_MITIGATION_NOT_MANUAL', [id, 'extend']);
      throw new BreakwaterError('BW_ERR_MITIGATION_NOT_FOUND', [id, 'no such mitigation']);
    },
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/mitigations/:id/approve',
    { config: { role: 'operator' }, schema: { tags: ['mitigations'], summary: 'Approve the stage a mitigation waits on', params: IdParams, response: { 200: Type.Object({ mitigation: Open('the mitigation summary') }, { additionalProperties: false }) } } },
    async (request) => ({ mitigation: await engine().approve(request.params.id, actorOf(request)) }),
  );

  app.get(
    '/mitigations/switch',
    { config: { role: 'viewer' }, schema: { tags: ['mitigations'], summary: 'Whether mitigation is stopped ("stop all") and the mode', response: { 200: Type.Object({ stopped: Type.Boolean(), stopAll: Type.Union([Type.Literal(false), Open('who stopped it and since when')]), mode: Type.String() }, { additionalProperties: false }) } } },
    async () => {
      const report = engine().report();
      return { stopped: report.stopAll !== false, stopAll: report.stopAll as false | Record<string, unknown>, mode: String(report.mode) };
    },
  );

  app.post(
    '/mitigations/stop-all',
    { config: { role: 'operator' }, schema: { tags: ['mitigations'], summary: 'Withdraw every mitigation (manual ones too) and refuse new ones until resume', response: { 200: Type.Object({ stopped: Type.Literal(true), status: Status }, { additionalProperties: false }) } } },
    async (request) => {
      const actor = actorOf(request);
      await engine().stopAll(actor);
      // Manual mitigations go too: "stop all" leaves nothing announced.
      for (const m of manual.list()) await manual.withdraw(m.id, actor, 'stop-all');
      return { stopped: true as const, status: engine().report() };
    },
  );

  app.post(
    '/mitigations/resume',
    { config: { role: 'operator' }, schema: { tags: ['mitigations'], summary: 'Allow new mitigations again after stop-all', response: { 200: Type.Object({ resumed: Type.Literal(true), status: Status }, { additionalProperties: false }) } } },
    async (request) => {
      engine().resume(actorOf(request));
      return { resumed: true as const, status: engine().report() };
    },
  );
};
