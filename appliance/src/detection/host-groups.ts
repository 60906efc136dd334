// Host groups: named lists of prefixes whose destinations share thresholds. A destination belongs to the group of
// its longest matching prefix (IPv4 and IPv6 alike); destinations in `networks` but in no group's prefix belong
// to the root group "global", whose values are the `detection` section's. A group's unset values come from its
// parent (default: global), so a "customers-premium" group can override only the SYN threshold of "customers".
//
// Everything is resolved once at build time into flat arrays per group and subject kind (host, block, network,
// and the group's own aggregate: all its prefixes together, per address family)
// indexed by threshold key × metric, together with the group each value came from, so the tick reads numbers and
// a ThresholdCrossed names the group whose setting applied. A value of 0 switches an inherited limit off.
//
// checkHostGroups() is the semantic half of configuration validation (load.ts calls it): bad prefixes, host bits,
// unknown or cyclic parents, duplicate names and prefixes, each reported with its configuration path.
import type { ConfigProblem } from '../config/load.js';
import type { DetectionConfig, HostGroupConfig, ThresholdSetConfig } from '../config/detection-schema.js';
import { addressKey, hasHostBits, parseKeyPrefix, type ParsedKeyPrefix } from '../counting/address-key.js';
import { KEY_COUNT, KEY_TOTAL, THRESHOLD_KEYS } from '../counting/vector.js';

export const ROOT_GROUP = 'global';
export const METRICS = ['pps', 'bps', 'flows'] as const;
export type MetricName = (typeof METRICS)[number];
export const METRIC_COUNT = 3;
export const Metric = { pps: 0, bps: 1, flows: 2 } as const;
/** Subject kinds, in the order of counting's SubjectKind codes. */
export const SUBJECT_KINDS = ['host', 'block', 'network', 'group'] as const;
const KIND_COUNT = SUBJECT_KINDS.length;

export interface HostGroup {
  index: number;
  name: string;
  parent: number;
  prefixes: string[];
  /** Per subject kind (host, block, network, group aggregate): static thresholds [key × 3 + metric] (NaN = none) and the group index that set each. */
  staticValue: Float64Array[];
  staticFrom: Int16Array[];
  /** Per subject kind: floors of dynamic thresholds, same layout. */
  floorValue: Float64Array[];
  floorFrom: Int16Array[];
  baselineEnabled: boolean;
  k: number;
}

export interface ProtectedNetwork extends ParsedKeyPrefix {
  /** Group index (0 = global). */
  group: number;
}

export interface HostGroupsConfig {
  networks: string[];
  hostGroups: HostGroupConfig[];
  detection: Pick<DetectionConfig, 'thresholds' | 'blockThresholds' | 'networkThresholds' | 'groupThresholds' | 'baseline'>;
}

export class HostGroups {
  private readonly byName: Map<string, HostGroup>;

  private constructor(
    readonly groups: HostGroup[],
    /** Every protected prefix; a prefix's index is its network index in counting. */
    readonly networks: ProtectedNetwork[],
  ) {
    this.byName = new Map(groups.map((g) => [g.name, g]));
  }

  group(name: string): HostGroup | undefined {
    return this.byName.get(name);
  }

  /** Prefix texts of every protected network (for FlowSpec validation). */
  protectedPrefixes(): string[] {
    return this.networks.map((n) => n.text);
  }

