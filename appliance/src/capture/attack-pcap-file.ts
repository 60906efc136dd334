// One attack's pcap file, written without ever making the receive loop wait: records are packed into 64 KiB
// chunks taken from a pool shared by all attacks (ChunkPool, preallocated), a full chunk is queued and written
// with one async write, and the chunk goes back to the pool when the write completes. When the disk falls
// behind and the pool is empty, the sample is dropped and counted. A write error (a full disk) is logged once
// per file and counted; the file is closed and later samples are counted as dropped — never thrown.
//
// The file's link type is that of its first packet (Ethernet for sFlow header protocol 1, raw IP for 11/12,
// pcap-writer.ts linkTypeOfSflowHeader): the 24-byte global header waits in the first chunk until the first
// packet decides it. A packet of another link type is not written and is counted (linkTypeMismatch): one
// router sends one header protocol, so a mixed attack means mixed exporters, and one readable file is worth
// more than a pcapng with two interfaces. A file that never got a packet is still a valid, empty pcap
// (Ethernet link type).
//
// It owns the file and its chunks; which samples belong to the attack is capture/attack-capture.ts's business.
import { open, type FileHandle } from 'node:fs/promises';
import { copyBytes } from '../intake/copy-bytes.js';
import {
  encodePcapGlobalHeader,
  LinkType,
  linkTypeOfSflowHeader,
  PCAP_GLOBAL_HEADER_LENGTH,
  PCAP_RECORD_HEADER_LENGTH,
  writePcapRecordHeader,
} from '../pcap/pcap-writer.js';

export const CHUNK_BYTES = 64 * 1024;

/** Preallocated write chunks shared by every attack's file; the total is the capture's write-buffer bound. */
export class ChunkPool {
  private readonly free: Chunk[] = [];
  readonly chunks: number;

  constructor(totalBytes: number) {
    this.chunks = Math.max(2, Math.floor(totalBytes / CHUNK_BYTES));
    for (let i = 0; i < this.chunks; i++) {
      const bytes = Buffer.alloc(CHUNK_BYTES);
      this.free.push({ bytes, view: new DataView(bytes.buffer, bytes.byteOffset, CHUNK_BYTES) });
    }
  }

  get available(): number {
    return this.free.length;
  }

  take(): Chunk | undefined {
    return this.free.pop();
  }

  give(chunk: Chunk): void {
    this.free.push(chunk);
  }
}

/** A write chunk and a DataView over it (made once, with the chunk). */
export interface Chunk {
  bytes: Buffer;
  view: DataView;
}

export interface AttackPcapLimits {
  snapLength: number;
  maxPackets: number;
  maxBytes: number;
}

export interface AttackPcapFileEvents {
  /** A write failed: the file is given up. Called once per file. */
  onWriteError(err: unknown): void;
}

export class AttackPcapFile {
  /** Packets written (queued for writing) and the file's size once they are. */
  packets = 0;
  bytes = 0;
  /** Samples not written: over the attack's limits, no free chunk, another link type, after a write error. */
  overLimit = 0;
  droppedNoBuffer = 0;
  linkTypeMismatch = 0;
  droppedAfterError = 0;
  /** LINKTYPE of the file, -1 until the first packet. */
  linkType = -1;
  failed = false;
  private chunk: Chunk | undefined;
  private used = 0;
  private readonly queue: { chunk: Chunk; length: number }[] = [];
  private handle: FileHandle | undefined;
  private opening: Promise<void>;
  private writing = false;
  private closed = false;
  private drainedWaiters: (() => void)[] = [];

  constructor(
    readonly path: string,
    private readonly pool: ChunkPool,
    private readonly limits: AttackPcapLimits,
    private readonly events: AttackPcapFileEvents,
  ) {
    // The global header's room is reserved in the first chunk; its link type is written with the first packet.
    this.chunk = pool.take();
    this.used = PCAP_GLOBAL_HEADER_LENGTH;
    this.bytes = PCAP_GLOBAL_HEADER_LENGTH;
    this.opening = open(path, 'w', 0o640).then(
      (h) => {
        this.handle = h;
        this.pump();
      },
      (err: unknown) => this.fail(err),
    );
  }

