// The sFlow v5 datagram decoder: the boundary where untrusted bytes from the network become typed samples.
// It owns the datagram framing and the sample dispatch; record layouts live in flow-sample-decoder.ts and
// counter-sample-decoder.ts, the sampled packet in sampled-packet.ts.
//
// Robustness: the framing is checked first (fixed header, then every sample header must fit inside the
// datagram), so a datagram is either rejected whole with a DatagramStatus or its samples are decoded. Inside a
// well-framed datagram, a sample whose records do not fit is counted as malformed and dropped, and decoding
// goes on with the next sample. decode() never throws on any input; every loop is bounded by bytes left.
//
// Hot path: nothing is allocated per sample. Reads go through one DataView, made again only when decode() gets
// a different buffer object (at most one small object per datagram; none when a caller reuses its buffer).
// DataView getters are lowered inline by TurboFan; a helper function returning a 32/64-bit value could not be
// used instead, because a returned number above 2^30 is boxed whenever V8 declines to inline the call.
// The three views (header, flow, counter) are reused and handed to the visitor, which must copy what it
// keeps before it returns. Exceptions thrown by the visitor propagate to the caller of decode().
import { Ipv6HeaderChain } from '../net/ipv6-header-chain.js';
import { decodeCounterSample } from './counter-sample-decoder.js';
import { CounterSample, DatagramHeader, FlowSample, type SflowVisitor } from './flow-sample.js';
import { decodeFlowSample } from './flow-sample-decoder.js';
import { AgentAddressType, SampleFormat, sflowVersion5, StructSize } from './sflow-formats.js';

/** What decode() returns. Anything but ok means the whole datagram was dropped and no sample was delivered. */
export const DatagramStatus = {
  ok: 0,
  /** Shorter than its own fixed header (version, agent address, sequence, uptime, sample count). */
  truncated: 1,
  /** Version is not 5. */
  badVersion: 2,
  /** Agent address type is neither 1 (IPv4) nor 2 (IPv6). */
  badAgentAddressType: 3,
  /** num_samples is above the decoder's maxSamplesPerDatagram. */
  tooManySamples: 4,
  /** A sample header or a sample's declared length runs past the end of the datagram. */
  sampleOverrun: 5,
} as const;

export type DatagramStatusCode = (typeof DatagramStatus)[keyof typeof DatagramStatus];

/** Index = status code; snake_case, used as metric labels and in `breakwater sflow decode` reports. */
export const datagramStatusNames: readonly string[] = Object.freeze([
  'ok',
  'truncated',
  'bad_version',
  'bad_agent_address_type',
  'too_many_samples',
  'sample_overrun',
]);

export interface SflowDecoderOptions {
  /**
   * Datagrams announcing more samples are rejected (tooManySamples). Real agents send a few to a few dozen
   * per datagram (a 1500-byte MTU holds at most ~180 empty samples), so the default leaves wide room.
   */
  maxSamplesPerDatagram?: number;
}

export const defaultMaxSamplesPerDatagram = 512;

export class SflowDecoder {
  /** The last datagram's header. After a failed decode, fields read before the failure are set, the rest 0. */
  readonly header = new DatagramHeader();
  readonly flow = new FlowSample(this.header);
  readonly counter = new CounterSample(this.header);

  /** Counts for the last decode() call. On a non-ok status they are all 0. */
  lastFlowSamples = 0;
  lastCounterSamples = 0;
  /** Samples of a format this decoder does not read (e.g. 0:5 discarded packets, other enterprises). */
  lastSkippedSamples = 0;
  /** Samples dropped because a record overran the sample or was too short for its fixed fields. */
  lastMalformedSamples = 0;

  private readonly maxSamples: number;
  private readonly chain = new Ipv6HeaderChain();
  /** The buffer `view` reads; kept until the next decode() so the view can be reused for the same buffer. */
  private viewSource: Uint8Array | undefined;
  private view: DataView = new DataView(new ArrayBuffer(0));
  private viewLength = 0;

