// The attack record and its lifecycle events: the message detection hands to everything downstream (runbook
// engine, attack history, notifiers, the panel). Plain JSON-serialisable data, so that it can cross a process
// or machine boundary (NATS JetStream subjects `attack.started` etc.) unchanged. This module owns only the types.
// They live in the SDK because notifier and tier plugins receive them; the appliance re-exports them from
// appliance/src/detection/attack.ts.
import type { FlowSpecMatch } from './flowspec-rule.js';

/** The vector families Breakwater classifies. Amplification families are named after the reflected service. */
export const VECTOR_FAMILIES = [
  'udp_flood',
  'syn_flood',
  'ack_rst_flood',
  'tcp_flood',
  'icmp_flood',
  'ip_fragments',
  'gre_flood',
  'dns_amplification',
  'ntp_amplification',
  'memcached_amplification',
  'ssdp_amplification',
  'cldap_amplification',
  'snmp_amplification',
  'chargen_amplification',
  'wsd_amplification',
  'carpet_bombing',
  /** A flood of an IP protocol other than TCP, UDP, ICMP and GRE (ESP, SCTP, ...). */
  'ip_flood',
] as const;

export type VectorFamily = (typeof VECTOR_FAMILIES)[number];

/** Which rate crossed its threshold. */
export type RateMetric = 'pps' | 'bps' | 'flows';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface Rates {
  /** Estimated packets per second (sampled packets × their sampling rate). */
  pps: number;
  /** Estimated bits per second. */
  bps: number;
  /** Estimated distinct flows per second, where measured. */
  flows?: number;
}

export interface ThresholdCrossed {
  metric: RateMetric;
  /** The threshold key whose rate crossed: "total", "syn", "dns", "amplification", ... (counting/vector.ts). */
  key: string;
  /** The threshold that was crossed, in the metric's unit. */
  value: number;
  /**
   * static: a host group's or the global setting; baseline: k × the target's baseline p99; floor: the baseline
   * rule's floor, which was higher than k × baseline.
   */
  source: 'static' | 'baseline' | 'floor';
  /** The host group whose setting applied (after inheritance; "global" for the detection section). */
  hostGroup: string;
  /** The rate measured when the attack started, and its lower confidence bound (both in the metric's unit). */
  measured: number;
  lowerBound: number;
  /** The window that showed it: the main window or the shorter fast one (ms). */
  windowMs: number;
  /**
   * Which decision rule decided: `steady`, the strict confidences that hold for any subject; `quiet`, the looser
   * quiet-before confidence for a subject whose rate before its windows was far below the threshold (detection's
   * docs). Absent on records from before the rule existed.
   */
  rule?: 'quiet' | 'steady';
}

/** A share of the attack's estimated traffic. */
export interface Share<K> {
  key: K;
  /** Fraction of the attack's estimated packets, 0..1. */
  share: number;
  pps: number;
}

export interface AttackProfile {
  /** Traffic vectors (counting/vector.ts names) of the attack traffic, by share. */
  vectors: Share<string>[];
  /** For a prefix target (carpet bombing): the destinations hit most, by share. */
  topDestinations: Share<string>[];
  topSources: Share<string>[];
  topSourcePorts: Share<number>[];
  topDestinationPorts: Share<number>[];
  protocols: Share<number>[];
  /** Packet-size histogram: bucket upper bounds in bytes (IP length) with shares. */
  packetSizes: Share<number>[];
  /** TCP flag combinations (the flags byte) with shares. */
  tcpFlags: Share<number>[];
  /**
   * The traffic looks like a flash crowd: its mix of vectors, ports and packet sizes matches the target's
   * traffic from before the rise, from many sources. Such attacks are tcp_flood with low confidence.
   */
  flashCrowdLikely: boolean;
}

/**
 * The narrowest FlowSpec-expressible match that covers the attack: a destination /32 or /128 (or the prefix,
 * for carpet bombing), protocol, ports, packet-length range, fragment bits, TCP flags, and source prefixes
 * when the attack comes from few sources. `coverage` and `collateral` are what make it safe to act on.
 */
export interface MitigationSignature {
  match: FlowSpecMatch;
  /** Fraction of the attack's estimated traffic the match covers (target ≥ 0.95). */
  coverage: number;
  /** Fraction of the destination's baseline (pre-attack) traffic the match would also drop (target ≤ 0.05). */
  collateral: number;
  /** Sampled packets the coverage and the collateral were measured on (0 benign samples: none seen before). */
  attackSamples: number;
  benignSamples: number;
}

export interface AttackRecord {
  /** Stable id, sortable by start time. */
  id: string;
  /** The victim: an address ("203.0.113.10", "2001:db8::1"), or a prefix for carpet bombing. */
  target: string;
  targetKind: 'host' | 'prefix';
  ipVersion: 4 | 6;
  hostGroup: string;
  vector: VectorFamily;
  /** Classification confidence, 0..1. */
  confidence: number;
  severity: Severity;
  /** ms since the epoch (the detection clock: wall time live, capture time in replay). */
  firstSampleAt: number;
  startedAt: number;
  /** startedAt - firstSampleAt: how long detection took from the first attack sample. */
  detectionLatencyMs: number;
  updatedAt: number;
  endedAt?: number;
  threshold: ThresholdCrossed;
  /** Current estimated rates of the attack traffic (the vector's share of traffic to the target). */
  rates: Rates;
  peak: Rates;
  /** The target's baseline before the attack (frozen while the attack lasts), where one exists. */
  baseline?: Rates;
  /** Sampled packets counted into this attack, and the sampling rates they came at. */
  samples: number;
  samplingRates: number[];
  profile: AttackProfile;
  signature: MitigationSignature;
}

export type AttackEvent =
  | { type: 'attack.started'; attack: AttackRecord }
  | { type: 'attack.updated'; attack: AttackRecord }
  | { type: 'attack.ended'; attack: AttackRecord; reason: 'quiet' | 'expired' | 'manual' };

export type AttackEventType = AttackEvent['type'];
