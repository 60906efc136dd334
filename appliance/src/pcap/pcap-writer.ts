// Writes classic libpcap savefiles (the 24-byte global header, then a 16-byte header per record), with
// microsecond timestamps. Owns only the file format: it never parses packets and never opens sockets.
// Two ways out: PcapWriter streams records to any Writable (a file, a socket, a pipe) and honours its
// backpressure; encodePcap() builds a whole file in memory for tests and small captures. The attack capture
// (capture/attack-pcap-file.ts) packs records into its own reused chunks with writePcapRecordHeader() and
// encodePcapGlobalHeader(), so that its hot path allocates nothing.
//
// Files are written little-endian, as libpcap itself does on x86; every reader (libpcap, tshark, ours)
// tells the byte order from the magic number, so this is a choice, not a constraint.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';

/** Microsecond-resolution magic. The nanosecond variant (0xa1b23c4d) is deliberately not written. */
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_GLOBAL_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;

/** The link-layer header types (tcpdump.org LINKTYPE_*) that Breakwater writes. */
export const LinkType = {
  /** BSD loopback: a 4-byte host-order address family before the IP header. */
  NULL: 0,
  ETHERNET: 1,
  /** Raw IP, version told by the first nibble. */
  RAW: 101,
  /** Linux "cooked" capture v1, what `tcpdump -i any` writes. */
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
} as const;

/** sFlow sampled_header header_protocol values the capture writes, and their link types. */
export const SflowHeaderProtocol = { ETHERNET: 1, IPV4: 11, IPV6: 12 } as const;

/**
 * The link type of an sFlow sampled header's bytes: Ethernet → ETHERNET; raw IPv4 and raw IPv6 → RAW (101),
 * which holds both versions, so a router sending both still gives one file. -1 for a header protocol the
 * capture does not write (Token Ring, FDDI, MPLS, ...).
 */
export function linkTypeOfSflowHeader(headerProtocol: number): number {
  if (headerProtocol === SflowHeaderProtocol.ETHERNET) return LinkType.ETHERNET;
  if (headerProtocol === SflowHeaderProtocol.IPV4 || headerProtocol === SflowHeaderProtocol.IPV6) return LinkType.RAW;
  return -1;
}

/**
 * Writes a 16-byte record header into `target` at `at` (for callers that pack records into their own reused
 * buffers: nothing is allocated). The caller has checked the values: whole microseconds ≥ 0, captured ≤ original.
 */
export function writePcapRecordHeader(target: Uint8Array, at: number, timestampMicros: number, captured: number, original: number): void {
  const seconds = Math.floor(timestampMicros / 1_000_000);
  putU32LE(target, at, seconds >>> 0);
  putU32LE(target, at + 4, timestampMicros - seconds * 1_000_000);
  putU32LE(target, at + 8, captured);
  putU32LE(target, at + 12, original);
}

function putU32LE(target: Uint8Array, at: number, value: number): void {
  target[at] = value & 0xff;
  target[at + 1] = (value >>> 8) & 0xff;
  target[at + 2] = (value >>> 16) & 0xff;
  target[at + 3] = (value >>> 24) & 0xff;
}

/** The largest snaplen libpcap accepts for most link types; a larger value is refused by readers. */
export const MAX_SNAPLEN = 262_144;

export interface PcapWriterOptions {
  /** LINKTYPE_* value for every record in the file. Default Ethernet (1). */
  linkType?: number;
  /** Records longer than this are cut to it (the original length is still recorded). Default 262144. */
  snaplen?: number;
}

export interface PcapRecordMeta {
  /** Capture time in microseconds since the Unix epoch. Default: the current time. */
  timestampMicros?: number;
  /**
   * Length of the packet on the wire when `data` holds only its first bytes (for example an sFlow sampled
   * header whose frame_length is larger). Default: data.length.
   */
  originalLength?: number;
}

/** One packet to put in a file built by encodePcap. */
export interface PcapRecordInput extends PcapRecordMeta {
  data: Uint8Array;
}

function checkedOptions(options: PcapWriterOptions): { linkType: number; snaplen: number } {
  const linkType = options.linkType ?? LinkType.ETHERNET;
  const snaplen = options.snaplen ?? MAX_SNAPLEN;
  if (!Number.isInteger(linkType) || linkType < 0 || linkType > 0xffff) {
    throw new RangeError(`pcap link type must be an integer 0..65535, got ${linkType}`);
  }
  if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > MAX_SNAPLEN) {
    throw new RangeError(`pcap snaplen must be an integer 1..${MAX_SNAPLEN}, got ${snaplen}`);
  }
  return { linkType, snaplen };
}

