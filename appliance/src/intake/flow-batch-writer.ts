// Fills FlowBatches from the decoder: it is the decoder's visitor, turning each reused FlowSample view into a
// 64-byte record (layout in flow-batch.ts), and hands a batch to its sink when it holds ≥ targetRecords records
// or when the collector's flush timer finds it older than the flush interval. One buffer is reused: the sink
// is called synchronously and must copy (or serialize) the batch before it returns.
//
// With a header snap length (capture on), each sample's sampled-header bytes, cut to the snap length, are
// copied once into a staging area at the end of the same buffer (offsets, then bytes), and flush() moves the
// used part down to just after the last record (two copyWithin calls per batch, no allocation). With snap 0
// the header section is absent and nothing of it runs but one comparison per record.
import { copyBytes } from './copy-bytes.js';
import type { CounterSample, DatagramHeader, FlowSample, SflowVisitor } from '../sflow/flow-sample.js';
import {
  BATCH_HEADER_BYTES,
  BATCH_MAGIC,
  BATCH_VERSION,
  BatchViews,
  DatagramField,
  FlowField,
  FlowFlag,
  HeaderField,
  headerBytesOffset,
  headerSectionOffset,
  MAX_HEADER_SNAP,
  RECORD_BYTES,
  RecordKind,
} from './flow-batch.js';

export type BatchSink = (batch: Uint8Array) => void;

export interface FlowBatchWriterOptions {
  sink: BatchSink;
  /** A batch is handed over once it holds this many records. */
  targetRecords?: number;
  /** The most flow samples one datagram can add (the decoder's maxSamplesPerDatagram). */
  maxSamplesPerDatagram?: number;
  producerId?: number;
  /**
   * Sampled-header bytes kept per flow sample for the capture (capture.snapLength); 0 (default) writes no
   * header section.
   */
  headerSnapLength?: number;
}

export class FlowBatchWriter implements SflowVisitor {
  private readonly views: BatchViews;
  private readonly sink: BatchSink;
  private readonly target: number;
  private readonly capacity: number;
  private count = 0;
  private datagramRecord = 0;
  /** u32 views over the decoder's reused address arrays (made once per FlowSample object, not per sample). */
  private viewedSample: FlowSample | undefined;
  private dst32 = new Uint32Array(4);
  private src32 = new Uint32Array(4);
  private sequence = 0;
  private readonly snap: number;
  /** Staging area of the header section (byte offsets into the buffer): offsets, then header bytes. */
  private readonly stagedOffsetsAt: number;
  private readonly stagedBytesAt: number;
  /** Header bytes staged for the current batch. */
  private headerBytes = 0;
  /** DataViews for the header copy: over this writer's buffer, and over the last datagram's ArrayBuffer. */
  private readonly batchView: DataView;
  private datagramBuffer: ArrayBufferLike | undefined;
  private datagramView: DataView = new DataView(new ArrayBuffer(0));
  /** Batches handed to the sink, and records in them (datagram records included). */
  batches = 0;
  records = 0;
  /** Header bytes carried, and samples whose header was cut to the snap length. */
  headerBytesCarried = 0;
  headersCut = 0;

  constructor(options: FlowBatchWriterOptions) {
    this.sink = options.sink;
    this.target = options.targetRecords ?? 1024;
    // Room for a full batch plus one more whole datagram: a datagram is never split across batches.
    this.capacity = this.target + 1 + (options.maxSamplesPerDatagram ?? 512);
    const snap = options.headerSnapLength ?? 0;
    if (!Number.isInteger(snap) || snap < 0 || snap > MAX_HEADER_SNAP) throw new RangeError(`headerSnapLength must be an integer 0..${MAX_HEADER_SNAP}, got ${snap}`);
    this.snap = snap;
    const recordsEnd = BATCH_HEADER_BYTES + this.capacity * RECORD_BYTES;
    this.stagedOffsetsAt = recordsEnd;
    this.stagedBytesAt = recordsEnd + (this.capacity + 1) * 4;
    const length = snap === 0 ? recordsEnd : (this.stagedBytesAt + this.capacity * snap + 7) & ~7;
    this.views = new BatchViews(new ArrayBuffer(length));
    this.batchView = new DataView(this.views.buffer);
    const u32 = this.views.u32;
    u32[HeaderField.headerSnap >>> 2] = snap;
    u32[HeaderField.magic >>> 2] = BATCH_MAGIC;
    this.views.u16[HeaderField.version >>> 1] = BATCH_VERSION;
    this.views.u16[HeaderField.recordSize >>> 1] = RECORD_BYTES;
    u32[HeaderField.producerId >>> 2] = options.producerId ?? 0;
  }

