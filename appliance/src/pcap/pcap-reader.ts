// Reads packet records from a capture file as a stream: classic libpcap (either byte order, microsecond or
// nanosecond magic) and pcapng (section header, interface description, enhanced, simple and obsolete packet
// blocks; other blocks skipped). It never holds more than one record beyond the chunk being read, so a file
// of any size streams through. It owns only the file format: what is inside a frame is captured-udp.ts's job.
//
// Errors: BW_ERR_PCAP_FORMAT when the file is not a capture this reads, BW_ERR_PCAP_TRUNCATED when it ends
// inside a record, BW_ERR_PCAP_CORRUPT when a record header has an impossible length (the rest of the file
// cannot be framed). Packets before the failure have already been yielded. A packet block that is framed
// correctly but unusable (unknown interface) is counted in `skippedPackets`, not thrown.
import { createReadStream } from 'node:fs';
import { BreakwaterError } from '../errors.js';

export interface PcapPacket {
  /** 1-based position among the packets of the file, as tcpdump and tshark number frames. */
  number: number;
  /** LINKTYPE_* of the interface that captured it (1 Ethernet, 113 Linux SLL, 101 raw IP, ...). */
  linkType: number;
  timestampSeconds: number;
  /** Fraction of the second, in nanoseconds whatever the file's resolution. */
  timestampNanos: number;
  /** Bytes present in `data`; fewer than originalLength when the capture had a snap length. */
  capturedLength: number;
  originalLength: number;
  /** A view into the reader's buffers: valid after the next packet is read, never written by the reader. */
  data: Uint8Array;
}

export type CaptureFormat = 'pcap' | 'pcapng';

const pcapMagicMicros = 0xa1b2c3d4;
const pcapMagicNanos = 0xa1b23c4d;
const pcapGlobalHeaderLength = 24;
const pcapRecordHeaderLength = 16;
/** libpcap refuses records above max(snaplen, 256 KiB); so does this reader, to detect corrupt lengths early. */
const pcapMaxRecordDefault = 262_144;

const pcapngSectionHeader = 0x0a0d0d0a;
const pcapngByteOrderMagic = 0x1a2b3c4d;
const pcapngInterfaceDescription = 1;
const pcapngObsoletePacket = 2;
const pcapngSimplePacket = 3;
const pcapngEnhancedPacket = 6;
/** Blocks above this are treated as corrupt (libpcap uses the same 16 MiB ceiling). */
const pcapngMaxBlockLength = 16 * 1024 * 1024;
const optionEnd = 0;
const optionTimestampResolution = 9;
const optionTimestampOffset = 14;

/** Returned by a parse step that needs bytes not yet read. */
const needMoreBytes: unique symbol = Symbol('needMoreBytes');

interface Interface {
  linkType: number;
  snapLength: number;
  /** Timestamp units per second. */
  unitsPerSecond: bigint;
  offsetSeconds: bigint;
}

/** Bytes received but not yet parsed; joins chunks only when a record straddles them. */
class ByteQueue {
  private buffer: Buffer = Buffer.alloc(0);
  private position = 0;
  /** File offset of the first unread byte, for error messages. */
  fileOffset = 0;

  get available(): number {
    return this.buffer.length - this.position;
  }

  append(chunk: Uint8Array): void {
    const incoming = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.buffer = this.available === 0 ? incoming : Buffer.concat([this.buffer.subarray(this.position), incoming]);
    this.position = 0;
  }

  /** The next n bytes without consuming them; the caller checks `available` first. */
  peek(n: number): Buffer {
    return this.buffer.subarray(this.position, this.position + n);
  }

  consume(n: number): void {
    this.position += n;
    this.fileOffset += n;
  }
}

export class PcapReader implements AsyncIterable<PcapPacket> {
  format: CaptureFormat | undefined;
  /** Packets yielded so far. */
  packets = 0;
  /** Packet blocks that were framed correctly but could not be used (e.g. an unknown interface id). */
  skippedPackets = 0;
  /** pcapng blocks of other types (name resolution, statistics, custom, ...). */
  skippedBlocks = 0;

  private readonly queue = new ByteQueue();
  private littleEndian = true;
  // Classic pcap.
  private linkType = 0;
  private nanosecond = false;
  private maxRecord = pcapMaxRecordDefault;
  // pcapng: interfaces of the current section, in definition order (their index is the interface id).
  private interfaces: Interface[] = [];

  constructor(private readonly source: AsyncIterable<Uint8Array>) {}

  async *[Symbol.asyncIterator](): AsyncIterator<PcapPacket> {
    for await (const chunk of this.source) {
      this.queue.append(chunk as Uint8Array);
      for (;;) {
        const packet = this.next();
        if (packet === needMoreBytes) break;
        if (packet !== undefined) yield packet;
      }
    }
    if (this.format === undefined) throw new BreakwaterError('BW_ERR_PCAP_FORMAT', [`the file has ${this.queue.available} bytes, fewer than a capture header`]);
    if (this.queue.available > 0) throw new BreakwaterError('BW_ERR_PCAP_TRUNCATED', [this.queue.fileOffset]);
  }

