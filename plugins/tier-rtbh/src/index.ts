// Tier 3, RTBH: blackholes the victim (RFC 7999). A host target becomes one /32 or /128 route carrying
// BLACKHOLE (65535:666), the appliance's configured RTBH communities and this tier's own (an upstream's
// blackhole community, say). A prefix target (carpet bombing) becomes host routes for the destinations hit
// most, or the whole prefix when the stage asks for it and its runbook allows wider RTBH. Guardrails
// (protected prefixes, prefix length, the RTBH quota) are the appliance's: a refusal fails the stage.
import { checkPluginConfig, defineTier, Type, type AttackRecord } from '@breakwater/sdk';

const Community = Type.String({ pattern: '^[0-9]{1,5}:[0-9]{1,5}$' });

const configSchema = Type.Object(
  {
    communities: Type.Array(Community, { default: [], maxItems: 8, description: 'Communities added to every route of this tier (besides 65535:666 and bgp.rtbh.communities).' }),
    maxHosts: Type.Integer({ minimum: 1, maximum: 256, default: 16, description: 'For a prefix target: most destinations blackholed, those hit most.' }),
    ttlSeconds: Type.Integer({ minimum: 60, maximum: 604_800, default: 1800, description: 'Route lifetime when the stage does not give one.' }),
  },
  { additionalProperties: false },
);

const stageSchema = Type.Object(
  {
    communities: Type.Array(Community, { default: [], maxItems: 8 }),
    prefixTargets: Type.Union([Type.Literal('top-hosts'), Type.Literal('whole-prefix')], { default: 'top-hosts' }),
  },
  { additionalProperties: false },
);

export default defineTier({
  name: '@breakwater/tier-rtbh',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    const announced = ctx.metrics.counter('routes_announced_total', 'RTBH routes announced');
    // The stage-settings validator is compiled now, at load (checkPluginConfig keeps it), rather than on the first
    // attack's path to its route: 15-40 ms of CPU when cold (bench/e2e).
    checkPluginConfig(stageSchema, {});
    return {
      async engage(attack, stage, signal) {
        const checked = checkPluginConfig(stageSchema, stage.settings ?? {});
        if (!checked.ok) throw new Error(`stage ${stage.name} settings: ${checked.problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
        const settings = checked.config;
        const prefixes = victims(attack, settings.prefixTargets, ctx.config.maxHosts);
        if (prefixes.length === 0) throw new Error(`no destination to blackhole for prefix target ${attack.target}: detection named none`);
        const communities = [...new Set([...ctx.config.communities, ...settings.communities])];
        const ttlSeconds = stage.ttlSeconds ?? ctx.config.ttlSeconds;
        const receipts: { id: string; expiresAt: number }[] = [];
        try {
          for (const prefix of prefixes) {
            receipts.push(await ctx.bgp.announceBlackhole(prefix, { attackId: attack.id, ttlSeconds, ...(communities.length > 0 ? { communities } : {}) }));
            if (signal.aborted) throw signal.reason;
          }
        } catch (err) {
          for (const r of receipts) await ctx.bgp.withdrawBlackhole(r.id).catch(() => false);
          throw err;
        }
        announced.inc(receipts.length);
        const routes = receipts.map((r) => r.id);
        ctx.log.info({ attack: attack.id, stage: stage.name, routes }, 'RTBH routes announced');
        return {
          id: routes.length === 1 ? routes[0]! : `rtbhset:${[...routes].sort().join(',')}`.slice(0, 480),
          summary: `RTBH ${prefixes.length === 1 ? prefixes[0] : `${prefixes.length} hosts of ${attack.target}`} with 65535:666${communities.length > 0 ? ` ${communities.join(' ')}` : ''}, ${ttlSeconds} s`,
          data: { routes, expiresAt: Math.min(...receipts.map((r) => r.expiresAt)) },
        };
      },

      async disengage(engagement) {
        const routes = Array.isArray(engagement.data?.routes) ? (engagement.data.routes as unknown[]).filter((r): r is string => typeof r === 'string') : [];
        for (const id of routes) {
          if (!(await ctx.bgp.withdrawBlackhole(id))) ctx.log.debug({ route: id }, 'route was already gone (expired or withdrawn)');
        }
      },

      verify(engagement) {
        const expiresAt = Number(engagement.data?.expiresAt ?? 0);
        return Date.now() < expiresAt ? { state: 'active' } : { state: 'gone', detail: 'the routes expired' };
      },
    };
  },
});

/** What to blackhole: the host, or for a prefix target its top destinations (or the prefix itself). */
export function victims(attack: AttackRecord, prefixTargets: 'top-hosts' | 'whole-prefix', maxHosts: number): string[] {
  if (attack.targetKind === 'host') return [hostRoute(attack.target)];
  if (prefixTargets === 'whole-prefix') return [attack.target];
  return attack.profile.topDestinations.slice(0, maxHosts).map((d) => hostRoute(d.key));
}

function hostRoute(address: string): string {
  return address.includes('/') ? address : `${address}/${address.includes(':') ? 128 : 32}`;
}