  /** Builds from a configuration that passed checkHostGroups (throws on what it would have reported). */
  static fromConfig(config: HostGroupsConfig): HostGroups {
    const problems = checkHostGroups(config);
    if (problems.length > 0) throw new Error(`host groups: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    const d = config.detection;
    const root: HostGroup = {
      index: 0,
      name: ROOT_GROUP,
      parent: -1,
      prefixes: [...config.networks],
      staticValue: [],
      staticFrom: [],
      floorValue: [],
      floorFrom: [],
      baselineEnabled: d.baseline.enabled,
      k: d.baseline.k,
    };
    const ownStatic = [d.thresholds, d.blockThresholds, d.networkThresholds, d.groupThresholds];
    const ownFloor = [d.baseline.floor, d.baseline.blockFloor, d.baseline.networkFloor, d.baseline.groupFloor];
    for (let kind = 0; kind < KIND_COUNT; kind++) {
      const [sv, sf] = resolveSet(undefined, undefined, ownStatic[kind], 0);
      const [fv, ff] = resolveSet(undefined, undefined, ownFloor[kind], 0);
      root.staticValue.push(sv);
      root.staticFrom.push(sf);
      root.floorValue.push(fv);
      root.floorFrom.push(ff);
    }
    const groups: HostGroup[] = [root];
    const index = new Map<string, number>([[ROOT_GROUP, 0]]);
    config.hostGroups.forEach((g, i) => index.set(g.name, i + 1));
    // Resolve parents first: the configuration has no cycles (checked), so a depth-first order exists.
    const resolved = new Map<string, HostGroup>([[ROOT_GROUP, root]]);
    const resolve = (g: HostGroupConfig): HostGroup => {
      const done = resolved.get(g.name);
      if (done) return done;
      const parentName = g.parent ?? ROOT_GROUP;
      const parent = parentName === ROOT_GROUP ? root : resolve(config.hostGroups.find((h) => h.name === parentName)!);
      const gi = index.get(g.name)!;
      const own = [g.thresholds, g.blockThresholds, g.networkThresholds, g.groupThresholds];
      const floors = [g.baseline?.floor, g.baseline?.blockFloor, g.baseline?.networkFloor, g.baseline?.groupFloor];
      const group: HostGroup = {
        index: gi,
        name: g.name,
        parent: parent.index,
        prefixes: [...g.prefixes],
        staticValue: [],
        staticFrom: [],
        floorValue: [],
        floorFrom: [],
        baselineEnabled: g.baseline?.enabled ?? parent.baselineEnabled,
        k: g.baseline?.k ?? parent.k,
      };
      for (let kind = 0; kind < KIND_COUNT; kind++) {
        const [sv, sf] = resolveSet(parent.staticValue[kind], parent.staticFrom[kind], own[kind], gi);
        const [fv, ff] = resolveSet(parent.floorValue[kind], parent.floorFrom[kind], floors[kind], gi);
        group.staticValue.push(sv);
        group.staticFrom.push(sf);
        group.floorValue.push(fv);
        group.floorFrom.push(ff);
      }
      resolved.set(g.name, group);
      return group;
    };
    for (const g of config.hostGroups) groups[index.get(g.name)!] = resolve(g);

    const networks: ProtectedNetwork[] = [];
    const seen = new Map<string, number>();
    const addNetwork = (text: string, group: number): void => {
      const p = parseKeyPrefix(text)!;
      const at = seen.get(p.text);
      if (at !== undefined) {
        // A `networks` entry that a group lists too belongs to the group.
        if (group !== 0) networks[at]!.group = group;
        return;
      }
      seen.set(p.text, networks.length);
      networks.push({ ...p, group });
    };
    for (const g of config.hostGroups) for (const p of g.prefixes) addNetwork(p, index.get(g.name)!);
    for (const p of config.networks) addNetwork(p, 0);
    return new HostGroups(groups, networks);
  }
}

/** A group's values for one subject kind: the parent's, overwritten by its own (0 = off). */
function resolveSet(
  parentValue: Float64Array | undefined,
  parentFrom: Int16Array | undefined,
  own: ThresholdSetConfig | undefined,
  groupIndex: number,
): [Float64Array, Int16Array] {
  const value = parentValue ? Float64Array.from(parentValue) : new Float64Array(KEY_COUNT * 3).fill(Number.NaN);
  const from = parentFrom ? Int16Array.from(parentFrom) : new Int16Array(KEY_COUNT * 3).fill(-1);
  if (own) {
    for (const [key, limits] of Object.entries(own)) {
      const k = THRESHOLD_KEYS.indexOf(key as (typeof THRESHOLD_KEYS)[number]);
      if (k < 0) continue;
      METRICS.forEach((m, mi) => {
        const v = limits[m];
        if (v === undefined) return;
        value[k * 3 + mi] = v === 0 ? Number.NaN : v;
        from[k * 3 + mi] = groupIndex;
      });
    }
  }
  return [value, from];
}

/** Semantic checks of networks, host groups and detection settings, each problem with its path. */
export function checkHostGroups(config: HostGroupsConfig & { detection: Partial<DetectionConfig> }): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const prefixSeen = new Map<string, string>();
  const checkPrefix = (text: string, path: string, owner: string): void => {
    const p = parseKeyPrefix(text);
    if (!p) {
      problems.push({ path, message: `"${text}" is not an IPv4 or IPv6 prefix in address/length form` });
      return;
    }
    if (hasHostBits(text)) {
      problems.push({ path, message: `"${text}" has host bits set; did you mean ${p.text}?` });
      return;
    }
    const other = prefixSeen.get(p.text);
    if (other !== undefined && other !== ROOT_GROUP && owner !== ROOT_GROUP) {
      problems.push({ path, message: `${p.text} is already in host group "${other}"; a prefix belongs to one group` });
    }
    if (other === undefined || other === ROOT_GROUP) prefixSeen.set(p.text, owner);
  };
  config.hostGroups.forEach((g, i) => g.prefixes.forEach((p, j) => checkPrefix(p, `/hostGroups/${i}/prefixes/${j}`, g.name)));
  config.networks.forEach((p, i) => checkPrefix(p, `/networks/${i}`, ROOT_GROUP));

  const names = new Map<string, number>();
  config.hostGroups.forEach((g, i) => {
    if (g.name === ROOT_GROUP) problems.push({ path: `/hostGroups/${i}/name`, message: `"${ROOT_GROUP}" is the root group (the detection section); pick another name` });
    else if (names.has(g.name)) problems.push({ path: `/hostGroups/${i}/name`, message: `host group "${g.name}" is defined twice (also /hostGroups/${names.get(g.name)})` });
    else names.set(g.name, i);
  });
  config.hostGroups.forEach((g, i) => {
    if (g.parent !== undefined && g.parent !== ROOT_GROUP && !names.has(g.parent)) {
      problems.push({ path: `/hostGroups/${i}/parent`, message: `no host group named "${g.parent}" (known: ${[ROOT_GROUP, ...names.keys()].join(', ')})` });
    }
  });
  config.hostGroups.forEach((g, i) => {
    const chain = [g.name];
    let parent = g.parent;
    while (parent !== undefined && parent !== ROOT_GROUP && names.has(parent)) {
      if (chain.includes(parent)) {
        if (parent === g.name) problems.push({ path: `/hostGroups/${i}/parent`, message: `parents form a cycle: ${[...chain, parent].join(' → ')}` });
        break;
      }
      chain.push(parent);
      parent = config.hostGroups[names.get(parent)!]!.parent;
    }
  });

  const flowsOnlyTotal = (set: ThresholdSetConfig | undefined, path: string): void => {
    for (const [key, limits] of Object.entries(set ?? {})) {
      if (limits.flows !== undefined && key !== THRESHOLD_KEYS[KEY_TOTAL]) {
        problems.push({ path: `${path}/${key}/flows`, message: 'flows limits exist for the "total" key only (flows are not split by vector)' });
      }
    }
  };
  const d = config.detection;
  flowsOnlyTotal(d.thresholds, '/detection/thresholds');
  flowsOnlyTotal(d.blockThresholds, '/detection/blockThresholds');
  flowsOnlyTotal(d.networkThresholds, '/detection/networkThresholds');
  flowsOnlyTotal(d.groupThresholds, '/detection/groupThresholds');
  config.hostGroups.forEach((g, i) => {
    flowsOnlyTotal(g.thresholds, `/hostGroups/${i}/thresholds`);
    flowsOnlyTotal(g.blockThresholds, `/hostGroups/${i}/blockThresholds`);
    flowsOnlyTotal(g.networkThresholds, `/hostGroups/${i}/networkThresholds`);
    flowsOnlyTotal(g.groupThresholds, `/hostGroups/${i}/groupThresholds`);
  });

  if (d.tickMs !== undefined && d.windowMs !== undefined) {
    if (d.windowMs % d.tickMs !== 0) problems.push({ path: '/detection/windowMs', message: `must be a multiple of detection.tickMs (${d.tickMs})` });
    if (d.windowMs / d.tickMs > 64) problems.push({ path: '/detection/windowMs', message: 'at most 64 ticks per window' });
    if (d.fastWindowMs !== undefined && d.fastWindowMs > 0) {
      if (d.fastWindowMs % d.tickMs !== 0) problems.push({ path: '/detection/fastWindowMs', message: `must be a multiple of detection.tickMs (${d.tickMs})` });
      if (d.fastWindowMs >= d.windowMs) problems.push({ path: '/detection/fastWindowMs', message: 'must be shorter than detection.windowMs (or 0 to turn it off)' });
    }
    if (d.shortWindowMs !== undefined && d.shortWindowMs > 0) {
      if (d.shortWindowMs % d.tickMs !== 0) problems.push({ path: '/detection/shortWindowMs', message: `must be a multiple of detection.tickMs (${d.tickMs})` });
      if (d.shortWindowMs >= d.windowMs) problems.push({ path: '/detection/shortWindowMs', message: 'must be shorter than detection.windowMs (or 0 to turn it off)' });
    }
  }
  const b = d.baseline;
  if (b && (b.windowMinutes * 60) % b.subWindowSeconds !== 0) {
    problems.push({ path: '/detection/baseline/subWindowSeconds', message: `must divide the window (${b.windowMinutes} min) evenly` });
  }
  (d.samplingOverrides ?? []).forEach((o, i) => {
    try {
      addressKey(o.agent);
    } catch {
      problems.push({ path: `/detection/samplingOverrides/${i}/agent`, message: `"${o.agent}" is not an IPv4 or IPv6 address` });
    }
  });
  return problems;
}