/** The 24-byte global header of a microsecond pcap file. */
export function encodePcapGlobalHeader(options: PcapWriterOptions = {}): Buffer {
  const { linkType, snaplen } = checkedOptions(options);
  const header = Buffer.alloc(PCAP_GLOBAL_HEADER_LENGTH);
  header.writeUInt32LE(PCAP_MAGIC_MICROSECONDS, 0);
  header.writeUInt16LE(2, 4); // version 2.4, the only one readers know
  header.writeUInt16LE(4, 6);
  header.writeInt32LE(0, 8); // thiszone: timestamps are UTC
  header.writeUInt32LE(0, 12); // sigfigs: always 0 in practice
  header.writeUInt32LE(snaplen, 16);
  header.writeUInt32LE(linkType, 20);
  return header;
}

/** Record header plus the (possibly cut) packet bytes, as one buffer so a stream gets one write per packet. */
function encodeRecord(data: Uint8Array, meta: PcapRecordMeta, snaplen: number): Buffer {
  const originalLength = meta.originalLength ?? data.length;
  if (!Number.isInteger(originalLength) || originalLength < data.length || originalLength > 0xffffffff) {
    throw new RangeError(`pcap originalLength ${originalLength} must be an integer >= the ${data.length} captured bytes`);
  }
  const timestamp = meta.timestampMicros ?? Date.now() * 1000;
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`pcap timestampMicros must be a non-negative safe integer, got ${timestamp}`);
  }
  const captured = Math.min(data.length, snaplen);
  const record = Buffer.allocUnsafe(PCAP_RECORD_HEADER_LENGTH + captured);
  const seconds = Math.floor(timestamp / 1_000_000);
  // Seconds are u32 in this format: the year-2106 limit is the format's, not ours.
  record.writeUInt32LE(seconds >>> 0, 0);
  record.writeUInt32LE(timestamp - seconds * 1_000_000, 4);
  record.writeUInt32LE(captured, 8);
  record.writeUInt32LE(originalLength, 12);
  record.set(data.subarray(0, captured), PCAP_RECORD_HEADER_LENGTH);
  return record;
}

/** A whole pcap file in memory. */
export function encodePcap(records: Iterable<PcapRecordInput>, options: PcapWriterOptions = {}): Buffer {
  const { snaplen } = checkedOptions(options);
  const parts: Buffer[] = [encodePcapGlobalHeader(options)];
  for (const record of records) parts.push(encodeRecord(record.data, record, snaplen));
  return Buffer.concat(parts);
}

/**
 * Streams pcap records to a Writable. The global header goes out on construction, so a writer that never
 * gets a packet still leaves a valid, empty file. `write` mirrors Writable.write: false means the sink's
 * buffer is full and the caller should wait (`writeAndWait` or `drained` do that).
 */
export class PcapWriter {
  readonly linkType: number;
  readonly snaplen: number;
  /** Records written so far, and the bytes they took in the file (headers included). */
  packetsWritten = 0;
  bytesWritten = PCAP_GLOBAL_HEADER_LENGTH;
  private readonly sink: Writable;
  private closed = false;
  /** The sink's first error: kept so it surfaces on the next call instead of as an unhandled 'error'. */
  private failure: Error | undefined;

  constructor(sink: Writable, options: PcapWriterOptions = {}) {
    const checked = checkedOptions(options);
    this.linkType = checked.linkType;
    this.snaplen = checked.snaplen;
    this.sink = sink;
    sink.on('error', (err: Error) => {
      this.failure ??= err;
    });
    sink.write(encodePcapGlobalHeader(checked));
  }

  /** Appends one record. Returns false when the sink asks the caller to wait for 'drain'. */
  write(data: Uint8Array, meta: PcapRecordMeta = {}): boolean {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error('PcapWriter.write after close');
    const record = encodeRecord(data, meta, this.snaplen);
    this.packetsWritten++;
    this.bytesWritten += record.length;
    return this.sink.write(record);
  }

  /** Appends one record and, if the sink is full, resolves only once it has drained. */
  async writeAndWait(data: Uint8Array, meta: PcapRecordMeta = {}): Promise<void> {
    if (!this.write(data, meta)) await this.drained();
  }

  /** Resolves when the sink can take more; rejects if it fails first. */
  async drained(): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.sink.writableNeedDrain) return;
    await once(this.sink, 'drain');
  }

  /** Ends the sink and resolves once everything is flushed (for a file: written and closed). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sink.end();
    await finished(this.sink);
  }
}

/** A PcapWriter on a new file (created or truncated); rejects if the file cannot be opened. */
export async function openPcapFile(path: string, options: PcapWriterOptions = {}): Promise<PcapWriter> {
  checkedOptions(options);
  const stream = createWriteStream(path);
  await once(stream, 'open');
  return new PcapWriter(stream, options);
}
