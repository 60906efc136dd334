// The configuration of what Breakwater protects and how it detects attacks: `networks` (protected prefixes),
// `hostGroups` (lists of prefixes with their own thresholds, inheriting from a parent group and from the global
// defaults in `detection`) and `detection` (windows, thresholds, baselines, confidence, hysteresis, bounds).
// Part of the one TypeBox schema in schema.ts; semantic checks (prefix syntax, parents, cycles) are in
// detection/host-groups.ts and run from load.ts, so every problem is reported with its path.
import { Type, type Static } from '@sinclair/typebox';
import { THRESHOLD_KEYS } from '../counting/vector.js';

const Prefix = Type.String({
  description: 'address/length, IPv4 or IPv6',
  pattern: '^[0-9a-fA-F:.]+/[0-9]{1,3}$',
});

export const RateLimitsSchema = Type.Object(
  {
    pps: Type.Optional(Type.Number({ minimum: 0, description: 'estimated packets per second' })),
    bps: Type.Optional(Type.Number({ minimum: 0, description: 'estimated bits per second' })),
    flows: Type.Optional(Type.Number({ minimum: 0, description: 'estimated flows per second (total only)' })),
  },
  { additionalProperties: false },
);

const keyPattern = `^(${THRESHOLD_KEYS.join('|')})$`;

/** Limits per threshold key; keys not given inherit; a value of 0 switches an inherited limit off. */
function thresholdSet(description: string, defaults: Record<string, Static<typeof RateLimitsSchema>> | undefined) {
  return Type.Record(Type.String({ pattern: keyPattern }), RateLimitsSchema, {
    ...(defaults === undefined ? {} : { default: defaults }),
    additionalProperties: false,
    description: `${description} Keys: ${THRESHOLD_KEYS.join(', ')}; each {pps, bps, flows}.`,
  });
}

export type ThresholdSetConfig = Record<string, Static<typeof RateLimitsSchema>>;

const BaselineOverride = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    k: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    floor: Type.Optional(thresholdSet('Floors of dynamic host thresholds.', undefined)),
    blockFloor: Type.Optional(thresholdSet('Floors of dynamic block thresholds.', undefined)),
    networkFloor: Type.Optional(thresholdSet('Floors of dynamic prefix thresholds.', undefined)),
    groupFloor: Type.Optional(thresholdSet("Floors of dynamic thresholds of the group's aggregate (all its prefixes together, per address family).", undefined)),
  },
  { additionalProperties: false },
);

export const HostGroupSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$', description: 'unique name; "global" is the root' }),
    parent: Type.Optional(Type.String({ description: 'group this one inherits unset values from (default: global)' })),
    prefixes: Type.Array(Prefix, { minItems: 1 }),
    thresholds: Type.Optional(thresholdSet('Static thresholds per destination address.', undefined)),
    blockThresholds: Type.Optional(thresholdSet('Static thresholds per /24 or /64 block.', undefined)),
    networkThresholds: Type.Optional(thresholdSet("Static thresholds per prefix of this group's list.", undefined)),
    groupThresholds: Type.Optional(
      thresholdSet("Static thresholds of the group's aggregate: every prefix of its list together, per address family (carpet bombing spread over the whole group).", undefined),
    ),
    baseline: Type.Optional(BaselineOverride),
  },
  { additionalProperties: false },
);

export type HostGroupConfig = Static<typeof HostGroupSchema>;

export const NetworksSchema = Type.Array(Prefix, {
  default: [],
  description: 'Protected prefixes (IPv4 and IPv6). Host-group prefixes are protected too. Traffic to other destinations is not tracked.',
});

export const HostGroupsSchema = Type.Array(HostGroupSchema, {
  default: [],
  description: 'Host groups: {name, parent?, prefixes, thresholds?, blockThresholds?, networkThresholds?, groupThresholds?, baseline?}; a destination belongs to the group of its longest matching prefix. See "Host groups" above.',
});

const SamplingOverride = Type.Object(
  {
    agent: Type.String({ description: 'sFlow agent address' }),
    rate: Type.Integer({ minimum: 1, description: 'sampling rate (1 in N) to use instead of the reported one' }),
  },
  { additionalProperties: false },
);

