// Replay: runs the detection engine over a capture of sFlow datagrams (pcap or pcapng), with the engine's clock
// driven by the capture's own timestamps, as fast as the machine allows (or paced at a multiple of capture
// time). Datagrams are decoded into FlowBatches by the intake's own receive path (intake/datagram-receiver.ts,
// stamped with capture time instead of Date.now), and the engine (detection/detector.ts) is the one the appliance
// runs; so what replay raises is what the appliance would have raised with this configuration. The operator's
// tool for tuning thresholds.
//
// It touches nothing of the appliance's state: no data directory, no baselines file unless one is given (read
// only), no database. A datagram the decoder rejects, a frame that is not UDP, a packet out of order are
// counted, never fatal; a capture cut short ends the replay with what was read (the error is returned).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AttackRecord } from '../detection/attack.js';
import { loadBaselines } from '../detection/baseline-file.js';
import { Detector, type DetectorConfig } from '../detection/detector.js';
import { DatagramReceiver } from '../intake/datagram-receiver.js';
import { BATCH_HEADER_BYTES, DatagramField, HeaderField, RECORD_BYTES, RecordKind } from '../intake/flow-batch.js';
import { silentLogger } from '../log.js';
import { CapturedUdp, extractUdp, FrameStatus, frameStatusNames } from '../pcap/captured-udp.js';
import { PcapReader } from '../pcap/pcap-reader.js';
import { datagramStatusNames } from '../sflow/datagram-decoder.js';

export const DEFAULT_SFLOW_PORT = 6343;

/** Why a replayed attack ended: detection's reasons, or the capture ended while it was active. */
export type ReplayEndReason = 'quiet' | 'expired' | 'manual' | 'capture-end';

export interface ReplayedAttack {
  /** The record as detection last published it (at its end, or at the end of the capture). */
  attack: AttackRecord;
  endReason: ReplayEndReason;
}

export interface ReplayProgress {
  packets: number;
  datagrams: number;
  /** Capture time reached (ms since the epoch). */
  captureTimeMs: number;
  wallMs: number;
  attacksStarted: number;
}

export interface ReplayOptions {
  /** The capture's bytes (a file stream, stdin). */
  source: AsyncIterable<Uint8Array>;
  config: DetectorConfig;
  /** A baselines file (the appliance's DATADIR/baselines.bin format) to start from, read only. */
  baselinesFile?: string;
  /** Packets captured before this time (ms since the epoch) are skipped. */
  fromMs?: number;
  /** The UDP port(s) sFlow was captured on (default 6343), or 'any'. */
  port?: number | readonly number[] | 'any';
  /** 'max' (default): as fast as possible; a number: that many times capture speed. */
  speed?: 'max' | number;
  /** Called about once a second of wall time. */
  onProgress?: (p: ReplayProgress) => void;
}

export interface ReplaySummary {
  packets: number;
  /** Packets captured before `fromMs`. */
  skippedBeforeFrom: number;
  /** Frames that are not a whole UDP datagram, by reason (not_ip, not_udp, truncated, fragment, ...). */
  frames: Record<string, number>;
  /** UDP datagrams to other ports. */
  otherUdp: number;
  sflowDatagrams: number;
  datagramsOk: number;
  /** Datagrams the decoder rejected, by reason (malformed ones among them): counted, not fatal. */
  datagramsRejected: number;
  rejectedByReason: Record<string, number>;
  /** Packets whose timestamp is earlier than the capture time already reached (stamped with that time). */
  outOfOrder: number;
  /** What counting made of the samples (counted, unprotected, late, ...), from the engine's report. */
  samples: Record<string, number>;
  firstCaptureMs: number | null;
  lastCaptureMs: number | null;
  wallMs: number;
  ticks: number;
  /** Datagrams whose decoding threw (a bug, counted like the intake counts it): each cost only itself. */
  receiveErrors: number;
  /** Baseline entries read from `baselinesFile` (null: none given). */
  baselinesLoaded: number | null;
}

export interface ReplayResult {
  /** Every attack raised, in order of start. */
  attacks: ReplayedAttack[];
  summary: ReplaySummary;
  /** A capture that could not be read to its end (BW_ERR_PCAP_*): the results cover what came before. */
  error?: Error;
}

/** Baselines that could not be loaded: the replay does not start. */
export class ReplayBaselineError extends Error {}

/** Reads the flow-batch header's record count and every datagram record's decode status. */
function countDatagramStatuses(bytes: Uint8Array, byStatus: Float64Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(HeaderField.count, true);
  for (let r = 0; r < count; r++) {
    const at = BATCH_HEADER_BYTES + r * RECORD_BYTES;
    if (bytes[at + DatagramField.kind] === RecordKind.datagram) byStatus[bytes[at + DatagramField.status]!]!++;
  }
}

