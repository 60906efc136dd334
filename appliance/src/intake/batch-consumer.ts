// Applies FlowBatches, wherever they were decoded (in this process or in a decoder worker): accounts each
// datagram to its agent (refusing agents past sflow.maxAgents), counts every drop reason, and hands each flow
// record to the per-destination table. Because all accounting happens here, totals and sequence loss are the
// same whether one process decodes or several do.
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
  private cachedBuffer: ArrayBufferLike | undefined;
  private cachedOffset = -1;
  private cachedViews: BatchViews | undefined;

  constructor(
    private readonly agents: AgentTable,
    private readonly destinations: DestinationTable,
  ) {}

  /** Applies one batch. Batches from outside this process should pass through consumeChecked(). */
  consume(bytes: Uint8Array): void {
    const views = this.viewsFor(bytes);
    const { u8, u16, u32 } = views;
    const count = views.count;
    const base = views.baseTimeMs;
    this.batches++;
    let agent: AgentState | undefined;
    let now = base;
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
        const a = (at + FlowField.dstAddress) >>> 2;
        this.destinations.add(family, u32[a]!, u32[a + 1]!, u32[a + 2]!, u32[a + 3]!, rate, rate * u32[(at + FlowField.frameLength) >>> 2]!, now);
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
