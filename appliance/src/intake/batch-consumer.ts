// Applies FlowBatches, wherever they were decoded (in this thread, a receive thread or a decoder process):
// accounts each datagram to its agent (refusing agents past sflow.maxAgents), counts every drop reason, keeps
// sample/packet/byte totals, hands each flow record to the per-destination table when one is given, then calls
// the batch listeners (detection's counting) with the same bytes. Because all accounting happens here, totals
// and sequence loss are the same whether one thread decodes or several do. A listener that throws is counted
// and reported to onListenerError; it never reaches the receive loop, and the other listeners still run.
import { datagramStatusNames } from '../sflow/datagram-decoder.js';
import type { DestinationTable } from '../counting/destination-table.js';
import type { AgentState, AgentTable } from './agent-table.js';
import { BATCH_HEADER_BYTES, BatchViews, checkBatch, DatagramField, FlowField, RECORD_BYTES, RecordKind } from './flow-batch.js';

/** Drop reasons the intake adds to the decoder's DatagramStatus codes (codes from 200 up, never reused). */
export const IntakeDrop = {
  /** The agent would be one more than sflow.maxAgents. */
  unknownAgentLimit: 200,
  /** Longer than the receive slot (9216 bytes, a jumbo frame): cut by the kernel, so not decoded. */
  oversized: 202,
} as const;

const intakeDropNames: Record<number, string> = { [IntakeDrop.unknownAgentLimit]: 'unknown_agent_limit', [IntakeDrop.oversized]: 'oversized' };

/** Metric label of a drop reason code. */
export function dropReasonName(code: number): string {
  return datagramStatusNames[code] ?? intakeDropNames[code] ?? `status_${code}`;
}

/** Every drop reason, for reports that list zero counts too. */
export function allDropReasons(): string[] {
  return [...datagramStatusNames.slice(1), ...Object.values(intakeDropNames)];
}

/** Sees every applied batch, synchronously: it must copy what it keeps (the buffer is reused after it returns). */
export type BatchListener = (batch: Uint8Array) => void;

export class BatchConsumer {
  /** Datagrams dropped, by reason code (index). */
  readonly drops = new Float64Array(256);
  datagrams = 0;
  acceptedDatagrams = 0;
  flowSamples = 0;
  counterSamples = 0;
  skippedSamples = 0;
  malformedSamples = 0;
  /** Flow samples without an IP destination (non-IP frames): accounted, not counted per destination. */
  nonIpSamples = 0;
  batches = 0;
  /** Batches that failed checkBatch (a broken worker or transport); their contents are unknown. */
  rejectedBatches = 0;
  /** Estimated packets and bytes (sampling rate × 1, × frame length) of the IP flow samples applied. */
  packets = 0;
  bytes = 0;
  /** Batches on which a listener threw (each costs that listener that batch only). */
  listenerErrors = 0;
  private readonly listeners: BatchListener[] = [];
  private cachedBuffer: ArrayBufferLike | undefined;
  private cachedOffset = -1;
  private cachedViews: BatchViews | undefined;

  constructor(
    private readonly agents: AgentTable,
    /** Per-destination totals, when wanted (the appliance leaves it out: detection counts destinations). */
    private readonly destinations?: DestinationTable,
    private readonly onListenerError: (err: unknown) => void = () => {},
  ) {}

  /** Adds a listener called with every batch after it is applied. */
  addListener(listener: BatchListener): void {
    this.listeners.push(listener);
  }

