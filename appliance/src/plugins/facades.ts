// The BGP and firewall facades as a plugin receives them. The implementations come from the caller (the
// mitigation engine); this module puts the plugin boundary in front of them: arguments are checked here, once
// (a FlowSpec rule's shape by the FlowSpec parser, lifetimes and ids by schema), and a plugin that was stopped
// can no longer announce anything, whatever timers it left behind.
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { BgpFacade, FirewallFacade, FirewallRule, MitigationOptions } from '@breakwater/sdk';
import { parseFlowSpecRule } from '../flowspec/parse-rule.js';
import { pluginError } from './plugin-error.js';

export interface TierFacades {
  bgp: BgpFacade;
  firewall: FirewallFacade;
}

/** The longest lifetime a plugin may ask for: a week. Longer-lived mitigation is an operator's decision. */
export const MAX_MITIGATION_TTL_SECONDS = 604_800;

const OptionsSchema = Type.Object(
  {
    attackId: Type.String({ minLength: 1, maxLength: 200 }),
    ttlSeconds: Type.Integer({ minimum: 1, maximum: MAX_MITIGATION_TTL_SECONDS }),
  },
  { additionalProperties: false },
);

const CommunitiesSchema = Type.Array(Type.String({ pattern: '^[0-9]{1,5}:[0-9]{1,5}$' }), { maxItems: 16 });

const BlackholeOptionsSchema = Type.Object(
  { ...OptionsSchema.properties, communities: Type.Optional(CommunitiesSchema) },
  { additionalProperties: false },
);

const DiversionOptionsSchema = Type.Object(
  { ...OptionsSchema.properties, communities: Type.Array(Type.String({ pattern: '^[0-9]{1,10}(:[0-9]{1,10}){1,2}$' }), { minItems: 1, maxItems: 16 }) },
  { additionalProperties: false },
);

const FirewallActionSchema = Type.Union([
  Type.Object({ type: Type.Literal('drop') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('rate-limit'), packetsPerSecond: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
]);

/** Wraps the caller's facades for one plugin. `signal` is the plugin's: once aborted, every call is refused. */
export function guardFacades(plugin: string, facades: TierFacades, signal: AbortSignal): TierFacades {
  const live = (what: string) => {
    if (signal.aborted) throw pluginError('BW_ERR_PLUGIN_UNAVAILABLE', plugin, 'stop', [plugin, what, 'the plugin was stopped']);
  };
  return {
    bgp: {
      async announceFlow(rule, options) {
        live('bgp.announceFlow');
        return facades.bgp.announceFlow(parseFlowSpecRule(rule), checkOptions(options));
      },
      async withdrawFlow(id) {
        live('bgp.withdrawFlow');
        return facades.bgp.withdrawFlow(checkId(id));
      },
      async announceBlackhole(prefix, options) {
        live('bgp.announceBlackhole');
        if (typeof prefix !== 'string' || prefix === '') throw new TypeError('announceBlackhole: prefix must be an address or host prefix');
        const checked = checkOptions(options, BlackholeOptionsSchema, '{ attackId, ttlSeconds, communities? }');
        return facades.bgp.announceBlackhole(prefix, { ...checked, ...(options.communities !== undefined ? { communities: [...options.communities] } : {}) });
      },
      async withdrawBlackhole(id) {
        live('bgp.withdrawBlackhole');
        return facades.bgp.withdrawBlackhole(checkId(id));
      },
      async announceDiversion(prefix, options) {
        live('bgp.announceDiversion');
        if (typeof prefix !== 'string' || prefix === '') throw new TypeError('announceDiversion: prefix must be the prefix covering the victim');
        const checked = checkOptions(options, DiversionOptionsSchema, '{ attackId, ttlSeconds, communities }');
        return facades.bgp.announceDiversion(prefix, { ...checked, communities: [...options.communities] });
      },
      async withdrawDiversion(id) {
        live('bgp.withdrawDiversion');
        return facades.bgp.withdrawDiversion(checkId(id));
      },
    },
    firewall: {
      async apply(rule, options) {
        live('firewall.apply');
        return facades.firewall.apply(checkFirewallRule(rule), checkOptions(options));
      },
      async remove(id) {
        live('firewall.remove');
        return facades.firewall.remove(checkId(id));
      },
      async counters(id) {
        live('firewall.counters');
        return facades.firewall.counters?.(checkId(id));
      },
    },
  };
}

/**
 * Facades that refuse every call, naming why. The appliance hands these to tiers until a BGP speaker or a
 * firewall is connected to plugins, and `breakwater plugins check` uses them so that checking a plugin can
 * never change the network.
 */
export function unconnectedFacades(plugin: string, reason: string): TierFacades {
  const refuse = (what: string) => async (): Promise<never> => {
    throw pluginError('BW_ERR_PLUGIN_UNAVAILABLE', plugin, 'engage', [plugin, what, reason]);
  };
  return {
    bgp: {
      announceFlow: refuse('bgp.announceFlow'),
      withdrawFlow: refuse('bgp.withdrawFlow'),
      announceBlackhole: refuse('bgp.announceBlackhole'),
      withdrawBlackhole: refuse('bgp.withdrawBlackhole'),
      announceDiversion: refuse('bgp.announceDiversion'),
      withdrawDiversion: refuse('bgp.withdrawDiversion'),
    },
    firewall: { apply: refuse('firewall.apply'), remove: refuse('firewall.remove') },
  };
}

function checkOptions(options: unknown, schema: TSchema = OptionsSchema, shape = '{ attackId, ttlSeconds }'): MitigationOptions {
  if (!Value.Check(schema, options)) {
    const first = [...Value.Errors(schema, options)][0];
    throw new TypeError(`MitigationOptions${first?.path ?? ''}: ${first?.message ?? 'invalid'} (${shape}, ttlSeconds 1..${MAX_MITIGATION_TTL_SECONDS})`);
  }
  const o = options as MitigationOptions;
  return { attackId: o.attackId, ttlSeconds: o.ttlSeconds };
}

function checkFirewallRule(rule: unknown): FirewallRule {
  const r = rule as Partial<FirewallRule> | null;
  if (typeof r !== 'object' || r === null || !Value.Check(FirewallActionSchema, r.action)) {
    throw new TypeError('firewall rule must be { match, action: { type: "drop" } | { type: "rate-limit", packetsPerSecond } }');
  }
  // The match is checked by the FlowSpec parser: a firewall rule matches what a FlowSpec rule can.
  const parsed = parseFlowSpecRule({ family: r.match?.destination?.prefix?.includes(':') ? 'ipv6' : 'ipv4', match: r.match, actions: [{ type: 'discard' }] });
  return { match: parsed.match, action: { ...r.action } as FirewallRule['action'] };
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id === '') throw new TypeError('the id must be the one from the receipt');
  return id;
}
