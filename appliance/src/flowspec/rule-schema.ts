// The JSON shape of a FlowSpecRule as a TypeBox schema, for reading rules that arrive from outside (REST API
// bodies, plugin messages, stored state). It checks shape only: keys, types, enumerations, and no unknown
// keys anywhere. Ranges, prefixes and action combinations are validate.ts's job, so that each has its own
// error code. A compile-time check below keeps the schema and the hand-written types in rule.ts identical.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FlowSpecRule } from './rule.js';

const closed = { additionalProperties: false } as const;
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const FlowPrefixSchema = Type.Object(
  { prefix: Type.String(), offset: Type.Optional(Type.Number()) },
  closed,
);

export const NumericConditionSchema = Type.Object(
  { op: literals(['=', '!=', '<', '<=', '>', '>='] as const), value: Type.Number() },
  closed,
);
export const NumericMatchSchema = Type.Array(Type.Array(NumericConditionSchema));

const BitmaskModeSchema = literals(['any', 'all', 'none', 'not-all'] as const);
const bitmaskMatch = <T extends TSchema>(flag: T) =>
  Type.Array(Type.Array(Type.Object({ flags: Type.Array(flag), mode: BitmaskModeSchema }, closed)));

export const TcpFlagSchema = literals(['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'] as const);
export const FragmentFlagSchema = literals(['dont-fragment', 'is-fragment', 'first-fragment', 'last-fragment'] as const);

export const FlowSpecMatchSchema = Type.Object(
  {
    destination: FlowPrefixSchema,
    source: Type.Optional(FlowPrefixSchema),
    protocol: Type.Optional(NumericMatchSchema),
    port: Type.Optional(NumericMatchSchema),
    destinationPort: Type.Optional(NumericMatchSchema),
    sourcePort: Type.Optional(NumericMatchSchema),
    icmpType: Type.Optional(NumericMatchSchema),
    icmpCode: Type.Optional(NumericMatchSchema),
    tcpFlags: Type.Optional(bitmaskMatch(TcpFlagSchema)),
    packetLength: Type.Optional(NumericMatchSchema),
    dscp: Type.Optional(NumericMatchSchema),
    fragment: Type.Optional(bitmaskMatch(FragmentFlagSchema)),
    flowLabel: Type.Optional(NumericMatchSchema),
  },
  closed,
);

export const RouteTargetValueSchema = Type.Union([
  Type.Object({ format: Type.Literal('as2'), asn: Type.Number(), local: Type.Number() }, closed),
  Type.Object({ format: Type.Literal('as4'), asn: Type.Number(), local: Type.Number() }, closed),
  Type.Object({ format: Type.Literal('ip'), address: Type.String(), local: Type.Number() }, closed),
]);

/** One schema per action type, so a bad action is reported against its own type's fields. */
export const ActionSchemas = {
  discard: Type.Object({ type: Type.Literal('discard') }, closed),
  'rate-limit': Type.Object({ type: Type.Literal('rate-limit'), bytesPerSecond: Type.Number() }, closed),
  'rate-limit-packets': Type.Object({ type: Type.Literal('rate-limit-packets'), packetsPerSecond: Type.Number() }, closed),
  redirect: Type.Object({ type: Type.Literal('redirect'), target: RouteTargetValueSchema }, closed),
  'mark-dscp': Type.Object({ type: Type.Literal('mark-dscp'), dscp: Type.Number() }, closed),
  'traffic-action': Type.Object({ type: Type.Literal('traffic-action'), sample: Type.Boolean(), terminal: Type.Boolean() }, closed),
  community: Type.Object({ type: Type.Literal('community'), asn: Type.Number(), value: Type.Number() }, closed),
  'large-community': Type.Object(
    { type: Type.Literal('large-community'), global: Type.Number(), local1: Type.Number(), local2: Type.Number() },
    closed,
  ),
  'extended-community': Type.Object(
    { type: Type.Literal('extended-community'), kind: literals(['route-target', 'route-origin'] as const), value: RouteTargetValueSchema },
    closed,
  ),
} as const;

export const FlowSpecActionSchema = Type.Union(Object.values(ActionSchemas));

export const FlowSpecRuleSchema = Type.Object(
  {
    family: literals(['ipv4', 'ipv6'] as const),
    match: FlowSpecMatchSchema,
    actions: Type.Array(FlowSpecActionSchema),
  },
  closed,
);

// Both directions must hold: a drift between rule.ts and this schema is a compile error here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesModel: Same<Static<typeof FlowSpecRuleSchema>, FlowSpecRule> = true;
void schemaMatchesModel;
