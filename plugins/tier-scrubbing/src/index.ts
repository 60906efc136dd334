// Tier 4, scrubbing diversion: moves the victim's traffic through a scrubbing service. Three providers, chosen
// per runbook stage (`settings.provider`): Cloudflare Magic Transit (on-demand advertisement of the BYOIP
// prefix holding the victim), a BGP diversion community (the covering prefix announced through the appliance's
// speaker with the communities the upstream acts on) and a signed webhook for any other provider. Each
// engagement is undone the same way it was made. The engagement id names the diverted prefix, so attacks on
// one prefix share one diversion and it is withdrawn when the last of them ends.
//
// Protected prefixes: the appliance refuses a divert stage for a target whose covering prefix overlaps one
// before this tier runs, and refuses a diversion route through ctx.bgp itself; the HTTP providers are
// reached with fetch, so those two checks are what guards them.
import { checkPluginConfig, defineTier, Type, type AttackRecord, type Engagement, type RunbookStage } from '@breakwater/sdk';
import { MagicTransit, MagicTransitSchema } from './magic-transit.js';
import { coveringPrefix } from './prefix.js';
import { WebhookSchema, postWebhook } from './webhook.js';

// Standard "ASN:VALUE" or large "GLOBAL:LOCAL1:LOCAL2" (RFC 8092); the appliance's speaker checks the ranges.
const Community = Type.String({ pattern: '^[0-9]{1,10}(:[0-9]{1,10}){1,2}$' });
const PrefixLengthIpv4 = (description: string) => Type.Integer({ minimum: 8, maximum: 32, description });
const PrefixLengthIpv6 = (description: string) => Type.Integer({ minimum: 16, maximum: 128, description });

const configSchema = Type.Object(
  {
    magicTransit: Type.Optional(MagicTransitSchema),
    bgpCommunity: Type.Optional(
      Type.Object(
        {
          communities: Type.Array(Community, {
            minItems: 1,
            maxItems: 16,
            description: 'Communities that make the upstream divert to scrubbing: standard "ASN:VALUE" or large "GLOBAL:LOCAL1:LOCAL2". The next hop is bgp.diversion\'s.',
          }),
          prefixLengthIpv4: Type.Integer({ minimum: 8, maximum: 32, default: 24, description: 'Length of the covering prefix announced for an IPv4 victim.' }),
          prefixLengthIpv6: Type.Integer({ minimum: 16, maximum: 128, default: 48, description: 'Length of the covering prefix announced for an IPv6 victim.' }),
        },
        { additionalProperties: false },
      ),
    ),
    webhook: Type.Optional(WebhookSchema),
    ttlSeconds: Type.Integer({ minimum: 60, maximum: 604_800, default: 3600, description: 'Diversion route lifetime when the stage does not give one.' }),
  },
  { additionalProperties: false },
);

const stageSchema = Type.Object(
  {
    provider: Type.Union([Type.Literal('magic-transit'), Type.Literal('bgp-community'), Type.Literal('webhook')]),
    // bgp-community only: this stage announces another length than bgpCommunity's (e.g. 32: the victim alone).
    prefixLengthIpv4: Type.Optional(PrefixLengthIpv4('bgp-community: covering prefix length for an IPv4 victim at this stage')),
    prefixLengthIpv6: Type.Optional(PrefixLengthIpv6('bgp-community: covering prefix length for an IPv6 victim at this stage')),
  },
  { additionalProperties: false },
);