  /** Records waiting in the current batch. */
  get pending(): number {
    return this.count;
  }

  /** Milliseconds since the epoch at which the current batch was started (0 when empty). */
  get startedAtMs(): number {
    return this.count === 0 ? 0 : this.views.baseTimeMs;
  }

  /** Opens a datagram record; call before decoding a datagram. */
  beginDatagram(nowMs: number): void {
    if (this.count >= this.target) this.flush();
    if (this.count === 0) this.views.f64[HeaderField.baseTimeMs >>> 3] = nowMs;
    this.datagramRecord = this.count++;
    if (this.snap !== 0) this.views.u32[(this.stagedOffsetsAt >>> 2) + this.datagramRecord] = this.headerBytes;
    const at = BATCH_HEADER_BYTES + this.datagramRecord * RECORD_BYTES;
    const u8 = this.views.u8;
    u8[at + DatagramField.kind] = RecordKind.datagram;
    this.views.u32[(at + DatagramField.timeOffsetMs) >>> 2] = Math.max(0, nowMs - this.views.baseTimeMs);
  }

  /** Closes the datagram record with what the decoder found; a rejected datagram keeps no flow records. */
  endDatagram(
    header: DatagramHeader,
    status: number,
    length: number,
    flowSamples: number,
    counterSamples: number,
    skipped: number,
    malformed: number,
  ): void {
    const at = BATCH_HEADER_BYTES + this.datagramRecord * RECORD_BYTES;
    const { u8, u16, u32 } = this.views;
    if (status !== 0) {
      this.count = this.datagramRecord + 1;
      if (this.snap !== 0) this.headerBytes = this.views.u32[(this.stagedOffsetsAt >>> 2) + this.datagramRecord]!;
    }
    u8[at + DatagramField.agentFamily] = header.agentFamily;
    u8[at + DatagramField.status] = status;
    u8[at + 3] = 0;
    u32[(at + DatagramField.subAgentId) >>> 2] = header.subAgentId;
    u32[(at + DatagramField.sequence) >>> 2] = header.sequence;
    u32[(at + DatagramField.uptimeMs) >>> 2] = header.uptimeMs;
    u16[(at + DatagramField.flowSamples) >>> 1] = Math.min(flowSamples, 0xffff);
    u16[(at + DatagramField.counterSamples) >>> 1] = Math.min(counterSamples, 0xffff);
    u16[(at + DatagramField.skippedSamples) >>> 1] = Math.min(skipped, 0xffff);
    u16[(at + DatagramField.malformedSamples) >>> 1] = Math.min(malformed, 0xffff);
    u16[(at + DatagramField.length) >>> 1] = Math.min(length, 0xffff);
    u16[(at + 30) >>> 1] = 0;
    u8.set(header.agentAddress, at + DatagramField.agentAddress);
    if (header.agentFamily !== 6) u32.fill(0, (at + DatagramField.agentAddress + 4) >>> 2, (at + 48) >>> 2);
    u32.fill(0, (at + 48) >>> 2, (at + 64) >>> 2);
  }

