// The attack capture: keeps recent sampled packet headers from every FlowBatch's header section (flow-batch.ts)
// so that an attack's capture starts before its detection, and writes each attack's samples to
// DATADIR/attacks/<attack id>.pcap (attack-pcap-path.ts) from attack.started to attack.ended.
//
// What is kept (all preallocated, fixed when the component is made):
// - a Space-Saving table of the top `trackedDestinations` destinations by recent sample count
//   (destination-heavy-hitters.ts), each with a ring of its last `ringDepth` headers (header-rings.ts);
// - one global ring of `globalRingDepth` headers of destinations not tracked: samples the table did not admit
//   (traffic spread over many destinations) and the first sample of a destination that just took a slot. It keeps
//   every `stride`-th of them, the stride set each second from the last second's count so that the ring spans
//   about a second (GLOBAL_RING_SPAN_MS): 1 while fewer than globalRingDepth untracked samples arrive a second,
//   ~300 at 600 k/s, where keeping all of them copied a header per sample into a ring that turned over every
//   3 ms. The expected number of a target's samples in the ring is the same either way (depth × its share of the
//   untracked traffic); what the stride changes is the time they come from: the second before the attack was
//   decided, its onset included, instead of its last milliseconds.
//   Each header kept is copied once, into its destination's ring or into the global ring.
// Memory: (trackedDestinations × ringDepth + globalRingDepth) × (snapLength + 44) bytes of rings, plus the
// table (~61 bytes per tracked destination) and writeBufferBytes of write chunks. report() gives the figure.
//
// On attack.started the file starts with the target's ring entries (a host: its own ring; a prefix: the rings
// of every tracked destination inside it) and the global ring's entries for the target, without duplicates,
// oldest first; then every sample to the target is appended until attack.ended closes the file. Writes are
// buffered and asynchronous (attack-pcap-file.ts); old files are pruned (capture-retention.ts).
//
// consume() is a BatchConsumer listener on the intake's hot path: it allocates nothing per sample and never
// throws for bad data (a checked batch's section is trusted, see checkBatch). It must not reach backwards:
// it reads batches and attack events, and writes files; it decides nothing about attacks.
import { mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AttackBus } from '../bus/event-bus.js';
import type { Component } from '../component.js';
import type { AttackRecord } from '../detection/attack.js';
import { BATCH_HEADER_BYTES, DatagramField, FlowField, HeaderField, headerBytesOffset, headerSectionOffset, RECORD_BYTES, RecordKind } from '../intake/flow-batch.js';
import type { Logger } from '../log.js';
import { linkTypeOfSflowHeader } from '../pcap/pcap-writer.js';
import { AttackPcapFile, CHUNK_BYTES, ChunkPool } from './attack-pcap-file.js';
import { attackPcapPath, attacksDir } from './attack-pcap-path.js';
import type { CaptureConfig } from './capture-schema.js';
import { pruneAttackPcaps } from './capture-retention.js';
import { captureTargetOf, targetContains, type CaptureTarget } from './capture-target.js';
import { DestinationHeavyHitters } from './destination-heavy-hitters.js';
import { HeaderRings } from './header-rings.js';

/** How often the table's counts are halved (so "top" means recent). */
export const DECAY_INTERVAL_MS = 10_000;
/** The time the global ring should span: its stride is set once per span from the untracked samples of the last one. */
export const GLOBAL_RING_SPAN_MS = 1000;
const FLUSH_INTERVAL_MS = 1000;
const PRUNE_INTERVAL_MS = 3_600_000;

export interface AttackCaptureOptions {
  config: CaptureConfig;
  dataDir: string;
  bus: AttackBus;
  log: Logger;
}

interface ActiveCapture {
  attack: AttackRecord;
  target: CaptureTarget;
  file: AttackPcapFile;
  preAttackPackets: number;
}

