// Writes valid sFlow v5 datagrams (sflow_version_5.txt) into one reused buffer: flow samples (compact 0:1 and
// expanded 0:3) carrying a sampled-header record (Ethernet, IPv4 or IPv6 header protocol) and counter samples
// (0:2 / 0:4) with generic interface counters. It is the source of traffic for tests and benchmarks, so it
// allocates nothing per sample and sizes datagrams the way routers do (≤ 1400 bytes, ~7–10 samples of
// 128-byte headers). It does not decide what traffic looks like: the caller fills a reused FlowSpec.

/** What one flow sample describes. Reuse one instance and change its fields between calls. */
export class FlowSpec {
  expanded = false;
  sequence = 0;
  sourceIdType = 0;
  sourceIdIndex = 1;
  samplingRate = 1000;
  samplePool = 0;
  drops = 0;
  inputIfIndex = 1;
  outputIfIndex = 2;
  /** 1 Ethernet, 11 IPv4, 12 IPv6: how the sampled header starts. */
  headerProtocol: 1 | 11 | 12 = 1;
  /** Most header bytes kept, as a router's "header size" (128 is common). */
  snapLength = 128;
  /** Original frame length on the wire (L2 for Ethernet, else the IP packet length). */
  frameLength = 1000;
  /** 802.1Q tag on the Ethernet frame, -1 for none. */
  vlan = -1;
  ipVersion: 4 | 6 = 4;
  /** IPv4 addresses as u32; for IPv6 use srcAddress6/dstAddress6. */
  srcV4 = 0;
  dstV4 = 0;
  readonly srcAddress6 = new Uint8Array(16);
  readonly dstAddress6 = new Uint8Array(16);
  /** 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, or anything else (then no L4 header is written). */
  protocol = 17;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  icmpType = 0;
  icmpCode = 0;
  ttl = 64;
  dscp = 0;
  /** Fragment offset in 8-byte units; a non-zero offset writes no L4 header, as on the wire. */
  fragmentOffset = 0;
  moreFragments = false;
}

/** Generic interface counters for a counter sample. Reuse one instance. */
export class CounterSpec {
  expanded = false;
  sequence = 0;
  sourceIdType = 0;
  sourceIdIndex = 1;
  ifIndex = 1;
  ifType = 6;
  ifSpeed = 10_000_000_000;
  ifDirection = 1;
  ifStatus = 3;
  inOctets = 0;
  inUcastPkts = 0;
  outOctets = 0;
  outUcastPkts = 0;
}

export interface DatagramSpec {
  /** IPv4 agent as u32, or an IPv6 agent as 16 bytes. */
  agent: number | Uint8Array;
  subAgentId: number;
  sequence: number;
  uptimeMs: number;
}

/** Where the sequence numbers of the datagram just written sit (for replay tools that advance them). */
export interface SequenceFields {
  /** Byte offset of the datagram sequence number. */
  datagram: number;
  /** Byte offsets of each sample's sequence number, in order. */
  samples: number[];
  /** For each entry of samples: 'flow' or 'counter', and its source id (type << 24 | index). */
  kinds: ('flow' | 'counter')[];
  sourceIds: number[];
}

const MAX_DATAGRAM = 1400;

export class SflowEncoder {
  /** The datagram being written; valid bytes are [0, length). */
  readonly buffer: Uint8Array;
  private readonly view: DataView;
  private pos = 0;
  private sampleCountOffset = 0;
  private samples = 0;
  private readonly limit: number;
  /** Sequence field offsets of the current datagram; reused arrays (cleared on begin). */
  readonly sequenceFields: SequenceFields = { datagram: 0, samples: [], kinds: [], sourceIds: [] };

  constructor(maxDatagramBytes = MAX_DATAGRAM) {
    this.limit = maxDatagramBytes;
    // Slack past the limit: a packet shorter than its own headers (a tiny frame) has them written in full
    // and then cut to its length, so the writes may run past the datagram's end.
    this.buffer = new Uint8Array(maxDatagramBytes + 128);
    this.view = new DataView(this.buffer.buffer);
  }

  get length(): number {
    return this.pos;
  }

  get sampleCount(): number {
    return this.samples;
  }

  /** The finished datagram (a view of the reused buffer: copy it to keep it). */
  get datagram(): Uint8Array {
    return this.buffer.subarray(0, this.pos);
  }

