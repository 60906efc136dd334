// Tier 1, local filtering: installs the attack's signature as a firewall rule on the host that is hit (the
// appliance itself in the traffic path, or protected servers through `breakwater agent`) via ctx.firewall, and
// reads the rule's counters back in verify so the runbook engine can tell whether the filter is dropping.
// It never talks to nft or iptables itself: the appliance's firewall backend does (appliance/src/firewall/).
import { defineTier, Type, type FirewallAction, type FirewallRule } from '@breakwater/sdk';

const configSchema = Type.Object(
  {
    action: Type.Union([Type.Literal('drop'), Type.Literal('rate-limit')], { default: 'drop', description: 'What the firewall does with matching packets.' }),
    rateLimitPacketsPerSecond: Type.Integer({ minimum: 1, default: 10_000, description: 'Packets per second let through for action rate-limit.' }),
    ttlSeconds: Type.Integer({ minimum: 10, maximum: 86_400, default: 600, description: "Rule lifetime when the runbook stage gives none (the stage's ttlSeconds wins)." }),
    maxCollateral: Type.Number({ minimum: 0, maximum: 1, default: 0.05, description: 'Largest share of normal traffic the signature may also match.' }),
  },
  { additionalProperties: false },
);

export default defineTier({
  name: '@breakwater/tier-nftables',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    const applied = ctx.metrics.counter('rules_applied_total', 'firewall rules installed');
    const refused = ctx.metrics.counter('signatures_refused_total', 'signatures too broad to filter locally');
    const action: FirewallAction = ctx.config.action === 'drop' ? { type: 'drop' } : { type: 'rate-limit', packetsPerSecond: ctx.config.rateLimitPacketsPerSecond };

    return {
      async engage(attack, stage, signal) {
        if (attack.signature.collateral > ctx.config.maxCollateral) {
          refused.inc();
          throw new Error(`signature would also drop ${pct(attack.signature.collateral)} of normal traffic (limit ${pct(ctx.config.maxCollateral)})`);
        }
        const rule: FirewallRule = { match: attack.signature.match, action };
        const ttlSeconds = stage.ttlSeconds ?? ctx.config.ttlSeconds;
        const receipt = await ctx.firewall.apply(rule, { attackId: attack.id, ttlSeconds });
        // The appliance gave up on this call while the rule went in: take it back rather than leave it untracked.
        if (signal.aborted) {
          await ctx.firewall.remove(receipt.id);
          throw signal.reason;
        }
        applied.inc();
        ctx.log.info({ attack: attack.id, stage: stage.name, rule: receipt.id }, 'firewall rule applied');
        return {
          id: receipt.id,
          summary: `local ${ctx.config.action} of ${attack.signature.match.destination.prefix} (${attack.vector}), ${ttlSeconds} s`,
          data: { expiresAt: receipt.expiresAt },
        };
      },

      async disengage(engagement) {
        if (!(await ctx.firewall.remove(engagement.id))) ctx.log.debug({ rule: engagement.id }, 'rule was already gone (expired or removed)');
      },

      async verify(engagement) {
        const expiresAt = Number(engagement.data?.expiresAt ?? 0);
        // Rule counters start at zero when the rule is installed, so they are the drops since engage.
        if (ctx.firewall.counters === undefined) {
          return Date.now() < expiresAt ? { state: 'active', detail: 'counters not available from this appliance' } : { state: 'gone', detail: 'the rule expired' };
        }
        const counters = await ctx.firewall.counters(engagement.id);
        if (counters === undefined) return { state: 'gone', detail: Date.now() < expiresAt ? 'the rule is no longer installed' : 'the rule expired' };
        return {
          state: 'active',
          detail: counters.packets > 0 ? `dropped ${counters.packets} packets` : 'installed, nothing matched yet',
          counters: { packets: counters.packets, bytes: counters.bytes, readAt: counters.readAt },
        };
      },
    };
  },
});

function pct(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