export const BaselineSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Learn per-destination baselines and use max(floor, k × baseline) after the warm-up.' }),
    k: Type.Number({ default: 3, exclusiveMinimum: 0, description: 'Dynamic threshold = max(floor, k × baseline p99).' }),
    floor: thresholdSet('Lowest dynamic threshold per destination; a (key, metric) without a floor keeps its static threshold.', {
      total: { pps: 20000, bps: 200e6 },
      syn: { pps: 5000 },
      ack: { pps: 20000 },
      rst: { pps: 5000 },
      udp: { pps: 10000, bps: 100e6 },
      amplification: { pps: 5000, bps: 50e6 },
      icmp: { pps: 5000 },
      fragments: { pps: 5000 },
    }),
    blockFloor: thresholdSet('Lowest dynamic threshold per /24 or /64 block.', { total: { pps: 100000, bps: 1e9 } }),
    networkFloor: thresholdSet('Lowest dynamic threshold per configured prefix.', {}),
    groupFloor: thresholdSet("Lowest dynamic threshold of a host group's aggregate (per address family).", {}),
    warmupMinutes: Type.Number({ default: 60, minimum: 0, description: 'Static thresholds rule until baselines have learned this long (counted across restarts).' }),
    windowMinutes: Type.Integer({ default: 60, minimum: 1, description: 'Sliding window of the recent p99.' }),
    subWindowSeconds: Type.Integer({ default: 300, minimum: 2, description: 'The window is kept as sub-windows of this length; the newest (open) one never counts.' }),
    seasonSlotSeconds: Type.Integer({ default: 3600, minimum: 1, description: 'Length of a time-of-day slot.' }),
    seasonSlots: Type.Integer({ default: 168, minimum: 1, maximum: 2016, description: 'Slots per cycle (168 hours = one week): blending uses the same slot one cycle earlier.' }),
    timeOfDayWeight: Type.Number({ default: 0.5, minimum: 0, maximum: 1, description: 'Weight of the same slot one cycle earlier in the blend with the recent p99.' }),
    maxGrowthPerHour: Type.Number({ default: 2, minimum: 1, description: 'Fastest a baseline may rise (factor per hour), so a slow ramp is not learned.' }),
    commitDelaySeconds: Type.Integer({ default: 10, minimum: 0, maximum: 300, description: 'A second is learned only this much later; dropped if an attack starts meanwhile.' }),
    maxEntries: Type.Integer({ default: 16384, minimum: 1, description: 'Most (subject, key) baselines kept; least recently seen evicted first.' }),
    saveIntervalSeconds: Type.Integer({ default: 300, minimum: 10, description: 'How often baselines are written to <dataDir>/baselines.bin (and at stop).' }),
  },
  { default: {}, additionalProperties: false },
);