  begin(spec: DatagramSpec): void {
    const v = this.view;
    this.pos = 0;
    this.samples = 0;
    this.sequenceFields.samples.length = 0;
    this.sequenceFields.kinds.length = 0;
    this.sequenceFields.sourceIds.length = 0;
    this.u32(5);
    if (typeof spec.agent === 'number') {
      this.u32(1);
      this.u32(spec.agent);
    } else {
      this.u32(2);
      this.buffer.set(spec.agent.subarray(0, 16), this.pos);
      this.pos += 16;
    }
    this.u32(spec.subAgentId);
    this.sequenceFields.datagram = this.pos;
    this.u32(spec.sequence);
    this.u32(spec.uptimeMs);
    this.sampleCountOffset = this.pos;
    v.setUint32(this.pos, 0);
    this.pos += 4;
  }

  /** Bytes a flow sample for this spec takes, to know whether it still fits. */
  flowSampleSize(spec: FlowSpec): number {
    const header = Math.min(spec.snapLength, this.headerBytes(spec));
    const record = 8 + 16 + ((header + 3) & ~3);
    return 8 + (spec.expanded ? 44 : 32) + record;
  }

  /** Appends a flow sample with one sampled-header record; false (and nothing written) if it does not fit. */
  addFlowSample(spec: FlowSpec): boolean {
    if (this.pos + this.flowSampleSize(spec) > this.limit) return false;
    this.u32(spec.expanded ? 3 : 1);
    const lengthAt = this.pos;
    this.pos += 4;
    this.noteSequence('flow', spec.sourceIdType, spec.sourceIdIndex);
    this.u32(spec.sequence);
    if (spec.expanded) {
      this.u32(spec.sourceIdType);
      this.u32(spec.sourceIdIndex);
    } else {
      this.u32(((spec.sourceIdType & 0xff) << 24 | (spec.sourceIdIndex & 0xffffff)) >>> 0);
    }
    this.u32(spec.samplingRate);
    this.u32(spec.samplePool);
    this.u32(spec.drops);
    if (spec.expanded) {
      this.u32(0);
      this.u32(spec.inputIfIndex);
      this.u32(0);
      this.u32(spec.outputIfIndex);
    } else {
      this.u32(spec.inputIfIndex & 0x3fffffff);
      this.u32(spec.outputIfIndex & 0x3fffffff);
    }
    this.u32(1); // one flow record
    // Flow record 0:1 sampled header.
    this.u32(1);
    const recordLengthAt = this.pos;
    this.pos += 4;
    const recordStart = this.pos;
    this.u32(spec.headerProtocol);
    this.u32(spec.frameLength);
    this.u32(spec.headerProtocol === 1 ? 4 : 0); // stripped: the FCS, as switches report it
    const headerLengthAt = this.pos;
    this.pos += 4;
    const headerStart = this.pos;
    const written = this.writeHeader(spec, headerStart);
    const headerLength = Math.min(spec.snapLength, written);
    this.view.setUint32(headerLengthAt, headerLength);
    this.pos = headerStart + headerLength;
    while ((this.pos & 3) !== 0) this.buffer[this.pos++] = 0;
    this.view.setUint32(recordLengthAt, this.pos - recordStart);
    this.view.setUint32(lengthAt, this.pos - lengthAt - 4);
    this.samples++;
    this.view.setUint32(this.sampleCountOffset, this.samples);
    return true;
  }

  /** Appends a counter sample with one generic interface counters record; false if it does not fit. */
  addCounterSample(spec: CounterSpec): boolean {
    const size = 8 + (spec.expanded ? 16 : 12) + 8 + 88;
    if (this.pos + size > this.limit) return false;
    this.u32(spec.expanded ? 4 : 2);
    this.u32(size - 8);
    this.noteSequence('counter', spec.sourceIdType, spec.sourceIdIndex);
    this.u32(spec.sequence);
    if (spec.expanded) {
      this.u32(spec.sourceIdType);
      this.u32(spec.sourceIdIndex);
    } else {
      this.u32(((spec.sourceIdType & 0xff) << 24 | (spec.sourceIdIndex & 0xffffff)) >>> 0);
    }
    this.u32(1);
    this.u32(1); // counter record 0:1 generic interface counters
    this.u32(88);
    this.u32(spec.ifIndex);
    this.u32(spec.ifType);
    this.u64(spec.ifSpeed);
    this.u32(spec.ifDirection);
    this.u32(spec.ifStatus);
    this.u64(spec.inOctets);
    this.u32(spec.inUcastPkts);
    this.u32(0); // in multicast
    this.u32(0); // in broadcast
    this.u32(0); // in discards
    this.u32(0); // in errors
    this.u32(0); // in unknown protos
    this.u64(spec.outOctets);
    this.u32(spec.outUcastPkts);
    this.u32(0);
    this.u32(0);
    this.u32(0);
    this.u32(0);
    this.u32(0); // promiscuous mode
    this.samples++;
    this.view.setUint32(this.sampleCountOffset, this.samples);
    return true;
  }

