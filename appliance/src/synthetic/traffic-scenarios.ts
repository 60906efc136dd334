// Labeled traffic over time, as sFlow: a scenario is a set of traffic shapes (who sends what to whom, at what true
// packet rate over time, sampled at what rate by which exporter) and the attacks it contains. The runner steps a
// simulated clock, draws each shape's samples (a Poisson number per step: packet sampling is a Bernoulli trial
// per packet), encodes them as sFlow v5 datagrams per exporter, decodes them with the real decoder into the
// intake's FlowBatch writer, and hands every batch to a sink and every tick boundary to a clock callback. So a
// scenario exercises the same boundary as live traffic, with time under the caller's control — tests, the
// detection benchmark, and later replay and demos use it.
//
// Deterministic: the same scenario and seed give the same datagrams. Addresses come from documentation and
// benchmark ranges (192.0.2.0/24, 198.18.0.0/15, 198.51.100.0/24, 203.0.113.0/24, 100.64.0.0/10, 2001:db8::/32).
import { FlowBatchWriter } from '../intake/flow-batch-writer.js';
import { SflowDecoder } from '../sflow/datagram-decoder.js';
import { ipv4Bytes, ipv6Bytes } from './address-bytes.js';
import { FlowSpec, SflowEncoder } from './sflow-encoder.js';

/** True packets per second at a time (ms since the scenario's start). */
export type RateFn = (tMs: number) => number;

export const rate = {
  constant: (pps: number): RateFn => () => pps,
  /** Linear from `from` to `to` over [startMs, endMs], flat outside. */
  ramp: (from: number, to: number, startMs: number, endMs: number): RateFn => (t) =>
    t <= startMs ? from : t >= endMs ? to : from + ((to - from) * (t - startMs)) / (endMs - startMs),
  /** A day compressed into periodMs: lowest at t = 0 (night), highest half a period later. */
  diurnal: (low: number, high: number, periodMs: number): RateFn => (t) => low + ((high - low) * (1 - Math.cos((2 * Math.PI * t) / periodMs))) / 2,
  /** `before` until atMs, `after` from then on. */
  step: (before: number, after: number, atMs: number): RateFn => (t) => (t < atMs ? before : after),
  /** Product of two rate functions' shapes: base × factor(t) (factor is unitless). */
  scaled: (base: RateFn, factor: RateFn): RateFn => (t) => base(t) * factor(t),
};

export interface WeightedValue {
  value: number;
  weight: number;
}

export interface TrafficShape {
  name: string;
  /** One destination, or `hosts` addresses of a prefix (picked uniformly per packet). */
  to: string | { prefix: string; hosts: number; first?: number };
  /** Sources: `count` addresses from the prefix's first host on (uniform per packet). */
  from: { prefix: string; count: number };
  protocol: number;
  /** Source and destination ports: fixed values with weights, or "ephemeral" (1024..65535 uniformly). */
  srcPorts?: WeightedValue[] | 'ephemeral';
  dstPorts?: WeightedValue[] | 'ephemeral';
  /** TCP flag bytes with weights. */
  tcpFlags?: WeightedValue[];
  /** ICMP type (code 0). */
  icmpType?: number;
  /** Frame lengths on the wire (Ethernet, with FCS), with weights; a value can be a [min, max] range. */
  frameLengths: { length: number | [number, number]; weight: number }[];
  /** Share of packets that are later (non-first) fragments, 0..1 (IPv4 only). */
  laterFragments?: number;
  /** True packets per second over time. */
  rate: RateFn;
  /** Active during [startMs, endMs) of the scenario (default: all of it). */
  startMs?: number;
  endMs?: number;
  /** 1 in N sampling; the rate the exporter reports may differ (a mis-configured router). */
  samplingRate: number;
  reportedSamplingRate?: number;
  /** Exporter index (agent 100.64.0.1 + i). */
  agent?: number;
  /** Whether this shape is attack traffic (for labels and ground truth). */
  attack?: boolean;
}

