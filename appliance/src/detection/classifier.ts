// Classification: which vector family an over-threshold rate is, and how sure we are. The family is the one
// with the largest estimated rate among the vectors of the key that crossed (for "total", all of them); its
// confidence is its share of that key's traffic, discounted when few samples stand behind it. Blocks, configured
// prefixes and host-group aggregates are classified carpet_bombing, with the dominant family's vectors as the attack
// traffic (unless they look like a flash crowd: then tcp_flood with low confidence, as for a host).
//
// Flash-crowd policy (documented in docs/detection.md): a rise in TCP traffic to a host whose vector mix, packet
// sizes and destination ports match the host's traffic from before the rise, coming from many sources, is what a
// flash crowd (or a legitimate surge) looks like. It is still reported — it did cross the threshold — but as
// tcp_flood with confidence ≤ 0.3 and severity "low", and profile.flashCrowdLikely set, so runbooks can require a
// higher confidence before they act. Baselines keep learning during such an "attack" (a lasting legitimate rise
// becomes the new normal, within the growth limit), which they do not for confident attacks.
import { VECTOR_COUNT, Vector } from '../counting/vector.js';
import type { VectorFamily } from './attack.js';
import { SIZE_BUCKETS, type CompactSample } from './attack-profile.js';

export const FAMILY_OF_VECTOR: readonly VectorFamily[] = (() => {
  const f: VectorFamily[] = new Array<VectorFamily>(VECTOR_COUNT);
  f[Vector.tcpSyn] = 'syn_flood';
  f[Vector.tcpAck] = 'ack_rst_flood';
  f[Vector.tcpRst] = 'ack_rst_flood';
  f[Vector.tcpOther] = 'tcp_flood';
  f[Vector.udp] = 'udp_flood';
  f[Vector.dns] = 'dns_amplification';
  f[Vector.ntp] = 'ntp_amplification';
  f[Vector.memcached] = 'memcached_amplification';
  f[Vector.ssdp] = 'ssdp_amplification';
  f[Vector.cldap] = 'cldap_amplification';
  f[Vector.snmp] = 'snmp_amplification';
  f[Vector.chargen] = 'chargen_amplification';
  f[Vector.wsd] = 'wsd_amplification';
  f[Vector.amplificationOther] = 'udp_flood';
  f[Vector.icmp] = 'icmp_flood';
  f[Vector.fragments] = 'ip_fragments';
  f[Vector.gre] = 'gre_flood';
  f[Vector.otherIp] = 'ip_flood';
  return f;
})();

const TCP_FAMILIES = new Set<VectorFamily>(['syn_flood', 'ack_rst_flood', 'tcp_flood']);
const TCP_VECTOR_MASK = (1 << Vector.tcpSyn) | (1 << Vector.tcpAck) | (1 << Vector.tcpRst) | (1 << Vector.tcpOther);

/** Bitmask of the vectors of a family (tcp_flood during a flash crowd spans every TCP vector). */
export function familyVectorMask(family: VectorFamily): number {
  if (family === 'tcp_flood') return TCP_VECTOR_MASK;
  let mask = 0;
  for (let v = 0; v < VECTOR_COUNT; v++) if (FAMILY_OF_VECTOR[v] === family) mask |= 1 << v;
  return mask;
}

export interface ClassifyInput {
  prefixTarget: boolean;
  /** Vectors of the key that crossed (bitmask). */
  keyMask: number;
  /** Estimated packets per vector in the window, and samples per vector. */
  vectorPackets: Float64Array;
  vectorSamples: Float64Array;
  /** Samples of the window (any vector) and of the subject's benign traffic from before the onset. */
  recent: readonly CompactSample[];
  benign: readonly CompactSample[];
  /** Largest single source's share of the recent samples. */
  topSourceShare: number;
  /** A likely flash crowd is already open on the subject: judged with FLASH_CROWD_HOLD_DISTANCE (hysteresis). */
  flashCrowdOpen?: boolean;
}

export interface Classification {
  family: VectorFamily;
  /** The traffic family inside a carpet-bombing attack (same as family otherwise). */
  dominant: VectorFamily;
  /** Vectors whose traffic is this attack's (bitmask). */
  vectorMask: number;
  confidence: number;
  flashCrowdLikely: boolean;
}

export const FLASH_CROWD_MAX_DISTANCE = 0.3;
export const FLASH_CROWD_MAX_SOURCE_SHARE = 0.1;
export const FLASH_CROWD_CONFIDENCE = 0.3;
/**
 * While a likely flash crowd is open on the subject, its traffic is re-classified every tick against the same
 * benign reference; with a few dozen samples on each side the distances wander by ±0.1, so a looser bound holds
 * the verdict (hysteresis) instead of starting a confident attack on sampling noise. A flood on top of the crowd
 * that changes the mix by more than this is still its own attack.
 */
export const FLASH_CROWD_HOLD_DISTANCE = 0.45;