  /** One step: a packet, undefined after consuming a block that carries none, or needMoreBytes. */
  private next(): PcapPacket | undefined | typeof needMoreBytes {
    if (this.format === undefined) return this.readFileHeader();
    return this.format === 'pcap' ? this.readPcapRecord() : this.readPcapngBlock();
  }

  private u16(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }

  private u32(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }

  private readFileHeader(): undefined | typeof needMoreBytes {
    const q = this.queue;
    if (q.available < 4) return needMoreBytes;
    const first = q.peek(4);
    if (first.readUInt32BE(0) === pcapngSectionHeader) {
      this.format = 'pcapng';
      return undefined;
    }
    if (q.available < pcapGlobalHeaderLength) return needMoreBytes;
    const h = q.peek(pcapGlobalHeaderLength);
    const le = h.readUInt32LE(0);
    const be = h.readUInt32BE(0);
    if (le === pcapMagicMicros || le === pcapMagicNanos) this.littleEndian = true;
    else if (be === pcapMagicMicros || be === pcapMagicNanos) this.littleEndian = false;
    else throw new BreakwaterError('BW_ERR_PCAP_FORMAT', [`unknown magic number 0x${be.toString(16).padStart(8, '0')}`]);
    this.nanosecond = this.u32(h, 0) === pcapMagicNanos;
    const major = this.u16(h, 4);
    if (major !== 2) throw new BreakwaterError('BW_ERR_PCAP_FORMAT', [`pcap version ${major}.${this.u16(h, 6)}, expected 2.x`]);
    const snapLength = this.u32(h, 16);
    this.maxRecord = Math.max(pcapMaxRecordDefault, snapLength);
    // The upper bits of the link-type word carry FCS information (pcap spec §LinkType); the type is the low 16.
    this.linkType = this.u32(h, 20) & 0xffff;
    this.format = 'pcap';
    q.consume(pcapGlobalHeaderLength);
    return undefined;
  }

  private readPcapRecord(): PcapPacket | typeof needMoreBytes {
    const q = this.queue;
    if (q.available < pcapRecordHeaderLength) return needMoreBytes;
    const h = q.peek(pcapRecordHeaderLength);
    const capturedLength = this.u32(h, 8);
    if (capturedLength > this.maxRecord) {
      throw new BreakwaterError('BW_ERR_PCAP_CORRUPT', [q.fileOffset, `record claims ${capturedLength} bytes, more than the ${this.maxRecord} a pcap record may hold`]);
    }
    if (q.available < pcapRecordHeaderLength + capturedLength) return needMoreBytes;
    const fraction = this.u32(h, 4);
    const packet: PcapPacket = {
      number: ++this.packets,
      linkType: this.linkType,
      timestampSeconds: this.u32(h, 0),
      timestampNanos: this.nanosecond ? fraction : fraction * 1000,
      capturedLength,
      originalLength: this.u32(h, 12),
      data: q.peek(pcapRecordHeaderLength + capturedLength).subarray(pcapRecordHeaderLength),
    };
    q.consume(pcapRecordHeaderLength + capturedLength);
    return packet;
  }

  private readPcapngBlock(): PcapPacket | undefined | typeof needMoreBytes {
    const q = this.queue;
    if (q.available < 12) return needMoreBytes;
    const head = q.peek(12);
    if (head.readUInt32BE(0) === pcapngSectionHeader) {
      // A section header sets the byte order for everything up to the next one.
      const magicLe = head.readUInt32LE(8);
      if (magicLe === pcapngByteOrderMagic) this.littleEndian = true;
      else if (head.readUInt32BE(8) === pcapngByteOrderMagic) this.littleEndian = false;
      else throw new BreakwaterError('BW_ERR_PCAP_FORMAT', [`pcapng section header at byte ${q.fileOffset} has no byte-order magic`]);
    }
    const type = this.u32(head, 0);
    const length = this.u32(head, 4);
    if (length < 12 || length % 4 !== 0 || length > pcapngMaxBlockLength) {
      throw new BreakwaterError('BW_ERR_PCAP_CORRUPT', [q.fileOffset, `pcapng block of type ${type} has length ${length}`]);
    }
    if (q.available < length) return needMoreBytes;
    const block = q.peek(length);
    if (this.u32(block, length - 4) !== length) {
      throw new BreakwaterError('BW_ERR_PCAP_CORRUPT', [q.fileOffset, `pcapng block of type ${type} ends with length ${this.u32(block, length - 4)}, starts with ${length}`]);
    }
    const offset = q.fileOffset;
    q.consume(length);
    switch (type) {
      case pcapngSectionHeader:
        return this.readSectionHeader(block, offset);
      case pcapngInterfaceDescription:
        this.readInterfaceDescription(block, offset);
        return undefined;
      case pcapngEnhancedPacket:
        return this.readEnhancedPacket(block, offset);
      case pcapngSimplePacket:
        return this.readSimplePacket(block);
      case pcapngObsoletePacket:
        return this.readObsoletePacket(block, offset);
      default:
        this.skippedBlocks++;
        return undefined;
    }
  }

