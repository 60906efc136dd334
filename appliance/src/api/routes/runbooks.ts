// The runbook routes: read the runbooks in force, replace them (admin), check a draft without saving it, and
// dry-run a runbook against a recorded attack (mitigation/runbook-dry-run.ts: the escalation machine over the
// attack's timeline with a simulated clock). A replacement goes through config-change.ts: the whole new
// configuration is validated before the file is replaced, then the engine reloads it (running mitigations keep
// the runbook they started with).
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { validateConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { BreakwaterError } from '../../errors.js';
import { dryRunRunbook } from '../../mitigation/runbook-dry-run.js';
import { checkRunbooks } from '../../mitigation/runbook-validate.js';
import { RunbookSchema, RunbooksSchema, type Runbook } from '../../mitigation/runbook-schema.js';
import { runbooksInForce } from '../../mitigation/runbook.js';
import type { RouteModule } from '../api-types.js';
import { AttackSource } from './attack-source.js';
import { ConfigChangeResultSchema, changeConfiguration, keepSentBody, readDocument, sentBody } from './config-change.js';

const Problem = Type.Object({ path: Type.String(), message: Type.String() }, { additionalProperties: false });
const RunbookOut = Type.Object({}, { additionalProperties: true, description: 'a runbook (docs/runbooks.md), defaults filled in' });

export const runbookRoutes: RouteModule = (app, deps) => {
  const attacks = new AttackSource(deps);
  app.addHook('onClose', async () => attacks.close());

  app.get(
    '/runbooks',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['configuration'],
        summary: 'The configured runbooks, and the ones in force (the built-in default when none is configured)',
        response: { 200: Type.Object({ runbooks: Type.Array(RunbookOut), inForce: Type.Array(Type.String()), mode: Type.String() }, { additionalProperties: false }) },
      },
    },
    async () => {
      const config = deps.config();
      return { runbooks: config.runbooks, inForce: runbooksInForce(config.runbooks).map((r) => r.name), mode: config.mitigation.mode };
    },
  );

  app.put<{ Body: { runbooks: Static<typeof RunbooksSchema> } }>(
    '/runbooks',
    { config: { role: 'admin' }, preValidation: keepSentBody, schema: { tags: ['configuration'], summary: 'Replace the runbooks (validated whole, written atomically, reloaded)', body: Type.Object({ runbooks: RunbooksSchema }, { additionalProperties: false }), response: { 200: ConfigChangeResultSchema } } },
    async (request) =>
      changeConfiguration(deps, request, 'runbooks', (doc) => {
        doc.runbooks = sentBody<{ runbooks: unknown[] }>(request).runbooks;
      }),
  );

  app.post<{ Body: { runbooks: unknown } }>(
    '/runbooks/validate',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['configuration'],
        summary: 'Check runbooks against the schema and the rest of the configuration, without saving them',
        body: Type.Object({ runbooks: Type.Array(Type.Unknown(), { maxItems: 1000 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ ok: Type.Boolean(), problems: Type.Array(Problem) }, { additionalProperties: false }) },
      },
    },
    async (request) => {
      const base = deps.configPath !== undefined ? await readDocument(deps, 'runbooks') : {};
      const result = validateConfig({ ...base, runbooks: request.body.runbooks });
      // Problems elsewhere in the file are not this draft's: only the runbooks' are reported.
      const problems = result.ok ? [] : result.problems.filter((p) => p.path.startsWith('/runbooks'));
      return { ok: problems.length === 0, problems };
    },
  );

  app.post<{ Body: { runbook: unknown; attackId: string; mode?: 'auto' | 'approve' | 'detect-only' } }>(
    '/runbooks/dry-run',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['configuration'],
        summary: 'Run a runbook over a recorded attack with a simulated clock: the stages it would have engaged, and when',
        body: Type.Object(
          {
            runbook: Type.Object({}, { additionalProperties: true, description: 'a runbook, as in PUT /runbooks' }),
            attackId: Type.String({ minLength: 1, maxLength: 128 }),
            mode: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('approve'), Type.Literal('detect-only')], { description: 'default: the runbook\'s mode' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({}, { additionalProperties: true, description: 'steps (decisions with times) and stages (engaged and left at)' }) },
      },
    },
    async (request) => {
      const runbook = Value.Default(RunbookSchema, structuredClone(request.body.runbook)) as Runbook;
      const problems = [...Value.Errors(RunbookSchema, runbook)].map((e) => ({ path: `body/runbook${e.path}`, message: e.message }));
      const config = deps.config();
      if (problems.length === 0) problems.push(...checkRunbooks({ runbooks: [runbook] as Config['runbooks'], mitigation: config.mitigation, hostGroups: config.hostGroups }).map((p) => ({ path: `body/runbook${p.path.replace(/^\/runbooks\/0/, '')}`, message: p.message })));
      if (problems.length > 0) throw new BreakwaterError('BW_ERR_API_VALIDATION', [problems.map((p) => `${p.path} ${p.message}`).join('; ')], { details: { problems } });
      const stored = attacks.get(request.body.attackId);
      if (stored === undefined) throw new BreakwaterError('BW_ERR_ATTACK_NOT_FOUND', [request.body.attackId, 'not recorded, or removed by retention']);
      return dryRunRunbook(runbook, stored.attack, {
        now: deps.clock(),
        verifyIntervalMs: config.mitigation.verifyIntervalSeconds * 1000,
        ...(request.body.mode !== undefined ? { mode: request.body.mode } : {}),
      });
    },
  );
};
