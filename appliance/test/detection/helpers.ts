// Shared by the detection tests: configurations built through the real schema (defaults filled, validated),
// scenarios run through the real path (sFlow encoder → decoder → FlowBatch writer → detector) on a simulated
// clock, and single hand-made FlowBatches.
import { validateConfig } from '../../src/config/load.js';
import type { AttackEvent } from '../../src/detection/attack.js';
import { Detector, type DetectorConfig } from '../../src/detection/detector.js';
import { FlowBatchWriter } from '../../src/intake/flow-batch-writer.js';
import { SflowDecoder } from '../../src/sflow/datagram-decoder.js';
import { FlowSpec, SflowEncoder } from '../../src/synthetic/sflow-encoder.js';
import { ScenarioRunner, type RunResult, type Scenario } from '../../src/synthetic/traffic-scenarios.js';

/** A Monday, 00:00 UTC: scenarios start here so season slots line up with days. */
export const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

type DeepPartial<T> = { [K in keyof T]?: T[K] extends (infer U)[] ? U[] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A detector configuration: the schema's defaults with `overrides` merged in; throws if it does not validate. */
export function detectionConfig(overrides: { networks?: string[]; hostGroups?: unknown[]; detection?: DeepPartial<DetectorConfig['detection']> } = {}): DetectorConfig {
  // Smaller tables than the appliance's defaults: tests create many detectors.
  const detection = { maxDestinations: 65536, maxBlocks: 8192, maxPromoted: 1024, ...(overrides.detection ?? {}) };
  const r = validateConfig({ networks: overrides.networks ?? ['198.51.100.0/24', '203.0.113.0/24', '2001:db8:100::/48'], hostGroups: overrides.hostGroups ?? [], detection });
  if (!r.ok) throw new Error(`test configuration invalid: ${r.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return { networks: r.config.networks, hostGroups: r.config.hostGroups, detection: r.config.detection };
}

/**
 * One static total threshold (default 20,000 pps: FastNetMon's threshold_pps default, the benchmarks'), every other
 * default threshold off, on 198.18.0.0/15: the configuration of the decision-rule tests.
 */
export function oneThreshold(extra: Record<string, unknown> = {}, threshold = 20_000): DetectorConfig {
  const base = detectionConfig({ detection: { baseline: { enabled: false } } });
  const off = (set: Record<string, unknown>) => Object.fromEntries(Object.keys(set).map((k) => [k, { pps: 0, bps: 0 }]));
  return detectionConfig({
    networks: ['198.18.0.0/15'],
    detection: {
      baseline: { enabled: false },
      thresholds: { ...off(base.detection.thresholds), total: { pps: threshold } },
      blockThresholds: off(base.detection.blockThresholds),
      quietSeconds: 2,
      ...extra,
    } as never,
  });
}

/** Compressed-time baseline settings: a "day" of 24 slots of 10 s, sub-windows of 10 s, a 60 s window. */
export function compressedBaseline(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    enabled: true,
    k: 3,
    warmupMinutes: 1,
    windowMinutes: 1,
    subWindowSeconds: 10,
    seasonSlotSeconds: 10,
    seasonSlots: 24,
    commitDelaySeconds: 2,
    // 2x per compressed "hour" (one 10 s sub-window), as the default is 2x per real hour.
    maxGrowthPerHour: 2 ** (3600 / 10),
    ...extra,
  };
}

export interface ScenarioRun {
  detector: Detector;
  events: AttackEvent[];
  result: RunResult;
  started: AttackEvent[];
  ended: AttackEvent[];
}

/** Runs a scenario from startAtMs through a detector (a new one unless given). */
export function runScenario(scenario: Scenario, config: DetectorConfig, options: { startAtMs?: number; detector?: Detector; events?: AttackEvent[] } = {}): ScenarioRun {
  const startAtMs = options.startAtMs ?? T0;
  const events = options.events ?? [];
  const detector = options.detector ?? new Detector({ config, epochMs: startAtMs - 60_000, emit: (e) => events.push(e) });
  const runner = new ScenarioRunner(scenario);
  const result = runner.run({ startAtMs, tickMs: config.detection.tickMs, sink: (b) => detector.consume(b), onTick: (t) => detector.tick(t) });
  return {
    detector,
    events,
    result,
    started: events.filter((e) => e.type === 'attack.started'),
    ended: events.filter((e) => e.type === 'attack.ended'),
  };
}

export interface HandSample {
  dst: string;
  src?: string;
  protocol?: number;
  srcPort?: number;
  dstPort?: number;
  tcpFlags?: number;
  frameLength?: number;
  samplingRate: number;
}

/** One FlowBatch holding one datagram from agent 100.64.0.1 + agent with the given samples, at timeMs. */
export function handBatch(samples: HandSample[], timeMs: number, agent = 0): Uint8Array {
  const encoder = new SflowEncoder();
  const decoder = new SflowDecoder();
  let out: Uint8Array | undefined;
  const writer = new FlowBatchWriter({ sink: (b) => (out = b.slice()) });
  encoder.begin({ agent: (((100 << 24) | (64 << 16)) + 1 + agent) >>> 0, subAgentId: 0, sequence: 1, uptimeMs: 1000 });
  const f = new FlowSpec();
  samples.forEach((s, i) => {
    f.sequence = i + 1;
    f.samplingRate = s.samplingRate;
    f.frameLength = s.frameLength ?? 100;
    f.protocol = s.protocol ?? 17;
    f.srcPort = s.srcPort ?? 40000;
    f.dstPort = s.dstPort ?? 53;
    f.tcpFlags = s.tcpFlags ?? 0;
    f.ipVersion = s.dst.includes(':') ? 6 : 4;
    if (f.ipVersion === 4) {
      f.dstV4 = v4(s.dst);
      f.srcV4 = v4(s.src ?? '100.64.1.1');
    } else {
      f.dstAddress6.set(v6(s.dst));
      f.srcAddress6.set(v6(s.src ?? '2001:db8:ffff::1'));
    }
    if (!encoder.addFlowSample(f)) throw new Error('too many samples for one datagram');
  });
  writer.beginDatagram(timeMs);
  const status = decoder.decode(encoder.datagram, writer);
  writer.endDatagram(decoder.header, status, encoder.length, decoder.lastFlowSamples, 0, 0, 0);
  writer.flush();
  return out!;
}

function v4(text: string): number {
  return text.split('.').reduce((a, o) => a * 256 + Number(o), 0) >>> 0;
}

function v6(text: string): Uint8Array {
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}