export class AttackCapture implements Component {
  readonly name = 'capture';
  readonly enabled: boolean;
  readonly destinations: DestinationHeavyHitters | undefined;
  readonly rings: HeaderRings | undefined;
  readonly globalRing: HeaderRings | undefined;
  private readonly pool: ChunkPool | undefined;
  private readonly active = new Map<string, ActiveCapture>();
  /** The active captures as an array, for the per-sample loop. */
  private activeList: ActiveCapture[] = [];
  private readonly closing = new Set<Promise<void>>();
  private unsubscribe: (() => void)[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<void> | undefined;
  private lastDecayMs = 0;
  private sampleSequence = 0;
  /** The global ring keeps every globalStride-th untracked sample; globalCountdown counts down to the next one. */
  private globalStride = 1;
  private globalCountdown = 1;
  private untrackedThisSpan = 0;
  private spanStartMs = 0;
  private started = false;
  // Views of the last batch buffer (in-process, the writer reuses one buffer).
  private cachedBuffer: ArrayBufferLike | undefined;
  private cachedOffset = -1;
  private cachedLength = -1;
  private u8: Uint8Array = new Uint8Array(0);
  private u32: Uint32Array = new Uint32Array(0);
  private f64: Float64Array = new Float64Array(0);
  private view: DataView = new DataView(new ArrayBuffer(0));

  /** Counters for /health. */
  batches = 0;
  samples = 0;
  samplesUnsupportedProtocol = 0;
  /** Untracked samples the global ring's stride passed over (not copied). */
  globalRingSkipped = 0;
  attacksCaptured = 0;
  attacksNotCaptured = 0;
  preAttackPackets = 0;
  writeErrors = 0;
  filesPruned = 0;
  bytesPruned = 0;
  /** Totals of files already closed (the active files' own counts are added in report()). */
  private closedTotals: FileTotals = { packets: 0, bytes: 0, overLimit: 0, droppedNoBuffer: 0, linkTypeMismatch: 0, droppedAfterError: 0 };
  private lastPrune: { files: number; bytes: number } = { files: 0, bytes: 0 };

  constructor(private readonly options: AttackCaptureOptions) {
    const c = options.config;
    this.enabled = c.enabled;
    if (!c.enabled) return;
    this.destinations = new DestinationHeavyHitters(c.trackedDestinations);
    this.rings = new HeaderRings(c.trackedDestinations, c.ringDepth, c.snapLength);
    this.globalRing = new HeaderRings(1, c.globalRingDepth, c.snapLength);
    this.pool = new ChunkPool(c.writeBufferBytes);
  }

  /** The header snap length the intake should carry (0: capture off, no header section). */
  get headerSnapLength(): number {
    return this.enabled ? this.options.config.snapLength : 0;
  }

  async start(): Promise<void> {
    if (!this.enabled) return;
    await mkdir(attacksDir(this.options.dataDir), { recursive: true, mode: 0o750 });
    const bus = this.options.bus;
    this.unsubscribe = [bus.on('attack.started', (e) => this.attackStarted(e.attack)), bus.on('attack.ended', (e) => this.attackEnded(e.attack))];
    this.flushTimer = setInterval(() => this.flushAll(), FLUSH_INTERVAL_MS);
    this.flushTimer.unref();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
    this.started = true;
    this.prune();
  }

  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.started = false;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer);
    if (this.pruneTimer !== undefined) clearInterval(this.pruneTimer);
    this.flushTimer = undefined;
    this.pruneTimer = undefined;
    // Files of attacks still going on are closed as they are: complete up to now, readable.
    for (const a of [...this.active.values()]) this.finish(a);
    await Promise.all([...this.closing]);
    await this.pruning;
  }

  /** Resolves when every file being closed is closed (for tests and shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.closing]);
    await this.pruning;
  }

  /** The BatchConsumer listener: files each sample's header into the rings and the active attacks' files. */
  consume(batch: Uint8Array): void {
    if (!this.enabled) return;
    this.viewsFor(batch);
    const u8 = this.u8;
    const u32 = this.u32;
    const snap = u32[HeaderField.headerSnap >>> 2]!;
    if (snap === 0) return;
    this.batches++;
    const count = u32[HeaderField.count >>> 2]!;
    const base = this.f64[HeaderField.baseTimeMs >>> 3]!;
    if (base - this.lastDecayMs >= DECAY_INTERVAL_MS) {
      if (this.lastDecayMs !== 0) this.destinations!.decay();
      this.lastDecayMs = base;
    }
    if (base - this.spanStartMs >= GLOBAL_RING_SPAN_MS) {
      // Keep about a span's worth: the last span's untracked samples over the ring's depth (a longer gap between
      // batches counts as one span, so after a pause the stride is, if anything, too small: more is kept, not less).
      const stride = Math.floor(this.untrackedThisSpan / this.globalRing!.depth);
      this.globalStride = stride > 1 ? stride : 1;
      if (this.globalCountdown > this.globalStride) this.globalCountdown = this.globalStride;
      this.untrackedThisSpan = 0;
      this.spanStartMs = base;
    }
    const offsets = headerSectionOffset(count) >>> 2;
    const bytesAt = headerBytesOffset(count);
    const table = this.destinations!;
    const rings = this.rings!;
    const globalRing = this.globalRing!;
    const active = this.activeList;
    const view = this.view;
    let now = base;
    for (let r = 0; r < count; r++) {
      const at = BATCH_HEADER_BYTES + r * RECORD_BYTES;
      const kind = u8[at]!;
      if (kind === RecordKind.datagram) {
        now = base + u32[(at + DatagramField.timeOffsetMs) >>> 2]!;
        continue;
      }
      if (kind !== RecordKind.flow) continue;
      const from = u32[offsets + r]!;
      const length = u32[offsets + r + 1]! - from;
      if (length === 0) continue;
      const family = u8[at + FlowField.ipVersion]!;
      if (family !== 4 && family !== 6) continue;
      const protocol = u8[at + FlowField.headerProtocol]!;
      if (linkTypeOfSflowHeader(protocol) < 0) {
        this.samplesUnsupportedProtocol++;
        continue;
      }
      this.samples++;
      const a = (at + FlowField.dstAddress) >>> 2;
      const w0 = u32[a]!;
      const w1 = u32[a + 1]!;
      const w2 = u32[a + 2]!;
      const w3 = u32[a + 3]!;
      const rate = u32[(at + FlowField.samplingRate) >>> 2]!;
      const frame = u32[(at + FlowField.frameLength) >>> 2]!;
      const sequence = ++this.sampleSequence;
      // Each header is copied once: a destination already tracked keeps it in its own ring; a sample the table
      // did not admit, and the first sample of a destination that just took a slot (its ring starts empty), go
      // to the global ring.
      const slot = table.observe(family, w0, w1, w2, w3);
      if (slot < 0 || table.lastWasNew) {
        if (slot >= 0) rings.clear(slot);
        this.untrackedThisSpan++;
        if (--this.globalCountdown === 0) {
          this.globalCountdown = this.globalStride;
          globalRing.push(0, view, bytesAt + from, length, now, sequence, rate, frame, protocol, family, w0, w1, w2, w3);
        } else {
          this.globalRingSkipped++;
        }
      } else {
        rings.push(slot, view, bytesAt + from, length, now, sequence, rate, frame, protocol, family, w0, w1, w2, w3);
      }
      for (let i = 0; i < active.length; i++) {
        const c = active[i]!;
        if (targetContains(c.target, family, w0, w1, w2, w3)) c.file.append(view, bytesAt + from, length, now, frame, protocol);
      }
    }
  }

  /** The /health `capture` section. */
  report(): Record<string, unknown> {
    const c = this.options.config;
    if (!this.enabled) return { enabled: false };
    const totals = { ...this.closedTotals };
    for (const a of this.active.values()) addFileCounts(totals, a.file);
    const memory = this.rings!.memoryBytes + this.globalRing!.memoryBytes + this.destinations!.memoryBytes;
    return {
      enabled: true,
      snapLength: c.snapLength,
      batches: this.batches,
      samples: this.samples,
      samplesUnsupportedProtocol: this.samplesUnsupportedProtocol,
      trackedDestinations: this.destinations!.size,
      trackedDestinationsMax: c.trackedDestinations,
      trackedEvictions: this.destinations!.evictions,
      trackedNotAdmitted: this.destinations!.notAdmitted,
      ringEntries: this.rings!.totalEntries,
      ringEntriesMax: c.trackedDestinations * c.ringDepth,
      globalRingEntries: this.globalRing!.totalEntries,
      globalRingEntriesMax: c.globalRingDepth,
      globalRingStride: this.globalStride,
      globalRingSkipped: this.globalRingSkipped,
      memoryBytes: memory,
      writeBufferBytes: this.pool!.chunks * CHUNK_BYTES,
      writeBufferFreeChunks: this.pool!.available,
      activeAttacks: this.active.size,
      attacksCaptured: this.attacksCaptured,
      attacksNotCaptured: this.attacksNotCaptured,
      preAttackPackets: this.preAttackPackets,
      packetsWritten: totals.packets,
      bytesWritten: totals.bytes,
      packetsOverLimit: totals.overLimit,
      packetsDroppedBufferFull: totals.droppedNoBuffer,
      packetsLinkTypeMismatch: totals.linkTypeMismatch,
      packetsDroppedAfterWriteError: totals.droppedAfterError,
      writeErrors: this.writeErrors,
      files: this.lastPrune.files,
      filesBytes: this.lastPrune.bytes,
      filesPruned: this.filesPruned,
      bytesPruned: this.bytesPruned,
    };
  }

  private attackStarted(attack: AttackRecord): void {
    if (!this.started || this.active.has(attack.id)) return;
    const log = this.options.log;
    const target = captureTargetOf(attack.target);
    let path: string;
    try {
      if (target === undefined) throw new Error(`target ${JSON.stringify(attack.target)} is not an address or prefix`);
      path = attackPcapPath(this.options.dataDir, attack.id);
    } catch (err) {
      this.attacksNotCaptured++;
      log.warn({ err, attackId: attack.id }, 'attack not captured');
      return;
    }
    if (this.active.size >= this.options.config.maxActiveAttacks) {
      this.attacksNotCaptured++;
      log.warn({ attackId: attack.id, maxActiveAttacks: this.options.config.maxActiveAttacks }, 'attack not captured: capture.maxActiveAttacks attacks are being captured already');
      return;
    }
    const c = this.options.config;
    const file = new AttackPcapFile(path, this.pool!, { snapLength: c.snapLength, maxPackets: c.maxPacketsPerAttack, maxBytes: c.maxBytesPerAttack }, {
      onWriteError: (err) => {
        this.writeErrors++;
        log.error({ err, attackId: attack.id, path }, 'attack pcap file could not be written; its capture stops (the appliance goes on)');
      },
    });
    const capture: ActiveCapture = { attack, target: target!, file, preAttackPackets: 0 };
    capture.preAttackPackets = this.writeRecent(capture);
    this.preAttackPackets += capture.preAttackPackets;
    this.active.set(attack.id, capture);
    this.activeList = [...this.active.values()];
    this.attacksCaptured++;
    log.info({ attackId: attack.id, target: attack.target, path, preAttackPackets: capture.preAttackPackets }, 'attack capture started');
  }

  private attackEnded(attack: AttackRecord): void {
    const capture = this.active.get(attack.id);
    if (capture === undefined) return;
    this.finish(capture);
    this.prune();
  }

  /** Writes the target's ring entries (tracked rings, then the global ring), deduplicated, oldest first. */
  private writeRecent(capture: ActiveCapture): number {
    const rings = this.rings!;
    const globalRing = this.globalRing!;
    const table = this.destinations!;
    const t = capture.target;
    const picked: { ring: HeaderRings; entry: number; sequence: number }[] = [];
    const seen = new Set<number>();
    const pick = (ring: HeaderRings, entry: number): void => {
      const sequence = ring.sequence[entry]!;
      if (seen.has(sequence)) return;
      const k = entry * 4;
      if (!targetContains(t, ring.family[entry]!, ring.words[k]!, ring.words[k + 1]!, ring.words[k + 2]!, ring.words[k + 3]!)) return;
      seen.add(sequence);
      picked.push({ ring, entry, sequence });
    };
    for (let slot = 0; slot < table.size; slot++) {
      const k = slot * 4;
      if (!targetContains(t, table.family[slot]!, table.words[k]!, table.words[k + 1]!, table.words[k + 2]!, table.words[k + 3]!)) continue;
      for (const e of rings.entryIndexes(slot)) pick(rings, e);
    }
    for (const e of globalRing.entryIndexes(0)) pick(globalRing, e);
    picked.sort((a, b) => a.sequence - b.sequence);
    let written = 0;
    for (const p of picked) {
      const r = p.ring;
      const e = p.entry;
      if (capture.file.append(r.bytesView, e * r.snap, r.length[e]!, r.timeMs[e]!, r.frameLength[e]!, r.headerProtocol[e]!)) written++;
    }
    return written;
  }

  private finish(capture: ActiveCapture): void {
    const id = capture.attack.id;
    this.active.delete(id);
    this.activeList = [...this.active.values()];
    const closing = capture.file.close().then(() => {
      addFileCounts(this.closedTotals, capture.file);
      this.options.log.info(
        { attackId: id, path: capture.file.path, packets: capture.file.packets, preAttackPackets: capture.preAttackPackets, bytes: capture.file.bytes, overLimit: capture.file.overLimit, droppedBufferFull: capture.file.droppedNoBuffer },
        'attack capture closed',
      );
    });
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
  }

  private flushAll(): void {
    for (const a of this.activeList) a.file.flush();
  }

  /** Starts a retention pass unless one is running. Never rejects. */
  private prune(): void {
    if (this.pruning !== undefined) return;
    const c = this.options.config;
    const active = new Set([...this.active.values()].map((a) => basename(a.file.path)));
    this.pruning = pruneAttackPcaps(attacksDir(this.options.dataDir), { retentionDays: c.retentionDays, maxTotalBytes: c.maxTotalBytes }, active)
      .then((r) => {
        this.filesPruned += r.deleted;
        this.bytesPruned += r.deletedBytes;
        this.lastPrune = { files: r.files, bytes: r.bytes };
        if (r.deleted > 0) this.options.log.info({ deleted: r.deleted, deletedBytes: r.deletedBytes, files: r.files, bytes: r.bytes }, 'old attack pcap files deleted');
      })
      .catch((err: unknown) => this.options.log.warn({ err }, 'attack pcap retention pass failed'))
      .finally(() => {
        this.pruning = undefined;
      });
  }

  private viewsFor(bytes: Uint8Array): void {
    if (bytes.buffer !== this.cachedBuffer || bytes.byteOffset !== this.cachedOffset || bytes.byteLength > this.cachedLength) {
      this.cachedBuffer = bytes.buffer;
      this.cachedOffset = bytes.byteOffset;
      // Views over the rest of the buffer: later batches in the same (reused) buffer may be longer.
      const length = bytes.buffer.byteLength - bytes.byteOffset;
      this.cachedLength = length;
      this.u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, length);
      this.u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, length >>> 2);
      this.f64 = new Float64Array(bytes.buffer, bytes.byteOffset, length >>> 3);
      this.view = new DataView(bytes.buffer, bytes.byteOffset, length);
    }
  }
}

interface FileTotals {
  packets: number;
  bytes: number;
  overLimit: number;
  droppedNoBuffer: number;
  linkTypeMismatch: number;
  droppedAfterError: number;
}

function addFileCounts(t: FileTotals, file: AttackPcapFile): void {
  t.packets += file.packets;
  t.bytes += file.bytes;
  t.overLimit += file.overLimit;
  t.droppedNoBuffer += file.droppedNoBuffer;
  t.linkTypeMismatch += file.linkTypeMismatch;
  t.droppedAfterError += file.droppedAfterError;
}
