// Tier 2, FlowSpec: announces the attack's mitigation signature (the narrowest FlowSpec match detection found)
// through the appliance's BGP speaker, as a discard or rate-limit rule as the runbook stage says. When the
// attack comes from few sources (their shares add up to most of it), it announces one rule per source prefix
// instead, which leaves the victim's other traffic from the same port alone. It refuses signatures that would
// drop too much normal traffic, so the runbook escalates rather than harm the victim itself.
import { checkPluginConfig, defineTier, Type, type AttackRecord, type FlowSpecAction, type FlowSpecMatch, type FlowSpecRule } from '@breakwater/sdk';

const configSchema = Type.Object(
  {
    minCoverage: Type.Number({ minimum: 0, maximum: 1, default: 0.9, description: 'Least share of the attack the signature must match.' }),
    maxCollateral: Type.Number({ minimum: 0, maximum: 1, default: 0.05, description: 'Largest share of normal traffic it may also match.' }),
    rateLimitBytesPerSecond: Type.Integer({ minimum: 1, default: 12_500_000, description: 'Rate of rate-limit rules unless the stage gives one (100 Mbit/s).' }),
    maxSources: Type.Integer({ minimum: 0, maximum: 64, default: 8, description: 'Most source prefixes matched one rule each; 0 never matches sources.' }),
    minSourceShare: Type.Number({ minimum: 0, maximum: 1, default: 0.9, description: 'Least share of the attack those sources must carry together.' }),
    ttlSeconds: Type.Integer({ minimum: 60, maximum: 604_800, default: 1800, description: 'Rule lifetime when the stage does not give one.' }),
  },
  { additionalProperties: false },
);

/** What a runbook stage may say to this tier (`runbooks[].stages[].settings`). */
const stageSchema = Type.Object(
  {
    action: Type.Union([Type.Literal('discard'), Type.Literal('rate-limit')], { default: 'discard' }),
    rateLimitBytesPerSecond: Type.Optional(Type.Integer({ minimum: 1 })),
    matchSources: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

export default defineTier({
  name: '@breakwater/tier-flowspec',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    const announced = ctx.metrics.counter('rules_announced_total', 'FlowSpec rules announced');
    const refused = ctx.metrics.counter('signatures_refused_total', 'signatures too broad to announce');
    // The stage-settings validator is compiled now, at load (checkPluginConfig keeps it), rather than on the first
    // attack's path to its route: 15-40 ms of CPU when cold (bench/e2e).
    checkPluginConfig(stageSchema, {});

    return {
      async engage(attack, stage, signal) {
        const checked = checkPluginConfig(stageSchema, stage.settings ?? {});
        if (!checked.ok) throw new Error(`stage ${stage.name} settings: ${checked.problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
        const settings = checked.config;
        const { coverage, collateral } = attack.signature;
        if (coverage < ctx.config.minCoverage || collateral > ctx.config.maxCollateral) {
          refused.inc();
          throw new Error(`signature covers ${pct(coverage)} of the attack and ${pct(collateral)} of normal traffic; limits are ${pct(ctx.config.minCoverage)} and ${pct(ctx.config.maxCollateral)}`);
        }
        const action: FlowSpecAction =
          settings.action === 'discard' ? { type: 'discard' } : { type: 'rate-limit', bytesPerSecond: settings.rateLimitBytesPerSecond ?? ctx.config.rateLimitBytesPerSecond };
        const family = attack.ipVersion === 4 ? 'ipv4' : 'ipv6';
        const sources = settings.matchSources ? fewSources(attack, ctx.config.maxSources, ctx.config.minSourceShare) : [];
        const matches: FlowSpecMatch[] = sources.length > 0 ? sources.map((source) => ({ ...attack.signature.match, source: { prefix: source } })) : [attack.signature.match];
        const ttlSeconds = stage.ttlSeconds ?? ctx.config.ttlSeconds;

        const receipts: { id: string; expiresAt: number }[] = [];
        try {
          for (const match of matches) {
            const rule: FlowSpecRule = { family, match, actions: [action] };
            receipts.push(await ctx.bgp.announceFlow(rule, { attackId: attack.id, ttlSeconds }));
            // Abandoned (timeout, shutdown) while announcing: take back what went out rather than leave it.
            if (signal.aborted) throw signal.reason;
          }
        } catch (err) {
          for (const r of receipts) await ctx.bgp.withdrawFlow(r.id).catch(() => false);
          throw err;
        }
        announced.inc(receipts.length);
        const routes = receipts.map((r) => r.id);
        const what = settings.action === 'discard' ? 'discard' : `rate-limit ${action.type === 'rate-limit' ? action.bytesPerSecond : ''} B/s`;
        ctx.log.info({ attack: attack.id, runbook: stage.runbook, stage: stage.name, routes }, 'FlowSpec rules announced');
        return {
          // One route: its id. Several: one id for the set, so two attacks with the same rules share it.
          id: routes.length === 1 ? routes[0]! : `flowset:${[...routes].sort().join(',')}`.slice(0, 480),
          summary: `FlowSpec ${what} for ${attack.target} (${attack.vector})${sources.length > 0 ? `, ${sources.length} source prefix${sources.length > 1 ? 'es' : ''}` : ''}, ${ttlSeconds} s`,
          data: { routes, expiresAt: Math.min(...receipts.map((r) => r.expiresAt)) },
        };
      },

      async disengage(engagement) {
        for (const id of routesOf(engagement.data)) {
          if (!(await ctx.bgp.withdrawFlow(id))) ctx.log.debug({ route: id }, 'rule was already gone (expired or withdrawn)');
        }
      },

      verify(engagement) {
        const expiresAt = Number(engagement.data?.expiresAt ?? 0);
        return Date.now() < expiresAt ? { state: 'active' } : { state: 'gone', detail: 'the rules expired' };
      },
    };
  },
});

/** Source prefixes (host routes) when few sources carry most of the attack; otherwise none. */
export function fewSources(attack: AttackRecord, maxSources: number, minShare: number): string[] {
  const top = attack.profile.topSources;
  if (maxSources === 0 || top.length === 0 || top.length > maxSources) return [];
  const share = top.reduce((sum, s) => sum + s.share, 0);
  if (share < minShare) return [];
  return top.map((s) => (s.key.includes('/') ? s.key : `${s.key}/${s.key.includes(':') ? 128 : 32}`));
}

function routesOf(data: Record<string, unknown> | undefined): string[] {
  const routes = data?.routes;
  return Array.isArray(routes) ? routes.filter((r): r is string => typeof r === 'string') : [];
}

function pct(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
