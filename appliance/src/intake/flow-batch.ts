// The FlowBatch: the one message between intake and counting. A plain binary buffer (no objects, no
// pointers) so that it can cross a thread, a process or, later, a NATS JetStream subject unchanged. This
// module owns the layout; nothing else hard-codes an offset. All multi-byte fields are little-endian (the
// byte order of every host Breakwater runs on; checked at load) so that typed-array views read them with
// no per-field decoding.
//
// Batch = 32-byte header + N records of 64 bytes [+ header section]. A datagram record precedes the flow
// records decoded from that datagram, in the same batch (a datagram is never split across batches), so a
// consumer can account the agent before it counts the flows, and a datagram the intake rejected carries no
// flow records at all.
//
// Header:
//   0 u32 magic 0x42574642 ("BFWB" in memory)   4 u16 version (2)   6 u16 record size (64)
//   8 u32 record count   12 u32 producer id   16 u32 batch sequence (per producer, +1 per batch)
//  20 u32 header-section snap length (0 = the batch has no header section: capture off)
//  24 f64 base time (ms since the epoch; record times are offsets from it)
//
// Flow record (kind 1), one per decoded flow sample:
//   0 u8 kind=1   1 u8 ip version (4, 6, 0 = unknown)   2 u8 protocol   3 u8 TCP flags
//   4 u8 flags (FlowFlag bits)   5 u8 TTL / hop limit   6 u8 DSCP   7 u8 header protocol (1 Ethernet, 11, 12)
//   8 u16 IP length   10 u16 index of its datagram record in this batch
//  12 u16 source port   14 u16 destination port (ICMP: type << 8 | code, the NetFlow convention)
//  16 u32 sampling rate   20 u32 frame length   24 u32 flow-sample sequence   28 u32 source id (type << 24 | index)
//  32 16 bytes destination address (IPv4 in bytes 0..3, rest zero)   48 16 bytes source address
//
// Datagram record (kind 2), one per received datagram, accepted or not:
//   0 u8 kind=2   1 u8 agent family (4, 6, 0 = unparsed)   2 u8 status (DatagramStatus, or an intake reason)
//   3 u8 reserved   4 u32 sub-agent id   8 u32 datagram sequence   12 u32 agent uptime (ms)
//  16 u32 arrival time offset (ms from the batch base time)   20 u16 flow samples   22 u16 counter samples
//  24 u16 skipped samples   26 u16 malformed samples   28 u16 datagram length (bytes)   30 u16 reserved
//  32 16 bytes agent address   48 16 bytes reserved (0)
//
// Header section (version 2; present when the snap length at byte 20 is not 0): the sampled packet header
// bytes of the flow records (sFlow flow record 1, cut to the snap length), for the capture. It starts right
// after the last record, at H = 32 + N × 64 (8-byte aligned), so a consumer that does not want it reads the
// batch exactly as before:
//   H: N + 1 u32 offsets, relative to B = H + (N + 1) × 4; record i's header bytes are [B + off[i], B + off[i+1])
//   B: the header bytes, packed in record order (no padding)
// off[0] = 0 and the offsets never decrease; a record without header bytes (a datagram record, or a flow
// sample with only IPv4/IPv6/Ethernet records) has off[i] = off[i+1]. The header protocol of the bytes is the
// flow record's byte 7; the original frame length its bytes 20..23. checkBatch validates all of this, so a
// consumer of a checked batch can slice without bounds checks of its own.
import { endianness } from 'node:os';

if (endianness() !== 'LE') throw new Error('FlowBatch assumes a little-endian host');

export const BATCH_MAGIC = 0x42574642;
export const BATCH_VERSION = 2;
/** The largest snap length a header section may declare (a jumbo frame's worth; the config caps it lower). */
export const MAX_HEADER_SNAP = 9216;
export const BATCH_HEADER_BYTES = 32;
export const RECORD_BYTES = 64;

export const RecordKind = { flow: 1, datagram: 2 } as const;

/** Bits of a flow record's flags byte. */
export const FlowFlag = {
  fragment: 0x01,
  hasL4: 0x02,
  dontFragment: 0x04,
  moreFragments: 0x08,
  expanded: 0x10,
  icmp: 0x20,
} as const;

/** Byte offsets inside a record (add the record's start). */
export const FlowField = {
  kind: 0, ipVersion: 1, protocol: 2, tcpFlags: 3, flags: 4, ttl: 5, dscp: 6, headerProtocol: 7,
  ipLength: 8, datagramIndex: 10, srcPort: 12, dstPort: 14, samplingRate: 16, frameLength: 20,
  sequence: 24, sourceId: 28, dstAddress: 32, srcAddress: 48,
} as const;

export const DatagramField = {
  kind: 0, agentFamily: 1, status: 2, subAgentId: 4, sequence: 8, uptimeMs: 12, timeOffsetMs: 16,
  flowSamples: 20, counterSamples: 22, skippedSamples: 24, malformedSamples: 26, length: 28, agentAddress: 32,
} as const;

export const HeaderField = { magic: 0, version: 4, recordSize: 6, count: 8, producerId: 12, sequence: 16, headerSnap: 20, baseTimeMs: 24 } as const;

/** Typed-array views over one batch buffer; the hot path reads and writes through these, never a DataView. */
export class BatchViews {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;

