// Just enough protocol-buffers encoding for the three gobgpd requests Breakwater sends (AddPath, DeletePath,
// and their Path/Family submessages): varints and length-delimited fields, written in field order. Nothing
// is decoded: gobgpd's answers that matter are the gRPC status, and reads go through the gobgp CLI's JSON.
export class ProtobufWriter {
  private readonly bytes: number[] = [];

  varint(field: number, value: number): this {
    if (value === 0) return this; // proto3 default: omitted
    this.tag(field, 0);
    this.rawVarint(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    return value ? this.varint(field, 1) : this;
  }

  bytesField(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(value.length);
    for (const b of value) this.bytes.push(b);
    return this;
  }

  message(field: number, inner: ProtobufWriter): this {
    return this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint((field << 3) | wireType);
  }

  private rawVarint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.bytes.push(v);
  }
}