export async function replaySflow(options: ReplayOptions): Promise<ReplayResult> {
  const port = options.port ?? DEFAULT_SFLOW_PORT;
  const ports = port === 'any' ? undefined : new Set(typeof port === 'number' ? [port] : port);
  const speed = options.speed ?? 'max';
  const tickMs = options.config.detection.tickMs;
  const wallStart = performance.now();
  const summary: ReplaySummary = {
    packets: 0,
    skippedBeforeFrom: 0,
    frames: {},
    otherUdp: 0,
    sflowDatagrams: 0,
    datagramsOk: 0,
    datagramsRejected: 0,
    rejectedByReason: {},
    outOfOrder: 0,
    samples: {},
    firstCaptureMs: null,
    lastCaptureMs: null,
    wallMs: 0,
    ticks: 0,
    receiveErrors: 0,
    baselinesLoaded: null,
  };
  const ended: ReplayedAttack[] = [];
  const byStatus = new Float64Array(256);
  const framesByStatus = new Array<number>(frameStatusNames.length).fill(0);
  let detector: Detector | undefined;
  let receiver: DatagramReceiver | undefined;
  /** Capture time of the datagram being decoded: the receiver's clock. */
  let now = 0;
  let nextTickAt = 0;
  let lastProgress = wallStart;

  const start = async (firstMs: number): Promise<void> => {
    detector = new Detector({
      config: options.config,
      // As the appliance does at start: ticks count from a minute before the first datagram.
      epochMs: firstMs - 60_000,
      emit: (event) => {
        if (event.type === 'attack.ended') ended.push({ attack: event.attack, endReason: event.reason });
      },
    });
    if (options.baselinesFile !== undefined) {
      const loaded = await loadBaselines(options.baselinesFile, detector.baselines);
      if (!loaded.ok) throw new ReplayBaselineError(loaded.reason);
      summary.baselinesLoaded = loaded.entries;
    }
    const d = detector;
    receiver = new DatagramReceiver({
      log: silentLogger(),
      clock: () => now,
      sink: (batch) => {
        countDatagramStatuses(batch, byStatus);
        d.consume(batch);
      },
    });
    nextTickAt = (Math.floor(firstMs / tickMs) + 1) * tickMs;
  };

  /** Evaluates every tick that ended by `untilMs`, with what was decoded before it. */
  const tickUntil = (untilMs: number): void => {
    if (detector === undefined || receiver === undefined || nextTickAt > untilMs) return;
    receiver.flush();
    while (nextTickAt <= untilMs) {
      // As the live timer: one millisecond past the boundary, so the tick that just ended is complete.
      detector.tick(nextTickAt + 1);
      summary.ticks++;
      nextTickAt += tickMs;
    }
  };

  const udp = new CapturedUdp();
  const reader = new PcapReader(options.source);
  let error: Error | undefined;
  try {
    for await (const packet of reader) {
      summary.packets++;
      const at = packet.timestampSeconds * 1000 + packet.timestampNanos / 1e6;
      if (options.fromMs !== undefined && at < options.fromMs) {
        summary.skippedBeforeFrom++;
        continue;
      }
      const frameStatus = extractUdp(packet.data, packet.linkType, udp);
      if (frameStatus !== FrameStatus.ok) {
        framesByStatus[frameStatus]!++;
        continue;
      }
      if (ports !== undefined && !ports.has(udp.dstPort)) {
        summary.otherUdp++;
        continue;
      }
      summary.sflowDatagrams++;
      if (detector === undefined) {
        await start(at);
        summary.firstCaptureMs = at;
        now = at;
      }
      if (at < now) summary.outOfOrder++;
      else now = at;
      summary.lastCaptureMs = now;
      tickUntil(now);
      if (speed !== 'max') {
        const ahead = (now - summary.firstCaptureMs!) / speed - (performance.now() - wallStart);
        if (ahead > 1) await sleep(ahead);
      }
      receiver!.onMessage(packet.data.subarray(udp.payloadOffset, udp.payloadOffset + udp.payloadLength));
      if ((summary.sflowDatagrams & 1023) === 0 && options.onProgress !== undefined) {
        const wall = performance.now();
        if (wall - lastProgress >= 1000) {
          lastProgress = wall;
          options.onProgress({ packets: summary.packets, datagrams: summary.sflowDatagrams, captureTimeMs: now, wallMs: wall - wallStart, attacksStarted: detector!.tracker.started });
        }
      }
    }
  } catch (err) {
    if (err instanceof ReplayBaselineError) throw err;
    error = err as Error;
  }
  const attacks = [...ended];
  if (detector !== undefined && receiver !== undefined) {
    receiver.flush();
    tickUntil(now);
    for (const attack of detector.activeAttacks()) attacks.push({ attack, endReason: 'capture-end' });
    const samples = (detector.report().samples ?? {}) as Record<string, number>;
    summary.samples = { ...samples };
    summary.receiveErrors = receiver.handlerErrors;
  }
  attacks.sort((a, b) => a.attack.startedAt - b.attack.startedAt || a.attack.id.localeCompare(b.attack.id));
  byStatus.forEach((n, code) => {
    if (code === 0) summary.datagramsOk = n;
    else if (n > 0) {
      summary.datagramsRejected += n;
      summary.rejectedByReason[datagramStatusNames[code] ?? `status_${code}`] = n;
    }
  });
  framesByStatus.forEach((n, code) => n > 0 && (summary.frames[frameStatusNames[code]!] = n));
  summary.wallMs = performance.now() - wallStart;
  return error === undefined ? { attacks, summary } : { attacks, summary, error };
}