  onFlowSample(s: FlowSample, datagram: Uint8Array): void {
    // The decoder caps samples per datagram at maxSamplesPerDatagram, so this never runs out of room; the
    // check keeps a misconfigured pairing from writing past the buffer.
    if (this.count >= this.capacity) return;
    const record = this.count++;
    const at = BATCH_HEADER_BYTES + record * RECORD_BYTES;
    const { u8, u16, u32 } = this.views;
    if (this.snap !== 0) this.stageHeader(s, datagram, record);
    u8[at + FlowField.kind] = RecordKind.flow;
    u8[at + FlowField.ipVersion] = s.ipVersion;
    u8[at + FlowField.protocol] = s.protocol;
    u8[at + FlowField.tcpFlags] = s.tcpFlags;
    const icmp = s.icmpType >= 0;
    u8[at + FlowField.flags] =
      (s.isFragment ? FlowFlag.fragment : 0) |
      (s.hasL4 ? FlowFlag.hasL4 : 0) |
      (s.dontFragment ? FlowFlag.dontFragment : 0) |
      (s.moreFragments ? FlowFlag.moreFragments : 0) |
      (s.expanded ? FlowFlag.expanded : 0) |
      (icmp ? FlowFlag.icmp : 0);
    u8[at + FlowField.ttl] = s.ttl;
    u8[at + FlowField.dscp] = s.dscp;
    u8[at + FlowField.headerProtocol] = s.headerProtocol;
    u16[(at + FlowField.ipLength) >>> 1] = s.ipLength;
    u16[(at + FlowField.datagramIndex) >>> 1] = this.datagramRecord;
    u16[(at + FlowField.srcPort) >>> 1] = icmp ? 0 : s.srcPort;
    u16[(at + FlowField.dstPort) >>> 1] = icmp ? (s.icmpType << 8) | (s.icmpCode & 0xff) : s.dstPort;
    u32[(at + FlowField.samplingRate) >>> 2] = s.samplingRate;
    u32[(at + FlowField.frameLength) >>> 2] = s.frameLength;
    u32[(at + FlowField.sequence) >>> 2] = s.sequence;
    u32[(at + FlowField.sourceId) >>> 2] = ((s.sourceIdType & 0xff) << 24) | (s.sourceIdIndex & 0xffffff);
    if (s !== this.viewedSample) this.viewAddresses(s);
    // Four word copies per address: cheaper than TypedArray.set for 16 bytes.
    const d = (at + FlowField.dstAddress) >>> 2;
    const r = (at + FlowField.srcAddress) >>> 2;
    const dst = this.dst32;
    const src = this.src32;
    u32[d] = dst[0]!;
    u32[r] = src[0]!;
    if (s.ipVersion === 6) {
      u32[d + 1] = dst[1]!; u32[d + 2] = dst[2]!; u32[d + 3] = dst[3]!;
      u32[r + 1] = src[1]!; u32[r + 2] = src[2]!; u32[r + 3] = src[3]!;
    } else {
      // IPv4 fills bytes 0..3 only; the view's other bytes may hold an earlier IPv6 sample's address.
      u32[d + 1] = 0; u32[d + 2] = 0; u32[d + 3] = 0;
      u32[r + 1] = 0; u32[r + 2] = 0; u32[r + 3] = 0;
    }
  }

  /** Copies the sample's header bytes (at most snap) into the staging area; the decoder bounded them already. */
  private stageHeader(s: FlowSample, datagram: Uint8Array, record: number): void {
    const u32 = this.views.u32;
    const offsets = this.stagedOffsetsAt >>> 2;
    u32[offsets + record] = this.headerBytes;
    const length = s.headerLength;
    if (length === 0) return;
    const kept = length < this.snap ? length : this.snap;
    if (kept < length) this.headersCut++;
    // One DataView per receive buffer, not per datagram: the recvmmsg path hands out views of one buffer.
    if (datagram.buffer !== this.datagramBuffer) {
      this.datagramBuffer = datagram.buffer;
      this.datagramView = new DataView(datagram.buffer);
    }
    copyBytes(this.datagramView, datagram.byteOffset + s.headerOffset, this.batchView, this.stagedBytesAt + this.headerBytes, kept);
    this.headerBytes += kept;
  }

  private viewAddresses(s: FlowSample): void {
    this.viewedSample = s;
    this.dst32 = new Uint32Array(s.dstAddress.buffer, s.dstAddress.byteOffset, 4);
    this.src32 = new Uint32Array(s.srcAddress.buffer, s.srcAddress.byteOffset, 4);
  }

  onCounterSample(_sample: CounterSample): void {
    // Counter samples are accounted per datagram (counterSamples); their values are not part of a FlowBatch.
  }

  /** Hands the current batch to the sink, if it holds anything. */
  flush(): void {
    if (this.count === 0) return;
    const u32 = this.views.u32;
    u32[HeaderField.count >>> 2] = this.count;
    u32[HeaderField.sequence >>> 2] = this.sequence++;
    let length = BATCH_HEADER_BYTES + this.count * RECORD_BYTES;
    if (this.snap !== 0) length = this.packHeaderSection();
    const bytes = this.views.u8.subarray(0, length);
    this.batches++;
    this.records += this.count;
    this.count = 0;
    this.headerBytes = 0;
    this.sink(bytes);
  }

  /** Moves the staged offsets and header bytes down to just after the last record; returns the batch length. */
  private packHeaderSection(): number {
    const count = this.count;
    const u8 = this.views.u8;
    this.views.u32[(this.stagedOffsetsAt >>> 2) + count] = this.headerBytes;
    const section = headerSectionOffset(count);
    const bytesAt = headerBytesOffset(count);
    // Both moves go downwards (section <= staged offsets, bytesAt <= staged bytes), so copyWithin's memmove
    // never overwrites what it has yet to copy, and the offsets land before the bytes' source is touched.
    u8.copyWithin(section, this.stagedOffsetsAt, this.stagedOffsetsAt + (count + 1) * 4);
    u8.copyWithin(bytesAt, this.stagedBytesAt, this.stagedBytesAt + this.headerBytes);
    this.headerBytesCarried += this.headerBytes;
    return bytesAt + this.headerBytes;
  }
}