  private readSectionHeader(block: Buffer, offset: number): undefined {
    if (block.length < 28) throw new BreakwaterError('BW_ERR_PCAP_CORRUPT', [offset, 'pcapng section header shorter than 28 bytes']);
    const major = this.u16(block, 12);
    if (major !== 1) throw new BreakwaterError('BW_ERR_PCAP_FORMAT', [`pcapng version ${major}.${this.u16(block, 14)}, expected 1.x`]);
    this.interfaces = [];
    return undefined;
  }

  private readInterfaceDescription(block: Buffer, offset: number): void {
    if (block.length < 20) throw new BreakwaterError('BW_ERR_PCAP_CORRUPT', [offset, 'pcapng interface description shorter than 20 bytes']);
    const iface: Interface = { linkType: this.u16(block, 8), snapLength: this.u32(block, 12), unitsPerSecond: 1_000_000n, offsetSeconds: 0n };
    // Options: code u16, length u16, value padded to 4; only the timestamp resolution and offset matter here.
    for (let p = 16; p + 4 <= block.length - 4; ) {
      const code = this.u16(block, p);
      const valueLength = this.u16(block, p + 2);
      if (code === optionEnd || p + 4 + valueLength > block.length - 4) break;
      if (code === optionTimestampResolution && valueLength >= 1) {
        const r = block[p + 4]!;
        // High bit clear: 10^-r seconds; set: 2^-(r & 0x7f).
        iface.unitsPerSecond = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
      } else if (code === optionTimestampOffset && valueLength >= 8) {
        iface.offsetSeconds = this.littleEndian ? block.readBigInt64LE(p + 4) : block.readBigInt64BE(p + 4);
      }
      p += 4 + ((valueLength + 3) & ~3);
    }
    this.interfaces.push(iface);
  }

  private packetFrom(iface: Interface, high: number, low: number, capturedLength: number, originalLength: number, data: Buffer): PcapPacket {
    const ticks = (BigInt(high) << 32n) | BigInt(low);
    const seconds = ticks / iface.unitsPerSecond + iface.offsetSeconds;
    const nanos = ((ticks % iface.unitsPerSecond) * 1_000_000_000n) / iface.unitsPerSecond;
    return { number: ++this.packets, linkType: iface.linkType, timestampSeconds: Number(seconds), timestampNanos: Number(nanos), capturedLength, originalLength, data };
  }

  private readEnhancedPacket(block: Buffer, offset: number): PcapPacket | undefined {
    if (block.length < 32) throw new BreakwaterError('BW_ERR_PCAP_CORRUPT', [offset, 'pcapng enhanced packet block shorter than 32 bytes']);
    const capturedLength = this.u32(block, 20);
    if (capturedLength > block.length - 32) throw new BreakwaterError('BW_ERR_PCAP_CORRUPT', [offset, `enhanced packet claims ${capturedLength} bytes in a ${block.length}-byte block`]);
    const iface = this.interfaces[this.u32(block, 8)];
    if (iface === undefined) {
      this.skippedPackets++;
      return undefined;
    }
    return this.packetFrom(iface, this.u32(block, 12), this.u32(block, 16), capturedLength, this.u32(block, 24), block.subarray(28, 28 + capturedLength));
  }

  private readSimplePacket(block: Buffer): PcapPacket | undefined {
    const iface = this.interfaces[0];
    if (iface === undefined || block.length < 16) {
      this.skippedPackets++;
      return undefined;
    }
    // No captured length field: it is the original length, cut by the snap length and the block.
    const originalLength = this.u32(block, 8);
    let capturedLength = Math.min(originalLength, block.length - 16);
    if (iface.snapLength > 0) capturedLength = Math.min(capturedLength, iface.snapLength);
    return { number: ++this.packets, linkType: iface.linkType, timestampSeconds: 0, timestampNanos: 0, capturedLength, originalLength, data: block.subarray(12, 12 + capturedLength) };
  }

  private readObsoletePacket(block: Buffer, offset: number): PcapPacket | undefined {
    if (block.length < 32) throw new BreakwaterError('BW_ERR_PCAP_CORRUPT', [offset, 'pcapng packet block shorter than 32 bytes']);
    const capturedLength = this.u32(block, 20);
    if (capturedLength > block.length - 32) throw new BreakwaterError('BW_ERR_PCAP_CORRUPT', [offset, `packet block claims ${capturedLength} bytes in a ${block.length}-byte block`]);
    const iface = this.interfaces[this.u16(block, 8)];
    if (iface === undefined) {
      this.skippedPackets++;
      return undefined;
    }
    return this.packetFrom(iface, this.u32(block, 12), this.u32(block, 16), capturedLength, this.u32(block, 24), block.subarray(28, 28 + capturedLength));
  }
}

/** A reader over a file, read in 64 KiB chunks. */
export function readPcapFile(path: string): PcapReader {
  return new PcapReader(createReadStream(path, { highWaterMark: 64 * 1024 }));
}