  /** Applies one batch. Batches from outside this process should pass through consumeChecked(). */
  consume(bytes: Uint8Array): void {
    const views = this.viewsFor(bytes);
    const { u8, u16, u32 } = views;
    const count = views.count;
    const base = views.baseTimeMs;
    this.batches++;
    const destinations = this.destinations;
    let agent: AgentState | undefined;
    let now = base;
    let packets = 0;
    let byteSum = 0;
    for (let r = 0; r < count; r++) {
      const at = BATCH_HEADER_BYTES + r * RECORD_BYTES;
      const kind = u8[at]!;
      if (kind === RecordKind.flow) {
        // Flows of a refused datagram never reach here: refused datagrams are rejected before their flows.
        if (agent === undefined) continue;
        const rate = u32[(at + FlowField.samplingRate) >>> 2]!;
        agent.onFlowSample(u32[(at + FlowField.sourceId) >>> 2]!, u32[(at + FlowField.sequence) >>> 2]!, rate);
        this.flowSamples++;
        const family = u8[at + FlowField.ipVersion]!;
        if (family !== 4 && family !== 6) {
          this.nonIpSamples++;
          continue;
        }
        const sampleBytes = rate * u32[(at + FlowField.frameLength) >>> 2]!;
        packets += rate;
        byteSum += sampleBytes;
        if (destinations !== undefined) {
          const a = (at + FlowField.dstAddress) >>> 2;
          destinations.add(family, u32[a]!, u32[a + 1]!, u32[a + 2]!, u32[a + 3]!, rate, sampleBytes, now);
        }
      } else if (kind === RecordKind.datagram) {
        this.datagrams++;
        agent = undefined;
        now = base + u32[(at + DatagramField.timeOffsetMs) >>> 2]!;
        const status = u8[at + DatagramField.status]!;
        if (status !== 0) {
          this.drops[status]!++;
          continue;
        }
        agent = this.agents.lookup(u8[at + DatagramField.agentFamily]!, u8, at + DatagramField.agentAddress, u32[(at + DatagramField.subAgentId) >>> 2]!);
        if (agent === undefined) {
          this.drops[IntakeDrop.unknownAgentLimit]!++;
          continue;
        }
        this.acceptedDatagrams++;
        agent.onDatagram(u32[(at + DatagramField.sequence) >>> 2]!, u32[(at + DatagramField.uptimeMs) >>> 2]!, now);
        const counters = u16[(at + DatagramField.counterSamples) >>> 1]!;
        const skipped = u16[(at + DatagramField.skippedSamples) >>> 1]!;
        const malformed = u16[(at + DatagramField.malformedSamples) >>> 1]!;
        agent.counterSamples += counters;
        agent.skippedSamples += skipped;
        agent.malformedSamples += malformed;
        this.counterSamples += counters;
        this.skippedSamples += skipped;
        this.malformedSamples += malformed;
      }
    }
    this.packets += packets;
    this.bytes += byteSum;
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(bytes);
      } catch (err) {
        this.listenerErrors++;
        this.onListenerError(err);
      }
    }
  }

  /** Validates a batch that crossed a process boundary, then applies it; false if it was rejected. */
  consumeChecked(bytes: Uint8Array): boolean {
    const check = checkBatch(bytes);
    if (!check.ok) {
      this.rejectedBatches++;
      return false;
    }
    this.consume(bytes);
    return true;
  }

  /** Drop counts by reason name (zeros included), for reports. */
  dropReport(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of allDropReasons()) out[name] = 0;
    for (let code = 1; code < this.drops.length; code++) if (this.drops[code]! > 0) out[dropReasonName(code)] = this.drops[code]!;
    return out;
  }

  /** In-process the writer hands over the same buffer every time: reuse its views rather than make new ones. */
  private viewsFor(bytes: Uint8Array): BatchViews {
    if (this.cachedViews === undefined || bytes.buffer !== this.cachedBuffer || bytes.byteOffset !== this.cachedOffset) {
      this.cachedBuffer = bytes.buffer;
      this.cachedOffset = bytes.byteOffset;
      // Views over the rest of the buffer: later batches in the same buffer may be longer than this one.
      const length = (bytes.buffer.byteLength - bytes.byteOffset) & ~7;
      this.cachedViews = new BatchViews(bytes.buffer as ArrayBuffer, bytes.byteOffset, length);
    }
    return this.cachedViews;
  }
}