/** An attack the scenario contains, and what detection should say about it. */
export interface AttackLabel {
  target: string;
  vector: string;
  startMs: number;
  endMs: number;
}

export interface Scenario {
  name: string;
  durationMs: number;
  shapes: TrafficShape[];
  attacks: AttackLabel[];
  seed?: number;
}

export interface RunOptions {
  /** Absolute time (ms since the epoch) of the scenario's t = 0. */
  startAtMs: number;
  /** Simulation step: samples are drawn and datagrams sent once per step. */
  stepMs?: number;
  tickMs?: number;
  /** Every FlowBatch (valid only during the call). */
  sink?: (batch: Uint8Array) => void;
  /** Every sFlow datagram with the time it leaves the exporter (valid only during the call): to send it over UDP. */
  onDatagram?: (datagram: Uint8Array, timeMs: number) => void;
  /** Called at each tick boundary with the absolute time, after the batches up to it were handed over. */
  onTick?: (nowMs: number) => void;
  /** Called after each step with the absolute time (e.g. to stop early). Return false to stop. */
  onStep?: (nowMs: number) => boolean | void;
  /** First attack sample time per shape name (filled in). */
  firstAttackSample?: Map<string, number>;
}

export interface RunResult {
  datagrams: number;
  samples: number;
  /** Samples per shape name. */
  samplesByShape: Map<string, number>;
  /** Absolute time of each attack shape's first sample. */
  firstAttackSample: Map<string, number>;
}

export const AGENT_BASE = ((100 << 24) | (64 << 16)) >>> 0;