  private noteSequence(kind: 'flow' | 'counter', type: number, index: number): void {
    this.sequenceFields.samples.push(this.pos);
    this.sequenceFields.kinds.push(kind);
    this.sequenceFields.sourceIds.push(((type & 0xff) << 24 | (index & 0xffffff)) >>> 0);
  }

  /** Bytes of L2–L4 header plus payload the sampled packet has (before the snap length cut). */
  private headerBytes(spec: FlowSpec): number {
    const l2 = spec.headerProtocol === 1 ? 14 + (spec.vlan >= 0 ? 4 : 0) : 0;
    return spec.headerProtocol === 1 ? Math.max(spec.frameLength - 4, l2) : spec.frameLength;
  }

  /** Writes the sampled packet's headers at `at`, zero payload up to the snap length; returns its full length. */
  private writeHeader(spec: FlowSpec, at: number): number {
    const b = this.buffer;
    const v = this.view;
    const total = this.headerBytes(spec);
    const end = at + Math.min(spec.snapLength, total);
    let p = at;
    if (spec.headerProtocol === 1) {
      // Locally administered MACs; the exact values carry no meaning.
      v.setUint32(p, 0x02000000); v.setUint16(p + 4, 0x0001);
      v.setUint32(p + 6, 0x02000000); v.setUint16(p + 10, 0x0002);
      p += 12;
      if (spec.vlan >= 0) {
        v.setUint16(p, 0x8100);
        v.setUint16(p + 2, spec.vlan & 0xfff);
        p += 4;
      }
      v.setUint16(p, spec.ipVersion === 4 ? 0x0800 : 0x86dd);
      p += 2;
    }
    const l2 = p - at;
    const ipLength = Math.max(0, Math.min(0xffff, total - l2));
    const fragmentOffset = spec.fragmentOffset & 0x1fff;
    const hasL4 = fragmentOffset === 0;
    if (spec.ipVersion === 4) {
      const ipStart = p;
      v.setUint8(p, 0x45);
      v.setUint8(p + 1, (spec.dscp & 0x3f) << 2);
      v.setUint16(p + 2, ipLength);
      v.setUint16(p + 4, spec.sequence & 0xffff); // identification
      v.setUint16(p + 6, (spec.moreFragments ? 0x2000 : 0) | fragmentOffset);
      v.setUint8(p + 8, spec.ttl);
      v.setUint8(p + 9, spec.protocol);
      v.setUint16(p + 10, 0);
      v.setUint32(p + 12, spec.srcV4 >>> 0);
      v.setUint32(p + 16, spec.dstV4 >>> 0);
      v.setUint16(p + 10, ipv4Checksum(b, ipStart));
      p += 20;
    } else {
      v.setUint32(p, (6 << 28 | (spec.dscp & 0x3f) << 22) >>> 0);
      v.setUint16(p + 4, Math.max(0, ipLength - 40));
      v.setUint8(p + 6, spec.protocol);
      v.setUint8(p + 7, spec.ttl);
      b.set(spec.srcAddress6, p + 8);
      b.set(spec.dstAddress6, p + 24);
      p += 40;
    }
    if (hasL4) {
      if (spec.protocol === 6) {
        v.setUint16(p, spec.srcPort);
        v.setUint16(p + 2, spec.dstPort);
        v.setUint32(p + 4, spec.sequence >>> 0);
        v.setUint32(p + 8, 0);
        v.setUint8(p + 12, 0x50);
        v.setUint8(p + 13, spec.tcpFlags);
        v.setUint16(p + 14, 65535);
        v.setUint32(p + 16, 0);
        p += 20;
      } else if (spec.protocol === 17) {
        v.setUint16(p, spec.srcPort);
        v.setUint16(p + 2, spec.dstPort);
        v.setUint16(p + 4, Math.max(8, ipLength - (spec.ipVersion === 4 ? 20 : 40)));
        v.setUint16(p + 6, 0);
        p += 8;
      } else if (spec.protocol === 1 || spec.protocol === 58) {
        v.setUint8(p, spec.icmpType);
        v.setUint8(p + 1, spec.icmpCode);
        v.setUint16(p + 2, 0);
        v.setUint32(p + 4, 0);
        p += 8;
      }
    }
    // Payload: zeros up to the snap length (the header area may hold bytes of an earlier datagram).
    if (p < end) b.fill(0, p, end);
    return total;
  }

  private u32(value: number): void {
    this.view.setUint32(this.pos, value >>> 0);
    this.pos += 4;
  }

  private u64(value: number): void {
    this.view.setUint32(this.pos, Math.floor(value / 4294967296) >>> 0);
    this.view.setUint32(this.pos + 4, value >>> 0);
    this.pos += 8;
  }
}

function ipv4Checksum(b: Uint8Array, at: number): number {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (b[at + i]! << 8) | b[at + i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
