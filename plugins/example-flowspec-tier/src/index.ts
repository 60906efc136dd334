// Example mitigation tier, and the plugin docs/plugins.md builds step by step: it announces the attack's
// mitigation signature (the narrowest FlowSpec match detection found) as a FlowSpec rule that discards or
// rate-limits the matching traffic, for a bounded time. It refuses signatures that would drop too much
// legitimate traffic, so the runbook escalates to the next tier instead.
import { defineTier, Type, type FlowSpecAction, type FlowSpecRule } from '@breakwater/sdk';

const configSchema = Type.Object(
  {
    action: Type.Union([Type.Literal('discard'), Type.Literal('rate-limit')], {
      default: 'discard',
      description: 'What routers do with matching traffic.',
    }),
    rateLimitBytesPerSecond: Type.Integer({ minimum: 1, default: 12_500_000, description: 'Rate for action rate-limit (default 100 Mbit/s).' }),
    ttlSeconds: Type.Integer({ minimum: 60, maximum: 86_400, default: 1_800, description: 'How long a rule lives unless re-announced.' }),
    minCoverage: Type.Number({ minimum: 0, maximum: 1, default: 0.9, description: 'Least share of the attack the signature must match.' }),
    maxCollateral: Type.Number({ minimum: 0, maximum: 1, default: 0.05, description: 'Largest share of normal traffic it may also match.' }),
  },
  { additionalProperties: false },
);

export default defineTier({
  name: '@breakwater/example-flowspec-tier',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    // create() only wires things up: no I/O here (the appliance refuses a create() that returns a promise).
    const announced = ctx.metrics.counter('rules_announced_total', 'FlowSpec rules announced');
    const refused = ctx.metrics.counter('signatures_refused_total', 'signatures too broad or too narrow to announce');
    const action: FlowSpecAction =
      ctx.config.action === 'discard' ? { type: 'discard' } : { type: 'rate-limit', bytesPerSecond: ctx.config.rateLimitBytesPerSecond };

    return {
      async engage(attack, stage, signal) {
        const { coverage, collateral, match } = attack.signature;
        if (coverage < ctx.config.minCoverage || collateral > ctx.config.maxCollateral) {
          refused.inc();
          throw new Error(`signature covers ${pct(coverage)} of the attack and ${pct(collateral)} of normal traffic; limits are ${pct(ctx.config.minCoverage)} and ${pct(ctx.config.maxCollateral)}`);
        }
        const rule: FlowSpecRule = { family: attack.ipVersion === 4 ? 'ipv4' : 'ipv6', match, actions: [action] };
        const receipt = await ctx.bgp.announceFlow(rule, { attackId: attack.id, ttlSeconds: ctx.config.ttlSeconds });
        // The appliance gave up on this call (timeout, shutdown) while the announcement was on its way:
        // take it back rather than leave a rule nobody tracks until it expires.
        if (signal.aborted) {
          await ctx.bgp.withdrawFlow(receipt.id);
          throw signal.reason;
        }
        announced.inc();
        ctx.log.info({ attack: attack.id, runbook: stage.runbook, stage: stage.name, route: receipt.id }, 'FlowSpec rule announced');
        return {
          id: receipt.id,
          summary: `FlowSpec ${ctx.config.action} for ${attack.target} (${attack.vector}), ${ctx.config.ttlSeconds} s`,
          data: { expiresAt: receipt.expiresAt },
        };
      },

      async disengage(engagement) {
        const withdrawn = await ctx.bgp.withdrawFlow(engagement.id);
        if (!withdrawn) ctx.log.debug({ route: engagement.id }, 'rule was already gone (expired or withdrawn)');
      },

      verify(engagement) {
        const expiresAt = Number(engagement.data?.expiresAt ?? 0);
        return Date.now() < expiresAt ? { state: 'active' } : { state: 'gone', detail: 'the rule expired' };
      },
    };
  },
});

function pct(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
