// A small XDR (RFC 4506) writer for building sFlow datagrams in tests: big-endian words, opaque data padded
// to 4 bytes. Tests describe datagrams field by field with it instead of pasting byte arrays.

export class XdrWriter {
  private readonly parts: number[] = [];

  get length(): number {
    return this.parts.length;
  }

  u32(value: number): this {
    const v = value >>> 0;
    this.parts.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    return this;
  }

  /** Unsigned 64-bit from a number (exact below 2^53) or a bigint. */
  u64(value: number | bigint): this {
    const v = BigInt(value);
    return this.u32(Number(v >> 32n)).u32(Number(v & 0xffffffffn));
  }

  /** Fixed-length opaque: the bytes, then zero padding to a multiple of 4. */
  fixedOpaque(bytes: Uint8Array | readonly number[]): this {
    for (const b of bytes) this.parts.push(b & 0xff);
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }

  /** Variable-length opaque: a length word, the bytes, padding. */
  opaque(bytes: Uint8Array | readonly number[]): this {
    return this.u32(bytes.length).fixedOpaque(bytes);
  }

  /** Bytes written as they are, with no padding (for deliberately misaligned or raw content). */
  raw(bytes: Uint8Array | readonly number[]): this {
    for (const b of bytes) this.parts.push(b & 0xff);
    return this;
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}