export default defineTier({
  name: '@breakwater/tier-scrubbing',
  apiVersion: 1,
  configSchema,
  create(ctx) {
    const diversions = ctx.metrics.counter('diversions_total', 'diversions started');
    const magicTransit = ctx.config.magicTransit !== undefined ? new MagicTransit(ctx.config.magicTransit) : undefined;

    const settingsOf = (stage: RunbookStage) => {
      const checked = checkPluginConfig(stageSchema, stage.settings ?? {});
      if (!checked.ok) throw new Error(`stage ${stage.name} settings: ${checked.problems.map((p) => `${p.path} ${p.message}`).join('; ')} (provider: magic-transit, bgp-community or webhook)`);
      return checked.config;
    };
    const need = <T>(value: T | undefined, key: string): T => {
      if (value === undefined) throw new Error(`the ${key} provider is not configured (plugins.settings["@breakwater/tier-scrubbing"].config.${key})`);
      return value;
    };

    return {
      async engage(attack, stage, signal): Promise<Engagement> {
        const settings = settingsOf(stage);
        const provider = settings.provider;
        diversions.inc();
        if (provider === 'magic-transit') {
          const mt = need(magicTransit, 'magicTransit');
          const prefix = mt.prefixFor(attack.target);
          if (prefix === undefined) throw new Error(`no Magic Transit prefix configured holds ${attack.target}`);
          const advertised = await mt.advertise(prefix, true, signal);
          if (!advertised) throw new Error(`Cloudflare did not advertise ${prefix.cidr} (it reports advertised: false)`);
          ctx.log.info({ attack: attack.id, prefix: prefix.cidr }, 'Magic Transit advertisement on');
          return {
            id: `magic-transit:${prefix.prefixId}/${prefix.bgpPrefixId ?? 'status'}`,
            summary: `Magic Transit advertises ${prefix.cidr}: traffic to ${attack.target} is scrubbed by Cloudflare`,
            data: { provider, cidr: prefix.cidr, prefixId: prefix.prefixId, ...(prefix.bgpPrefixId !== undefined ? { bgpPrefixId: prefix.bgpPrefixId } : {}) },
          };
        }
        if (provider === 'bgp-community') {
          const cfg = need(ctx.config.bgpCommunity, 'bgpCommunity');
          const prefix = coveringPrefix(attack.target, settings.prefixLengthIpv4 ?? cfg.prefixLengthIpv4, settings.prefixLengthIpv6 ?? cfg.prefixLengthIpv6);
          const ttlSeconds = stage.ttlSeconds ?? ctx.config.ttlSeconds;
          const receipt = await ctx.bgp.announceDiversion(prefix, { attackId: attack.id, ttlSeconds, communities: cfg.communities });
          if (signal.aborted) {
            await ctx.bgp.withdrawDiversion(receipt.id);
            throw signal.reason;
          }
          return {
            id: receipt.id,
            summary: `diversion of ${prefix} with ${cfg.communities.join(' ')}, ${ttlSeconds} s`,
            data: { provider, prefix, expiresAt: receipt.expiresAt },
          };
        }
        const cfg = need(ctx.config.webhook, 'webhook');
        const prefix = coveringPrefix(attack.target, cfg.prefixLengthIpv4, cfg.prefixLengthIpv6);
        const id = `webhook:${prefix}`;
        await postWebhook(cfg, { version: 1, action: 'divert', reference: id, prefix, attack: attackView(attack), stage: { runbook: stage.runbook, name: stage.name, index: stage.index }, ttlSeconds: stage.ttlSeconds ?? ctx.config.ttlSeconds }, signal);
        return { id, summary: `scrubbing provider asked to divert ${prefix} (webhook)`, data: { provider, prefix, attackId: attack.id, target: attack.target } };
      },

      async disengage(engagement, attack, signal) {
        const provider = engagement.data?.provider;
        if (provider === 'magic-transit') {
          const mt = need(magicTransit, 'magicTransit');
          const prefix = { cidr: String(engagement.data?.cidr), prefixId: String(engagement.data?.prefixId), ...(engagement.data?.bgpPrefixId !== undefined ? { bgpPrefixId: String(engagement.data.bgpPrefixId) } : {}) };
          await mt.advertise(prefix, false, signal);
          return;
        }
        if (provider === 'bgp-community') {
          await ctx.bgp.withdrawDiversion(engagement.id);
          return;
        }
        const cfg = need(ctx.config.webhook, 'webhook');
        await postWebhook(cfg, { version: 1, action: 'withdraw', reference: engagement.id, prefix: engagement.data?.prefix, attack: { id: attack.id, target: attack.target } }, signal);
      },

      async verify(engagement, signal) {
        const provider = engagement.data?.provider;
        if (provider === 'magic-transit') {
          const mt = need(magicTransit, 'magicTransit');
          const prefix = { cidr: String(engagement.data?.cidr), prefixId: String(engagement.data?.prefixId), ...(engagement.data?.bgpPrefixId !== undefined ? { bgpPrefixId: String(engagement.data.bgpPrefixId) } : {}) };
          return (await mt.advertised(prefix, signal)) ? { state: 'active' } : { state: 'gone', detail: `Cloudflare no longer advertises ${prefix.cidr}` };
        }
        if (provider === 'bgp-community') {
          return Date.now() < Number(engagement.data?.expiresAt ?? 0) ? { state: 'active' } : { state: 'gone', detail: 'the diversion route expired' };
        }
        return { state: 'active', detail: 'the webhook provider reports no status; taken at its word' };
      },
    };
  },
});

function attackView(a: AttackRecord): Record<string, unknown> {
  return { id: a.id, target: a.target, targetKind: a.targetKind, vector: a.vector, severity: a.severity, confidence: a.confidence, startedAt: a.startedAt, rates: a.rates, peak: a.peak };
}