export const DetectionSchema = Type.Object(
  {
    thread: Type.Union([Type.Literal('auto'), Type.Boolean()], {
      default: 'auto',
      description:
        'Run detection (counting, ticks, baselines) in a worker thread of its own, fed the FlowBatches the intake applied and answering in plain messages, so the main thread keeps the intake hand-over, the API and mitigation. "auto": on when the machine has at least two cores. false: on the main thread.',
    }),
    tickMs: Type.Integer({ default: 100, minimum: 10, maximum: 1000, description: 'Detection runs every tick; windows are whole ticks.' }),
    windowMs: Type.Integer({ default: 1000, minimum: 100, maximum: 10000, description: 'Sliding window of rates (a multiple of tickMs).' }),
    fastWindowMs: Type.Integer({ default: 500, minimum: 0, maximum: 10000, description: 'A shorter window also checked (the same rule at fastConfidence), for quicker onset; 0 = off.' }),
    shortWindowMs: Type.Integer({ default: 300, minimum: 0, maximum: 10000, description: 'A third, shortest window (at shortConfidence): big floods decide on it; 0 = off.' }),
    confidence: Type.Number({
      default: 0.999,
      minimum: 0.5,
      maximum: 0.99999,
      description: 'One-sided confidence, per look (each tick), that the sampled rate over the main window is above the threshold. Higher: fewer false alarms near the threshold, later detection of small floods (docs/detection.md has the trade-off).',
    }),
    fastConfidence: Type.Number({ default: 0.9999, minimum: 0.5, maximum: 0.99999, description: 'The same, over the fast window (fewer samples, more looks that could be wrong: stricter).' }),
    shortConfidence: Type.Number({ default: 0.9999, minimum: 0.5, maximum: 0.99999, description: 'The same, over the short window.' }),
    quietConfidence: Type.Number({
      default: 0.95,
      minimum: 0,
      maximum: 0.99999,
      description:
        'Quiet-before rule: a packets/s threshold of a subject whose slow rate (the average over quietBeforeSeconds of the time before its windows) is at most quietFraction of the threshold is also tested at this looser confidence on all three windows (a fresh victim is decided sooner; docs/detection.md). 0 turns the rule off.',
    }),
    quietFraction: Type.Number({ default: 0.25, minimum: 0, maximum: 1, description: 'Quiet-before rule: the largest slow rate, as a fraction of the threshold, that counts as quiet before. 0 turns the rule off.' }),
    quietBeforeSeconds: Type.Number({ default: 10, minimum: 1, maximum: 600, description: "Quiet-before rule: time constant of each subject's slow rate (an exponential average of the traffic older than the window)." }),
    minSamples: Type.Integer({ default: 8, minimum: 1, description: 'Fewest samples in the window for an alert.' }),
    promoteFraction: Type.Number({ default: 0.5, exclusiveMinimum: 0, maximum: 1, description: 'Destinations above this fraction of their lowest threshold get per-vector detail.' }),
    endFraction: Type.Number({ default: 0.5, exclusiveMinimum: 0, maximum: 1, description: 'Hysteresis: an attack is quiet while below this fraction of its threshold.' }),
    quietSeconds: Type.Number({ default: 15, minimum: 0.1, description: 'An attack ends after being quiet this long.' }),
    updateIntervalMs: Type.Integer({ default: 1000, minimum: 100, description: 'Most often attack.updated is sent per attack.' }),
    blockPrefixLength: Type.Object(
      {
        ipv4: Type.Integer({ default: 24, minimum: 8, maximum: 32, description: 'IPv4 block length for carpet-bombing aggregates.' }),
        ipv6: Type.Integer({ default: 64, minimum: 16, maximum: 128, description: 'IPv6 block length for carpet-bombing aggregates.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    carpetMaxHostShare: Type.Number({ default: 0.5, minimum: 0, maximum: 1, description: 'A block or prefix is carpet-bombed only if no single host has more than this share.' }),
    maxDestinations: Type.Integer({ default: 1048576, minimum: 16, description: 'Destinations tracked at once (128 bytes each); idle ones are evicted.' }),
    maxBlocks: Type.Integer({ default: 131072, minimum: 16, description: 'Blocks (/24, /64) tracked at once.' }),
    maxPromoted: Type.Integer({ default: 4096, minimum: 16, description: 'Subjects with per-vector detail at once (~10 KB each, allocated at start).' }),
    idleEvictSeconds: Type.Integer({ default: 120, minimum: 5, description: 'Destinations without traffic this long are forgotten.' }),
    samplingOverrides: Type.Array(SamplingOverride, { default: [], description: 'Per-exporter sampling rates: [{agent, rate}] replaces the rate an agent reports.' }),
    thresholds: thresholdSet('Global static thresholds per destination address (host groups inherit them).', {
      total: { pps: 200000, bps: 2e9 },
      syn: { pps: 20000 },
      ack: { pps: 100000 },
      rst: { pps: 20000 },
      udp: { pps: 100000, bps: 1e9 },
      amplification: { pps: 20000, bps: 500e6 },
      memcached: { pps: 5000 },
      icmp: { pps: 20000 },
      fragments: { pps: 20000 },
      gre: { pps: 50000 },
    }),
    blockThresholds: thresholdSet('Global static thresholds per /24 (IPv4) or /64 (IPv6) block.', {
      total: { pps: 1000000, bps: 10e9 },
      amplification: { pps: 100000 },
    }),
    networkThresholds: thresholdSet('Global static thresholds per configured prefix (networks and host-group prefixes).', {}),
    groupThresholds: thresholdSet(
      'Global static thresholds of each host group\'s aggregate (all its prefixes together, per address family; the root group "global" is the `networks` outside every group). Empty by default: group sizes differ too much for one default.',
      {},
    ),
    baseline: BaselineSchema,
  },
  { default: {}, additionalProperties: false },
);

export type DetectionConfig = Static<typeof DetectionSchema>;
export type BaselineConfig = Static<typeof BaselineSchema>;