export function classify(input: ClassifyInput): Classification {
  const byFamily = new Map<VectorFamily, { packets: number; samples: number }>();
  for (let v = 0; v < VECTOR_COUNT; v++) {
    if (((input.keyMask >>> v) & 1) === 0) continue;
    const p = input.vectorPackets[v]!;
    const f = FAMILY_OF_VECTOR[v]!;
    const e = byFamily.get(f) ?? { packets: 0, samples: 0 };
    e.packets += p;
    e.samples += input.vectorSamples[v]!;
    byFamily.set(f, e);
  }
  let dominant: VectorFamily = 'ip_flood';
  let best = { packets: -1, samples: 0 };
  for (const [f, e] of byFamily) {
    if (e.packets > best.packets) {
      best = e;
      dominant = f;
    }
  }
  let confidence = familyConfidence(input.keyMask, exactFamilyMask(dominant), input.vectorPackets, input.vectorSamples);
  let family: VectorFamily = input.prefixTarget ? 'carpet_bombing' : dominant;
  let vectorMask = familyVectorMask(dominant);
  let flashCrowdLikely = false;
  // The same policy for prefixes (blocks, configured prefixes, host-group aggregates): a legitimate surge spread
  // over many hosts looks like one on a single host, and is not carpet bombing.
  if (TCP_FAMILIES.has(dominant) && looksLikeFlashCrowd(input)) {
    flashCrowdLikely = true;
    family = 'tcp_flood';
    vectorMask = TCP_VECTOR_MASK;
    confidence = Math.min(confidence, FLASH_CROWD_CONFIDENCE);
  }
  return { family, dominant, vectorMask, confidence: Math.round(confidence * 1000) / 1000, flashCrowdLikely };
}

/** The vectors that are this family and no other (tcp_flood: the "other TCP" vector only). */
export function exactFamilyMask(family: VectorFamily): number {
  let mask = 0;
  for (let v = 0; v < VECTOR_COUNT; v++) if (FAMILY_OF_VECTOR[v] === family) mask |= 1 << v;
  return mask;
}

/** The family whose familyVectorMask() is this mask (an attack's vectors; the dominant family of carpet bombing). */
export function familyOfVectorMask(mask: number): VectorFamily {
  if (mask === TCP_VECTOR_MASK) return 'tcp_flood';
  for (let v = 0; v < VECTOR_COUNT; v++) if (((mask >>> v) & 1) !== 0) return FAMILY_OF_VECTOR[v]!;
  return 'ip_flood';
}

/**
 * A family's confidence: its share of the key's estimated packets × n/(n + 4), n its samples (few samples, less
 * sure). classify() uses it at the start; the detector again at every attack.updated, on the whole window.
 */
export function familyConfidence(keyMask: number, familyMask: number, vectorPackets: Float64Array, vectorSamples: Float64Array): number {
  let keyPackets = 0;
  let packets = 0;
  let samples = 0;
  for (let v = 0; v < VECTOR_COUNT; v++) {
    if (((keyMask >>> v) & 1) === 0) continue;
    keyPackets += vectorPackets[v]!;
    if (((familyMask >>> v) & 1) === 0) continue;
    packets += vectorPackets[v]!;
    samples += vectorSamples[v]!;
  }
  const share = keyPackets > 0 ? packets / keyPackets : 0;
  return share * (samples / (samples + 4));
}

/** Same shape as before the rise (vectors, sizes, ports) and spread over many sources. */
export function looksLikeFlashCrowd(input: Pick<ClassifyInput, 'recent' | 'benign' | 'topSourceShare' | 'flashCrowdOpen'>): boolean {
  const { recent, benign } = input;
  if (recent.length < 16 || benign.length < 16) return false;
  if (input.topSourceShare > FLASH_CROWD_MAX_SOURCE_SHARE) return false;
  const distances = [
    totalVariation(recent, benign, (s) => s.vector),
    totalVariation(recent, benign, (s) => SIZE_BUCKETS.findIndex((b) => s.length <= b)),
    totalVariation(recent, benign, (s) => (s.protocol === 6 || s.protocol === 17 ? s.dstPort : -1), 8),
  ];
  const bound = input.flashCrowdOpen === true ? FLASH_CROWD_HOLD_DISTANCE : FLASH_CROWD_MAX_DISTANCE;
  return distances.every((d) => d <= bound);
}

/**
 * Total variation distance between two weighted distributions of a feature: ½ Σ |p - q|. With `topN`, only the
 * feature values most common in `b` are kept apart; the rest are lumped into one "other" value.
 */
export function totalVariation(a: readonly CompactSample[], b: readonly CompactSample[], feature: (s: CompactSample) => number, topN = 0): number {
  const dist = (samples: readonly CompactSample[]) => {
    const m = new Map<number, number>();
    let total = 0;
    for (const s of samples) {
      const k = feature(s);
      m.set(k, (m.get(k) ?? 0) + s.weight);
      total += s.weight;
    }
    return { m, total };
  };
  const da = dist(a);
  const db = dist(b);
  let keep: Set<number> | undefined;
  if (topN > 0) keep = new Set([...db.m.entries()].sort((x, y) => y[1] - x[1]).slice(0, topN).map(([k]) => k));
  const lump = (d: { m: Map<number, number>; total: number }) => {
    const out = new Map<number, number>();
    for (const [k, w] of d.m) {
      const key = keep && !keep.has(k) ? Number.NaN : k;
      out.set(key, (out.get(key) ?? 0) + w / d.total);
    }
    return out;
  };
  const pa = lump(da);
  const pb = lump(db);
  let sum = 0;
  for (const k of new Set([...pa.keys(), ...pb.keys()])) sum += Math.abs((pa.get(k) ?? 0) - (pb.get(k) ?? 0));
  return sum / 2;
}
