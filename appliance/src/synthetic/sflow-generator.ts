// Synthetic sFlow traffic: a deterministic stream of router-like datagrams (many agents, many destinations,
// a realistic mix of frame sizes and protocols, continuous sequence numbers), a bounded paced UDP sender, and
// a replay-file writer for bench/ingest's sendmmsg replayer (Node's socket.send costs microseconds per call,
// so Node alone cannot load a fast receiver; see docs/benchmarks.md). It only produces traffic: it never
// decides what a receiver should have seen beyond the totals it keeps of what it sent.
import { createSocket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { CounterSpec, FlowSpec, SflowEncoder } from './sflow-encoder.js';

export interface SflowStreamOptions {
  /** IPv4 agents 100.64.0.1, .2, ...; each with sub-agent 0. */
  agents?: number;
  /** Flow-sample sources (ifIndex) per agent; each has its own flow-sample sequence. */
  sourcesPerAgent?: number;
  /** Distinct destinations: 198.18.0.0 + i (i < destinations ≤ 131072) and 2001:db8:bw::i for IPv6. */
  destinations?: number;
  /** Share of flow samples with an IPv6 packet, 0..1. */
  ipv6Share?: number;
  /** Share of flow samples written as expanded (0:3) rather than compact (0:1). */
  expandedShare?: number;
  samplingRate?: number;
  /** Most flow samples per datagram; fewer when 1400 bytes are full. */
  maxSamplesPerDatagram?: number;
  /** A counter sample every N datagrams (0 = none). */
  counterEvery?: number;
  snapLength?: number;
  seed?: number;
  /** Keep per-destination truth (packets, bytes) in a Map: for tests, not for benchmarks. */
  trackDestinations?: boolean;
}

export interface DestinationTruth {
  samples: number;
  packets: number;
  bytes: number;
}

const V4_DEST_BASE = (198 << 24 | 18 << 16) >>> 0;
const V4_SRC_BASE = (100 << 24 | 64 << 16) >>> 0;
const AGENT_BASE = (100 << 24 | 64 << 16) >>> 0;

/** A deterministic source of sFlow datagrams with running totals of what it produced. */
export class SflowStream {
  readonly encoder = new SflowEncoder();
  readonly flow = new FlowSpec();
  readonly counter = new CounterSpec();
  private readonly o: Required<Omit<SflowStreamOptions, 'trackDestinations'>>;
  private readonly datagramSeq: Uint32Array;
  private readonly flowSeq: Uint32Array;
  private readonly counterSeq: Uint32Array;
  private readonly samplePool: Float64Array;
  private rng: number;
  private datagramIndex = 0;
  /** Totals of every flow sample written so far. */
  flowSamples = 0;
  counterSamples = 0;
  datagrams = 0;
  packets = 0;
  bytes = 0;
  readonly truth: Map<string, DestinationTruth> | undefined;

  constructor(options: SflowStreamOptions = {}) {
    this.o = {
      agents: options.agents ?? 4,
      sourcesPerAgent: options.sourcesPerAgent ?? 4,
      destinations: Math.min(options.destinations ?? 100_000, 131_072),
      ipv6Share: options.ipv6Share ?? 0,
      expandedShare: options.expandedShare ?? 0.5,
      samplingRate: options.samplingRate ?? 1000,
      maxSamplesPerDatagram: options.maxSamplesPerDatagram ?? 10,
      counterEvery: options.counterEvery ?? 50,
      snapLength: options.snapLength ?? 128,
      seed: options.seed ?? 1,
    };
    const streams = this.o.agents * this.o.sourcesPerAgent;
    this.datagramSeq = new Uint32Array(this.o.agents);
    this.flowSeq = new Uint32Array(streams);
    this.counterSeq = new Uint32Array(streams);
    this.samplePool = new Float64Array(streams);
    this.rng = this.o.seed >>> 0 || 1;
    this.truth = options.trackDestinations ? new Map() : undefined;
  }

  /** Agent address of agent i as a u32 (100.64.0.1 + i). */
  static agentAddress(i: number): number {
    return (AGENT_BASE + 1 + i) >>> 0;
  }

  /** Writes the next datagram into the encoder and returns a view of it (valid until the next call). */
  next(): Uint8Array {
    const o = this.o;
    const enc = this.encoder;
    const agent = this.datagramIndex % o.agents;
    this.datagramIndex++;
    const seq = ++this.datagramSeq[agent]!;
    enc.begin({ agent: SflowStream.agentAddress(agent), subAgentId: 0, sequence: seq, uptimeMs: 1_000_000 + seq * 10 });
    if (o.counterEvery > 0 && seq % o.counterEvery === 0) this.writeCounter(agent);
    let n = 0;
    while (n < o.maxSamplesPerDatagram) {
      this.shapeFlow(agent, n);
      if (!enc.addFlowSample(this.flow)) {
        // Did not fit: the source's sequence was not used.
        const stream = agent * o.sourcesPerAgent + (this.flow.sourceIdIndex - 1);
        this.flowSeq[stream]!--;
        this.samplePool[stream] = (this.samplePool[stream]! - this.flow.samplingRate + 4294967296) % 4294967296;
        break;
      }
      this.account();
      n++;
    }
    this.datagrams++;
    return enc.datagram;
  }

  private writeCounter(agent: number): void {
    const c = this.counter;
    const stream = agent * this.o.sourcesPerAgent;
    c.expanded = false;
    c.sourceIdType = 0;
    c.sourceIdIndex = 1;
    c.ifIndex = 1;
    c.sequence = ++this.counterSeq[stream]!;
    c.inOctets = this.bytes;
    c.inUcastPkts = this.packets >>> 0;
    this.encoder.addCounterSample(c);
    this.counterSamples++;
  }

  private shapeFlow(agent: number, n: number): void {
    const o = this.o;
    const f = this.flow;
    const source = (n + this.datagramIndex) % o.sourcesPerAgent;
    const stream = agent * o.sourcesPerAgent + source;
    f.sourceIdType = 0;
    f.sourceIdIndex = source + 1;
    f.inputIfIndex = source + 1;
    f.outputIfIndex = 100;
    f.sequence = ++this.flowSeq[stream]!;
    f.samplingRate = o.samplingRate;
    this.samplePool[stream] = (this.samplePool[stream]! + o.samplingRate) % 4294967296;
    f.samplePool = this.samplePool[stream]!;
    f.expanded = this.random() < o.expandedShare;
    f.snapLength = o.snapLength;
    f.headerProtocol = 1;
    const r = this.random();
    // Roughly what an edge router sees during an attack mix: many small packets, a body of full-size ones.
    f.frameLength = r < 0.35 ? 64 + (this.nextInt() % 64) : r < 0.55 ? 128 + (this.nextInt() % 600) : 1400 + (this.nextInt() % 118);
    const dest = this.nextInt() % o.destinations;
    f.ipVersion = this.random() < o.ipv6Share ? 6 : 4;
    if (f.ipVersion === 4) {
      f.dstV4 = (V4_DEST_BASE + dest) >>> 0;
      f.srcV4 = (V4_SRC_BASE + (this.nextInt() & 0x3fffff)) >>> 0;
    } else {
      setV6(f.dstAddress6, dest);
      setV6(f.srcAddress6, 0x800000 + (this.nextInt() & 0xffff));
    }
    const p = this.random();
    if (p < 0.6) {
      f.protocol = 17;
      f.srcPort = p < 0.2 ? 53 : p < 0.3 ? 123 : 1024 + (this.nextInt() % 60000);
      f.dstPort = 1024 + (this.nextInt() % 60000);
    } else if (p < 0.95) {
      f.protocol = 6;
      f.srcPort = 1024 + (this.nextInt() % 60000);
      f.dstPort = p < 0.8 ? 443 : 80;
      f.tcpFlags = p < 0.7 ? 0x02 : 0x10;
    } else {
      f.protocol = f.ipVersion === 4 ? 1 : 58;
      f.srcPort = 0;
      f.dstPort = 0;
      f.icmpType = f.ipVersion === 4 ? 8 : 128;
      f.icmpCode = 0;
    }
    // The IPv6 header is 20 bytes longer; keep frames legal.
    if (f.ipVersion === 6 && f.frameLength < 90) f.frameLength = 90;
  }

  private account(): void {
    const f = this.flow;
    this.flowSamples++;
    this.packets += f.samplingRate;
    this.bytes += f.samplingRate * f.frameLength;
    if (this.truth) {
      const key = f.ipVersion === 4 ? v4String(f.dstV4) : v6String(f.dstAddress6);
      let t = this.truth.get(key);
      if (!t) this.truth.set(key, (t = { samples: 0, packets: 0, bytes: 0 }));
      t.samples++;
      t.packets += f.samplingRate;
      t.bytes += f.samplingRate * f.frameLength;
    }
  }

  /** xorshift32: deterministic and allocation-free. */
  private nextInt(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  private random(): number {
    return this.nextInt() / 4294967296;
  }
}

function setV6(out: Uint8Array, i: number): void {
  out.fill(0);
  out[0] = 0x20; out[1] = 0x01; out[2] = 0x0d; out[3] = 0xb8; out[4] = 0x0b; out[5] = 0x0e;
  out[13] = (i >>> 16) & 0xff;
  out[14] = (i >>> 8) & 0xff;
  out[15] = i & 0xff;
}

export function v4String(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** Full (uncompressed) lower-case IPv6 text, the form Breakwater reports destinations in. */
export function v6String(b: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return compressV6(parts);
}

function compressV6(parts: string[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return parts.join(':');
  return `${parts.slice(0, bestStart).join(':')}::${parts.slice(bestStart + bestLen).join(':')}`;
}

export interface SendOptions {
  host: string;
  port: number;
  /** Flow samples per second to aim for. */
  samplesPerSecond: number;
  /** Stops after this many datagrams ... */
  maxDatagrams?: number;
  /** ... or this long, whichever comes first (always bounded). */
  maxSeconds: number;
}

export interface SendResult {
  datagrams: number;
  flowSamples: number;
  errors: number;
  seconds: number;
}

/**
 * Sends the stream over UDP from Node, paced to samplesPerSecond, until a count or time limit. Good for tests
 * and for rates up to roughly 100–200k samples/s; bench/ingest uses the sendmmsg replayer beyond that.
 */
export async function sendSflow(stream: SflowStream, options: SendOptions): Promise<SendResult> {
  const socket = createSocket(isIPv6(options.host) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(options.port, options.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  let errors = 0;
  socket.on('error', () => errors++);
  const start = performance.now();
  const maxDatagrams = options.maxDatagrams ?? Number.POSITIVE_INFINITY;
  const startSamples = stream.flowSamples;
  let datagrams = 0;
  let inFlight = 0;
  const onSent = (err: Error | null) => {
    inFlight--;
    if (err) errors++;
  };
  try {
    while (datagrams < maxDatagrams) {
      const elapsed = (performance.now() - start) / 1000;
      if (elapsed >= options.maxSeconds) break;
      const due = options.samplesPerSecond * elapsed - (stream.flowSamples - startSamples);
      if (due <= 0 || inFlight > 256) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      // Send what is due in one go, then yield so completions run.
      for (let sent = 0; sent < due && datagrams < maxDatagrams && sent < 2000; ) {
        const before = stream.flowSamples;
        const bytes = Buffer.from(stream.next());
        sent += stream.flowSamples - before;
        inFlight++;
        socket.send(bytes, onSent);
        datagrams++;
      }
      await new Promise((r) => setImmediate(r));
    }
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 1));
  } finally {
    socket.close();
  }
  return { datagrams, flowSamples: stream.flowSamples - startSamples, errors, seconds: (performance.now() - start) / 1000 };
}

export interface ReplayFileInfo {
  datagrams: number;
  flowSamples: number;
  /** flowSamplesBefore[i]: flow samples in datagrams [0, i) of the file, for counting partial passes. */
  flowSamplesBefore: Uint32Array;
  packets: number;
  bytes: number;
}

/**
 * Writes `count` datagrams of the stream as a replay file for bench/ingest/sflow-replay.c (format described
 * there), with patches that advance every sequence number by its stream's count per pass over the file.
 */
export async function writeReplayFile(path: string, stream: SflowStream, count: number): Promise<ReplayFileInfo> {
  const chunks: Buffer[] = [];
  const header = Buffer.alloc(16);
  header.writeUInt32LE(0x52535742, 0);
  header.writeUInt32LE(1, 4);
  header.writeUInt32LE(count, 8);
  chunks.push(header);
  // First pass: the datagrams and where their sequence numbers are; increments are known only at the end.
  const pending: { bytes: Buffer; patches: { offset: number; key: string }[] }[] = [];
  const perKey = new Map<string, number>();
  const before = new Uint32Array(count + 1);
  const startSamples = stream.flowSamples;
  const startPackets = stream.packets;
  const startBytes = stream.bytes;
  for (let i = 0; i < count; i++) {
    before[i] = stream.flowSamples - startSamples;
    const bytes = Buffer.from(stream.next());
    const f = stream.encoder.sequenceFields;
    const agent = bytes.readUInt32BE(8);
    const patches = [{ offset: f.datagram, key: `d/${agent}` }];
    for (let s = 0; s < f.samples.length; s++) patches.push({ offset: f.samples[s]!, key: `${f.kinds[s]}/${agent}/${f.sourceIds[s]}` });
    for (const p of patches) perKey.set(p.key, (perKey.get(p.key) ?? 0) + 1);
    pending.push({ bytes, patches });
  }
  before[count] = stream.flowSamples - startSamples;
  for (const d of pending) {
    const h = Buffer.alloc(4 + d.patches.length * 8);
    h.writeUInt16LE(d.bytes.length, 0);
    h.writeUInt16LE(d.patches.length, 2);
    d.patches.forEach((p, k) => {
      h.writeUInt16LE(p.offset, 4 + k * 8);
      h.writeUInt32LE(perKey.get(p.key)!, 8 + k * 8);
    });
    chunks.push(h, d.bytes, Buffer.alloc((4 - (d.bytes.length & 3)) & 3));
  }
  await writeFile(path, Buffer.concat(chunks));
  return {
    datagrams: count,
    flowSamples: before[count]!,
    flowSamplesBefore: before,
    packets: stream.packets - startPackets,
    bytes: stream.bytes - startBytes,
  };
}