  constructor(options: SflowDecoderOptions = {}) {
    const max = options.maxSamplesPerDatagram ?? defaultMaxSamplesPerDatagram;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxSamplesPerDatagram must be a positive integer, got ${max}`);
    this.maxSamples = max;
  }

  /** Decodes one datagram and calls the visitor for each valid sample. Returns a DatagramStatus (0 = ok). */
  decode(buf: Uint8Array, visitor: SflowVisitor): number {
    this.lastFlowSamples = 0;
    this.lastCounterSamples = 0;
    this.lastSkippedSamples = 0;
    this.lastMalformedSamples = 0;
    const h = this.header;
    h.reset();
    const length = buf.length;
    // Before the view: a detached buffer has length 0, and a DataView over it would throw.
    if (length < 4) return DatagramStatus.truncated;
    // Same object but another length happens with views over resizable ArrayBuffers.
    if (buf !== this.viewSource || this.viewLength !== length) {
      this.view = new DataView(buf.buffer, buf.byteOffset, length);
      this.viewSource = buf;
      this.viewLength = length;
    }
    const v = this.view;
    h.version = v.getUint32(0);
    if (h.version !== sflowVersion5) return DatagramStatus.badVersion;
    if (length < StructSize.datagramPrefix) return DatagramStatus.truncated;
    const addressType = v.getUint32(4);
    let addressLength: number;
    if (addressType === AgentAddressType.ipv4) addressLength = 4;
    else if (addressType === AgentAddressType.ipv6) addressLength = 16;
    else return DatagramStatus.badAgentAddressType;
    const samplesStart = StructSize.datagramPrefix + addressLength + StructSize.datagramTail;
    if (length < samplesStart) return DatagramStatus.truncated;

    const agent = h.agentAddress;
    for (let i = 0; i < addressLength; i++) agent[i] = v.getUint8(8 + i);
    h.agentFamily = addressLength === 4 ? 4 : 6;
    h.agentV4 = addressLength === 4 ? v.getUint32(8) : 0;
    let p = StructSize.datagramPrefix + addressLength;
    h.subAgentId = v.getUint32(p);
    h.sequence = v.getUint32(p + 4);
    h.uptimeMs = v.getUint32(p + 8);
    const sampleCount = v.getUint32(p + 12);
    h.sampleCount = sampleCount;
    if (sampleCount > this.maxSamples) return DatagramStatus.tooManySamples;

    // Framing pass: prove every sample fits before delivering any, so a datagram is all or nothing.
    p = samplesStart;
    for (let i = 0; i < sampleCount; i++) {
      if (length - p < StructSize.recordHeader) return DatagramStatus.sampleOverrun;
      const sampleLength = v.getUint32(p + 4);
      if (sampleLength > length - p - StructSize.recordHeader) return DatagramStatus.sampleOverrun;
      p += StructSize.recordHeader + sampleLength;
    }
    // Bytes after the last announced sample are ignored, as other collectors do.

    p = samplesStart;
    for (let i = 0; i < sampleCount; i++) {
      // Enterprise 0 formats equal their whole data_format word; any other enterprise lands in "skipped".
      const format = v.getUint32(p);
      const start = p + StructSize.recordHeader;
      const end = start + v.getUint32(p + 4);
      p = end;
      if (format === SampleFormat.flow || format === SampleFormat.expandedFlow) {
        if (decodeFlowSample(v, start, end, format === SampleFormat.expandedFlow, this.flow, this.chain)) {
          this.lastFlowSamples++;
          visitor.onFlowSample(this.flow, buf);
        } else {
          this.lastMalformedSamples++;
        }
      } else if (format === SampleFormat.counter || format === SampleFormat.expandedCounter) {
        if (decodeCounterSample(v, start, end, format === SampleFormat.expandedCounter, this.counter)) {
          this.lastCounterSamples++;
          visitor.onCounterSample(this.counter);
        } else {
          this.lastMalformedSamples++;
        }
      } else {
        this.lastSkippedSamples++;
      }
    }
    return DatagramStatus.ok;
  }
}
