// Builds capture files in memory for the pcap reader tests: classic libpcap in either byte order with
// microsecond or nanosecond timestamps, and pcapng with section headers, interface descriptions (with
// if_tsresol / if_tsoffset options), enhanced, simple and obsolete packet blocks, and blocks to skip.

export interface Frame {
  data: Uint8Array;
  seconds?: number;
  /** Fraction of the second in the file's own unit (µs or ns for pcap, ticks for pcapng). */
  fraction?: number;
  originalLength?: number;
}

class ByteWriter {
  private readonly bytes: number[] = [];
  constructor(private readonly littleEndian: boolean) {}

  u16(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    this.bytes.push(...(this.littleEndian ? b : b.reverse()));
    return this;
  }

  u32(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.bytes.push(...(this.littleEndian ? b : b.reverse()));
    return this;
  }

  u64(v: bigint): this {
    const lo = Number(v & 0xffffffffn);
    const hi = Number((v >> 32n) & 0xffffffffn);
    return this.littleEndian ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }

  raw(data: Uint8Array | readonly number[]): this {
    this.bytes.push(...data);
    return this;
  }

  pad4(): this {
    while (this.bytes.length % 4 !== 0) this.bytes.push(0);
    return this;
  }

  get length(): number {
    return this.bytes.length;
  }

  build(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export function classicPcap(o: { linkType: number; frames: Frame[]; littleEndian?: boolean; nanosecond?: boolean; snapLength?: number; version?: number }): Uint8Array {
  const w = new ByteWriter(o.littleEndian ?? true);
  w.u32(o.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4).u16(o.version ?? 2).u16(4).u32(0).u32(0).u32(o.snapLength ?? 65535).u32(o.linkType);
  for (const f of o.frames) w.u32(f.seconds ?? 0).u32(f.fraction ?? 0).u32(f.data.length).u32(f.originalLength ?? f.data.length).raw(f.data);
  return w.build();
}

/** One pcapng block: type, total length, body (padded), total length again. */
function block(littleEndian: boolean, type: number, body: Uint8Array): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const total = 12 + padded;
  return new ByteWriter(littleEndian).u32(type).u32(total).raw(body).pad4().u32(total).build();
}

export type PcapngBlock =
  | { kind: 'section'; major?: number }
  | { kind: 'interface'; linkType: number; snapLength?: number; tsresol?: number; tsoffset?: bigint }
  | { kind: 'enhanced'; interfaceId?: number; timestamp?: bigint; data: Uint8Array; originalLength?: number }
  | { kind: 'simple'; data: Uint8Array; originalLength?: number }
  | { kind: 'obsolete'; interfaceId?: number; timestamp?: bigint; data: Uint8Array }
  | { kind: 'other'; type: number; body: Uint8Array };

export function pcapng(blocks: PcapngBlock[], littleEndian = true): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const b of blocks) {
    const w = new ByteWriter(littleEndian);
    switch (b.kind) {
      case 'section':
        // Byte-order magic, version, section length -1 (unknown).
        parts.push(block(littleEndian, 0x0a0d0d0a, w.u32(0x1a2b3c4d).u16(b.major ?? 1).u16(0).u64(0xffffffffffffffffn).build()));
        break;
      case 'interface': {
        w.u16(b.linkType).u16(0).u32(b.snapLength ?? 0);
        if (b.tsresol !== undefined) w.u16(9).u16(1).raw([b.tsresol]).pad4();
        if (b.tsoffset !== undefined) w.u16(14).u16(8).u64(b.tsoffset);
        if (b.tsresol !== undefined || b.tsoffset !== undefined) w.u16(0).u16(0);
        parts.push(block(littleEndian, 1, w.build()));
        break;
      }
      case 'enhanced': {
        const ts = b.timestamp ?? 0n;
        w.u32(b.interfaceId ?? 0).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn)).u32(b.data.length).u32(b.originalLength ?? b.data.length).raw(b.data);
        parts.push(block(littleEndian, 6, w.build()));
        break;
      }
      case 'simple':
        parts.push(block(littleEndian, 3, w.u32(b.originalLength ?? b.data.length).raw(b.data).build()));
        break;
      case 'obsolete': {
        const ts = b.timestamp ?? 0n;
        w.u16(b.interfaceId ?? 0).u16(0).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn)).u32(b.data.length).u32(b.data.length).raw(b.data);
        parts.push(block(littleEndian, 2, w.build()));
        break;
      }
      case 'other':
        parts.push(block(littleEndian, b.type, b.body));
        break;
    }
  }
  return Buffer.concat(parts);
}

/** Feeds bytes as an async stream in chunks of `chunkSize` (1 exercises every straddling record). */
export async function* chunked(bytes: Uint8Array, chunkSize: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
}