  constructor(readonly buffer: ArrayBuffer, byteOffset = 0, byteLength = buffer.byteLength - byteOffset) {
    this.u8 = new Uint8Array(buffer, byteOffset, byteLength);
    this.u16 = new Uint16Array(buffer, byteOffset, byteLength >>> 1);
    this.u32 = new Uint32Array(buffer, byteOffset, byteLength >>> 2);
    this.f64 = new Float64Array(buffer, byteOffset, byteLength >>> 3);
  }

  get count(): number {
    return this.u32[HeaderField.count >>> 2]!;
  }

  get baseTimeMs(): number {
    return this.f64[HeaderField.baseTimeMs >>> 3]!;
  }
}

/** Byte offset of the header section of a batch of `count` records (whether or not it has one). */
export function headerSectionOffset(count: number): number {
  return BATCH_HEADER_BYTES + count * RECORD_BYTES;
}

/** Byte offset of the packed header bytes (B in the layout above). */
export function headerBytesOffset(count: number): number {
  return headerSectionOffset(count) + (count + 1) * 4;
}

/** The record count in a batch's header (little-endian u32), read from its bytes without a view. */
function recordCount(bytes: Uint8Array): number {
  return (bytes[HeaderField.count]! | (bytes[HeaderField.count + 1]! << 8) | (bytes[HeaderField.count + 2]! << 16) | (bytes[HeaderField.count + 3]! << 24)) >>> 0;
}

/**
 * Copies a batch without its header section into `dst` at `at` (header and records; its headerSnap set to 0, so
 * the copy is a whole batch without sampled headers) and returns the bytes written. For consumers that read only
 * the records (detection): a 128-byte snap makes the header section twice the records' size.
 */
export function copyRecordsOnly(batch: Uint8Array, dst: Uint8Array, at: number): number {
  const count = recordCount(batch);
  const length = Math.min(batch.byteLength, headerSectionOffset(count));
  dst.set(length === batch.byteLength ? batch : batch.subarray(0, length), at);
  dst.fill(0, at + HeaderField.headerSnap, at + HeaderField.headerSnap + 4);
  return length;
}

/** Byte length of a batch of `count` records whose header section holds `headerBytes` bytes (snap 0: none). */
export function batchByteLength(count: number, snap: number, headerBytes: number): number {
  return snap === 0 ? headerSectionOffset(count) : headerBytesOffset(count) + headerBytes;
}

/**
 * Records of one kind (RecordKind) in a batch's bytes, read from its header's record count, not its byte length: a
 * header section (capture on) may follow the records. For counting what a dropped or handed-over batch carried.
 */
export function countRecords(bytes: Uint8Array, kind: number): number {
  if (bytes.byteLength < BATCH_HEADER_BYTES) return 0;
  const count = recordCount(bytes);
  const end = Math.min(bytes.byteLength, BATCH_HEADER_BYTES + count * RECORD_BYTES);
  let n = 0;
  for (let at = BATCH_HEADER_BYTES; at + RECORD_BYTES <= end; at += RECORD_BYTES) if (bytes[at] === kind) n++;
  return n;
}

export type BatchCheck = { ok: true; count: number } | { ok: false; reason: string };

/** Validates a batch that arrived from outside this process (a worker, later the network). */
export function checkBatch(bytes: Uint8Array): BatchCheck {
  if (bytes.byteLength < BATCH_HEADER_BYTES) return { ok: false, reason: 'shorter than the header' };
  if ((bytes.byteOffset & 7) !== 0) return { ok: false, reason: 'not 8-byte aligned' };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== BATCH_MAGIC) return { ok: false, reason: 'bad magic' };
  if (v.getUint16(4, true) !== BATCH_VERSION) return { ok: false, reason: `unsupported version ${v.getUint16(4, true)}` };
  if (v.getUint16(6, true) !== RECORD_BYTES) return { ok: false, reason: 'unexpected record size' };
  const count = v.getUint32(8, true);
  if (BATCH_HEADER_BYTES + count * RECORD_BYTES > bytes.byteLength) return { ok: false, reason: 'record count exceeds the buffer' };
  const snap = v.getUint32(HeaderField.headerSnap, true);
  if (snap === 0) return { ok: true, count };
  if (snap > MAX_HEADER_SNAP) return { ok: false, reason: `header snap length ${snap} above ${MAX_HEADER_SNAP}` };
  const section = headerSectionOffset(count);
  const bytesAt = headerBytesOffset(count);
  if (bytesAt > bytes.byteLength) return { ok: false, reason: 'header offsets exceed the buffer' };
  const available = bytes.byteLength - bytesAt;
  if (v.getUint32(section, true) !== 0) return { ok: false, reason: 'first header offset is not 0' };
  let previous = 0;
  for (let i = 1; i <= count; i++) {
    const off = v.getUint32(section + i * 4, true);
    if (off < previous) return { ok: false, reason: `header offset ${i} goes backwards` };
    if (off - previous > snap) return { ok: false, reason: `header of record ${i - 1} is longer than the snap length` };
    if (off > available) return { ok: false, reason: `header of record ${i - 1} runs past the buffer` };
    previous = off;
  }
  return { ok: true, count };
}