  /**
   * Appends one sampled packet: `count` header bytes of `src` from `from`. Returns false when it was not
   * written (and counted why).
   */
  append(src: DataView, from: number, count: number, timeMs: number, frameLength: number, headerProtocol: number): boolean {
    if (this.failed || this.closed) {
      this.droppedAfterError++;
      return false;
    }
    const linkType = linkTypeOfSflowHeader(headerProtocol);
    if (this.linkType === -1) {
      if (linkType < 0) {
        this.linkTypeMismatch++;
        return false;
      }
      if (!this.startFile(linkType)) return false;
    } else if (linkType !== this.linkType) {
      this.linkTypeMismatch++;
      return false;
    }
    const captured = count < this.limits.snapLength ? count : this.limits.snapLength;
    const recordLength = PCAP_RECORD_HEADER_LENGTH + captured;
    if (this.packets >= this.limits.maxPackets || this.bytes + recordLength > this.limits.maxBytes) {
      this.overLimit++;
      return false;
    }
    if (this.chunk === undefined || this.used + recordLength > CHUNK_BYTES) {
      if (this.chunk !== undefined) this.submit();
      this.chunk = this.pool.take();
      this.used = 0;
      if (this.chunk === undefined) {
        this.droppedNoBuffer++;
        return false;
      }
    }
    const chunk = this.chunk;
    const at = this.used;
    // A frame length below the bytes present would make the record invalid (sFlow agents do send 0).
    const original = frameLength >= captured ? frameLength : captured;
    writePcapRecordHeader(chunk.bytes, at, Math.round(timeMs * 1000), captured, original);
    const to = at + PCAP_RECORD_HEADER_LENGTH;
    copyBytes(src, from, chunk.view, to, captured);
    this.used = to + captured;
    this.packets++;
    this.bytes += recordLength;
    return true;
  }

  /** Queues what the current chunk holds, so the file on disk is current (called about once a second). */
  flush(): void {
    if (this.linkType === -1 || this.chunk === undefined || this.used === 0) return;
    this.submit();
  }

  /** Flushes, waits for every queued write, and closes the file. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.linkType === -1 && !this.failed) {
      // No packet: a valid empty file of the default link type.
      this.startFile(LinkType.ETHERNET);
    }
    this.flush();
    this.closed = true;
    if (this.chunk !== undefined) {
      this.pool.give(this.chunk);
      this.chunk = undefined;
    }
    await this.opening;
    if (this.writing || this.queue.length > 0) await new Promise<void>((resolve) => this.drainedWaiters.push(resolve));
    const handle = this.handle;
    this.handle = undefined;
    if (handle !== undefined) {
      try {
        await handle.close();
      } catch (err) {
        this.fail(err);
      }
    }
  }

  /** Writes the global header into the reserved room of the first chunk. */
  private startFile(linkType: number): boolean {
    if (this.chunk === undefined) {
      // The pool was empty when the file was made; nothing of the file exists yet, so start it now.
      this.chunk = this.pool.take();
      this.used = PCAP_GLOBAL_HEADER_LENGTH;
      if (this.chunk === undefined) {
        this.droppedNoBuffer++;
        return false;
      }
    }
    this.linkType = linkType;
    this.chunk.bytes.set(encodePcapGlobalHeader({ linkType, snaplen: this.limits.snapLength }), 0);
    return true;
  }

  private submit(): void {
    const chunk = this.chunk!;
    this.queue.push({ chunk, length: this.used });
    this.chunk = undefined;
    this.used = 0;
    this.pump();
  }

  private pump(): void {
    if (this.writing || this.handle === undefined) return;
    const next = this.queue.shift();
    if (next === undefined) {
      this.settleWaiters();
      return;
    }
    this.writing = true;
    this.handle.write(next.chunk.bytes, 0, next.length).then(
      () => {
        this.pool.give(next.chunk);
        this.writing = false;
        this.pump();
      },
      (err: unknown) => {
        this.pool.give(next.chunk);
        this.writing = false;
        this.fail(err);
      },
    );
  }

  private fail(err: unknown): void {
    if (!this.failed) {
      this.failed = true;
      this.events.onWriteError(err);
    }
    // Nothing more will be written: give every queued chunk back.
    for (const q of this.queue.splice(0)) this.pool.give(q.chunk);
    if (this.chunk !== undefined) {
      this.pool.give(this.chunk);
      this.chunk = undefined;
    }
    this.settleWaiters();
  }

  private settleWaiters(): void {
    if (this.writing || this.queue.length > 0) return;
    for (const w of this.drainedWaiters.splice(0)) w();
  }
}