/** Agent address of exporter i, as text (100.64.0.1 + i). */
export function agentAddress(i: number): string {
  const v = (AGENT_BASE + 1 + i) >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

interface Compiled {
  shape: TrafficShape;
  v6: boolean;
  dst: Uint8Array;
  dstHosts: number;
  dstFirst: number;
  src: Uint8Array;
  frameTotal: number;
  portTotals: [number, number];
  flagTotal: number;
  samples: number;
}

/** Adds n to the address bytes (big-endian) into out. */
function addressPlus(base: Uint8Array, n: number, out: Uint8Array): void {
  out.set(base);
  let carry = n;
  for (let i = base.length - 1; i >= 0 && carry > 0; i--) {
    const v = out[i]! + (carry & 0xff);
    out[i] = v & 0xff;
    carry = (carry >>> 8) + (v >>> 8);
  }
}

function addressBytes(text: string): Uint8Array {
  return text.includes(':') ? ipv6Bytes(text) : ipv4Bytes(text);
}

function prefixBase(prefix: string): Uint8Array {
  return addressBytes(prefix.split('/')[0]!);
}

export class ScenarioRunner {
  private rng: number;
  private readonly encoder = new SflowEncoder();
  private readonly decoder = new SflowDecoder();
  private readonly flow = new FlowSpec();
  private readonly scratch4 = new Uint8Array(4);
  private readonly sequences = new Map<number, number>();
  private readonly sampleSeq = new Map<number, number>();

  constructor(private readonly scenario: Scenario) {
    this.rng = (scenario.seed ?? 1) >>> 0 || 1;
  }

  run(options: RunOptions): RunResult {
    const stepMs = options.stepMs ?? 10;
    const tickMs = options.tickMs ?? 100;
    const compiled = this.scenario.shapes.map((s) => this.compile(s));
    const sink = options.sink;
    const writer = new FlowBatchWriter({ sink: sink ?? (() => {}), targetRecords: 1024 });
    const firstAttackSample = options.firstAttackSample ?? new Map<string, number>();
    const samplesByShape = new Map<string, number>();
    let datagrams = 0;
    let samples = 0;
    const byAgent = new Map<number, { c: Compiled; t: number }[]>();
    let nextTick = options.startAtMs + tickMs;
    for (let t = 0; t < this.scenario.durationMs; t += stepMs) {
      const now = options.startAtMs + t + stepMs;
      byAgent.clear();
      for (const c of compiled) {
        const s = c.shape;
        if (t < (s.startMs ?? 0) || t >= (s.endMs ?? Infinity)) continue;
        const mean = (s.rate(t + stepMs / 2) * stepMs) / 1000 / s.samplingRate;
        const n = this.poisson(mean);
        for (let i = 0; i < n; i++) {
          const at = options.startAtMs + t + this.random() * stepMs;
          const agent = s.agent ?? 0;
          let list = byAgent.get(agent);
          if (!list) byAgent.set(agent, (list = []));
          list.push({ c, t: at });
          if (s.attack) {
            const first = firstAttackSample.get(s.name);
            if (first === undefined || at < first) firstAttackSample.set(s.name, at);
          }
        }
      }
      for (const [agent, list] of byAgent) {
        list.sort((a, b) => a.t - b.t);
        for (let i = 0; i < list.length; ) {
          const seq = (this.sequences.get(agent) ?? 0) + 1;
          this.sequences.set(agent, seq);
          this.encoder.begin({ agent: (AGENT_BASE + 1 + agent) >>> 0, subAgentId: 0, sequence: seq, uptimeMs: 1000 + Math.floor(t) });
          let inDatagram = 0;
          while (i < list.length && inDatagram < 8) {
            const e = list[i]!;
            this.shapeSample(e.c, agent);
            if (!this.encoder.addFlowSample(this.flow)) break;
            e.c.samples++;
            samplesByShape.set(e.c.shape.name, (samplesByShape.get(e.c.shape.name) ?? 0) + 1);
            inDatagram++;
            i++;
          }
          // A datagram leaves the router when full or at the step's end (sFlow agents batch for a short while).
          const sentAt = inDatagram > 0 ? Math.max(list[i - 1]!.t, now - stepMs) : now;
          const msg = this.encoder.datagram;
          options.onDatagram?.(msg, Math.floor(sentAt));
          if (sink) {
            writer.beginDatagram(Math.floor(sentAt));
            const d = this.decoder;
            const status = d.decode(msg, writer);
            writer.endDatagram(d.header, status, msg.length, d.lastFlowSamples, d.lastCounterSamples, d.lastSkippedSamples, d.lastMalformedSamples);
          }
          datagrams++;
          samples += inDatagram;
        }
      }
      writer.flush();
      while (nextTick <= now) {
        options.onTick?.(nextTick);
        nextTick += tickMs;
      }
      if (options.onStep?.(now) === false) break;
    }
    writer.flush();
    return { datagrams, samples, samplesByShape, firstAttackSample };
  }

  private compile(s: TrafficShape): Compiled {
    const toText = typeof s.to === 'string' ? s.to : s.to.prefix;
    const v6 = toText.includes(':');
    const dst = typeof s.to === 'string' ? addressBytes(s.to) : prefixBase(s.to.prefix);
    const sum = (list: { weight: number }[] | undefined) => (list ?? []).reduce((a, b) => a + b.weight, 0);
    return {
      shape: s,
      v6,
      dst,
      dstHosts: typeof s.to === 'string' ? 1 : s.to.hosts,
      dstFirst: typeof s.to === 'string' ? 0 : s.to.first ?? 1,
      src: prefixBase(s.from.prefix),
      frameTotal: sum(s.frameLengths),
      portTotals: [s.srcPorts === 'ephemeral' ? 0 : sum(s.srcPorts), s.dstPorts === 'ephemeral' ? 0 : sum(s.dstPorts)],
      flagTotal: sum(s.tcpFlags),
      samples: 0,
    };
  }

  private pick(list: WeightedValue[] | 'ephemeral' | undefined, total: number): number {
    if (list === undefined) return 0;
    if (list === 'ephemeral') return 1024 + (this.nextInt() % 64512);
    let r = this.random() * total;
    for (const v of list) {
      r -= v.weight;
      if (r < 0) return v.value;
    }
    return list[list.length - 1]!.value;
  }

  private shapeSample(c: Compiled, agent: number): void {
    const s = c.shape;
    const f = this.flow;
    const key = agent;
    const seq = (this.sampleSeq.get(key) ?? 0) + 1;
    this.sampleSeq.set(key, seq);
    f.sequence = seq;
    f.sourceIdType = 0;
    f.sourceIdIndex = 1;
    f.samplingRate = s.reportedSamplingRate ?? s.samplingRate;
    f.samplePool = (seq * f.samplingRate) >>> 0;
    f.headerProtocol = 1;
    f.snapLength = 128;
    f.expanded = false;
    f.ipVersion = c.v6 ? 6 : 4;
    f.protocol = s.protocol;
    const dstIndex = c.dstHosts === 1 && typeof s.to === 'string' ? 0 : c.dstFirst + (this.nextInt() % c.dstHosts);
    const srcIndex = 1 + (this.nextInt() % Math.max(1, s.from.count));
    if (c.v6) {
      addressPlus(c.dst, dstIndex, f.dstAddress6);
      addressPlus(c.src, srcIndex, f.srcAddress6);
    } else {
      addressPlus(c.dst, dstIndex, this.scratch4);
      f.dstV4 = ((this.scratch4[0]! << 24) | (this.scratch4[1]! << 16) | (this.scratch4[2]! << 8) | this.scratch4[3]!) >>> 0;
      addressPlus(c.src, srcIndex, this.scratch4);
      f.srcV4 = ((this.scratch4[0]! << 24) | (this.scratch4[1]! << 16) | (this.scratch4[2]! << 8) | this.scratch4[3]!) >>> 0;
    }
    f.srcPort = this.pick(s.srcPorts, c.portTotals[0]);
    f.dstPort = this.pick(s.dstPorts, c.portTotals[1]);
    f.tcpFlags = s.tcpFlags ? this.pick(s.tcpFlags, c.flagTotal) : 0;
    f.icmpType = s.icmpType ?? 8;
    f.icmpCode = 0;
    let r = this.random() * c.frameTotal;
    let length = 1000;
    for (const fl of s.frameLengths) {
      r -= fl.weight;
      if (r < 0) {
        length = typeof fl.length === 'number' ? fl.length : fl.length[0] + (this.nextInt() % (fl.length[1] - fl.length[0] + 1));
        break;
      }
    }
    f.frameLength = Math.max(c.v6 ? 78 : 64, length);
    const later = !c.v6 && s.laterFragments !== undefined && this.random() < s.laterFragments;
    f.fragmentOffset = later ? 185 : 0;
    f.moreFragments = later;
    f.ttl = 64;
    f.dscp = 0;
    f.vlan = -1;
  }

  private poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.gaussian()));
    const l = Math.exp(-mean);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.random();
    } while (p > l);
    return k - 1;
  }

  private gaussian(): number {
    const u = Math.max(1e-12, this.random());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  private nextInt(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  private random(): number {
    return this.nextInt() / 4294967296;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Traffic building blocks: benign mixes and one shape per attack vector family.

type ShapeOverrides = Partial<TrafficShape> & Pick<TrafficShape, 'to' | 'rate' | 'samplingRate'>;

/** Inbound traffic of a busy HTTPS server: requests and ACKs from many clients, some SYNs and FINs. */
export function webServerTraffic(o: ShapeOverrides & { name?: string }): TrafficShape {
  return {
    name: 'web',
    from: { prefix: '100.64.0.0/10', count: 20000 },
    protocol: 6,
    srcPorts: 'ephemeral',
    dstPorts: [{ value: 443, weight: 85 }, { value: 80, weight: 15 }],
    tcpFlags: [
      { value: 0x10, weight: 60 },
      { value: 0x18, weight: 28 },
      { value: 0x02, weight: 6 },
      { value: 0x11, weight: 5 },
      { value: 0x04, weight: 1 },
    ],
    frameLengths: [
      { length: [64, 90], weight: 60 },
      { length: [200, 700], weight: 30 },
      { length: [1200, 1518], weight: 10 },
    ],
    ...o,
  };
}

/** DNS queries and answers, NTP and a little ICMP: a resolver-heavy host's benign UDP. */
export function udpServiceTraffic(o: ShapeOverrides & { name?: string }): TrafficShape {
  return {
    name: 'udp-services',
    from: { prefix: '100.64.0.0/10', count: 5000 },
    protocol: 17,
    srcPorts: 'ephemeral',
    dstPorts: [{ value: 53, weight: 70 }, { value: 123, weight: 10 }, { value: 443, weight: 20 }],
    frameLengths: [{ length: [70, 140], weight: 80 }, { length: [1200, 1350], weight: 20 }],
    ...o,
  };
}

export type AttackKind =
  | 'udp_flood'
  | 'syn_flood'
  | 'ack_rst_flood'
  | 'tcp_flood'
  | 'icmp_flood'
  | 'ip_fragments'
  | 'gre_flood'
  | 'dns_amplification'
  | 'ntp_amplification'
  | 'memcached_amplification'
  | 'ssdp_amplification'
  | 'cldap_amplification'
  | 'snmp_amplification'
  | 'chargen_amplification'
  | 'wsd_amplification';

const reflector = (port: number, lengths: [number, number]): Partial<TrafficShape> => ({
  protocol: 17,
  from: { prefix: '198.19.0.0/16', count: 3000 },
  srcPorts: [{ value: port, weight: 1 }],
  dstPorts: 'ephemeral',
  frameLengths: [{ length: lengths, weight: 1 }],
});

/** The traffic of one attack vector family (spoofed or reflected sources, the family's sizes and ports). */
export function attackTraffic(kind: AttackKind, o: ShapeOverrides & { name?: string }): TrafficShape {
  const spoofed = { from: { prefix: '100.96.0.0/11', count: 1_000_000 } };
  const base: Record<AttackKind, Partial<TrafficShape>> = {
    udp_flood: { ...spoofed, protocol: 17, srcPorts: 'ephemeral', dstPorts: 'ephemeral', frameLengths: [{ length: [64, 1200], weight: 1 }] },
    syn_flood: { ...spoofed, protocol: 6, srcPorts: 'ephemeral', dstPorts: [{ value: 443, weight: 1 }], tcpFlags: [{ value: 0x02, weight: 1 }], frameLengths: [{ length: [64, 78], weight: 1 }] },
    ack_rst_flood: { ...spoofed, protocol: 6, srcPorts: 'ephemeral', dstPorts: 'ephemeral', tcpFlags: [{ value: 0x10, weight: 1 }], frameLengths: [{ length: 64, weight: 1 }] },
    tcp_flood: { ...spoofed, protocol: 6, srcPorts: 'ephemeral', dstPorts: 'ephemeral', tcpFlags: [{ value: 0x12, weight: 1 }], frameLengths: [{ length: 64, weight: 1 }] },
    icmp_flood: { ...spoofed, protocol: 1, icmpType: 8, frameLengths: [{ length: [64, 1000], weight: 1 }] },
    ip_fragments: { ...spoofed, protocol: 17, srcPorts: 'ephemeral', dstPorts: 'ephemeral', laterFragments: 1, frameLengths: [{ length: [800, 1518], weight: 1 }] },
    gre_flood: { ...spoofed, protocol: 47, frameLengths: [{ length: [500, 1518], weight: 1 }] },
    dns_amplification: reflector(53, [1200, 1518]),
    ntp_amplification: reflector(123, [482, 490]),
    memcached_amplification: reflector(11211, [1400, 1518]),
    ssdp_amplification: reflector(1900, [300, 350]),
    cldap_amplification: reflector(389, [1400, 1518]),
    snmp_amplification: reflector(161, [900, 1500]),
    chargen_amplification: reflector(19, [100, 1100]),
    wsd_amplification: reflector(3702, [600, 1400]),
  };
  return { attack: true, ...(base[kind] as Omit<TrafficShape, 'name'>), name: o.name ?? kind, ...o } as TrafficShape;
}
