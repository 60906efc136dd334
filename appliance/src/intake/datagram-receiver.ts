// The receive loop: each UDP datagram is decoded straight into the current FlowBatch, and batches are handed
// to a sink when full or at the latest every flushIntervalMs (so detection never waits longer than that for
// a quiet agent's samples). It runs in the controller process or in a decoder worker, unchanged. Nothing
// throws out of onMessage: a failure is counted, logged at most once a second, and the next datagram goes on.
import type { Socket } from 'node:dgram';
import type { Logger } from '../log.js';
import { SflowDecoder } from '../sflow/datagram-decoder.js';
import { IntakeDrop } from './batch-consumer.js';
import { FlowBatchWriter, type BatchSink } from './flow-batch-writer.js';

export interface DatagramReceiverOptions {
  sink: BatchSink;
  log: Logger;
  /** Longest a decoded sample waits in a partly filled batch. */
  flushIntervalMs?: number;
  targetRecords?: number;
  producerId?: number;
  /** The time a datagram is stamped with (ms since the epoch): Date.now, or a capture's own clock in replay. */
  clock?: () => number;
  /** Sampled-header bytes carried per flow sample for the capture; 0 = none (flow-batch.ts). */
  headerSnapLength?: number;
}

export const defaultFlushIntervalMs = 10;

export class DatagramReceiver {
  readonly decoder = new SflowDecoder();
  readonly writer: FlowBatchWriter;
  /** Datagrams seen by onMessage, and bytes in them. */
  received = 0;
  receivedBytes = 0;
  /** Exceptions caught in the receive path (a bug or a failing sink); each costs at most its datagram. */
  handlerErrors = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastErrorLogMs = 0;
  private readonly sockets = new Set<Socket>();
  private readonly clock: () => number;

  constructor(private readonly options: DatagramReceiverOptions) {
    this.clock = options.clock ?? Date.now;
    this.writer = new FlowBatchWriter({ sink: options.sink, targetRecords: options.targetRecords, producerId: options.producerId, headerSnapLength: options.headerSnapLength });
  }

  /** The 'message' listener, bound once (no closure per datagram). */
  readonly onMessage = (msg: Uint8Array): void => {
    try {
      this.received++;
      this.receivedBytes += msg.length;
      const writer = this.writer;
      const decoder = this.decoder;
      writer.beginDatagram(this.clock());
      const status = decoder.decode(msg, writer);
      writer.endDatagram(
        decoder.header,
        status,
        msg.length,
        decoder.lastFlowSamples,
        decoder.lastCounterSamples,
        decoder.lastSkippedSamples,
        decoder.lastMalformedSamples,
      );
    } catch (err) {
      this.failed(err);
    }
  };

  /** A datagram longer than the receive slot arrived cut: account it as dropped, unread. */
  readonly onOversized = (): void => {
    try {
      this.received++;
      this.writer.beginDatagram(this.clock());
      this.decoder.header.reset();
      this.writer.endDatagram(this.decoder.header, IntakeDrop.oversized, 0, 0, 0, 0, 0);
    } catch (err) {
      this.failed(err);
    }
  };

  attach(socket: Socket): void {
    socket.on('message', this.onMessage);
    this.sockets.add(socket);
    this.startTimer();
  }

  /** Starts the flush timer (attach() does; a batch socket that calls onMessage itself needs it too). */
  startTimer(): void {
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.flush(), this.options.flushIntervalMs ?? defaultFlushIntervalMs);
      this.timer.unref();
    }
  }

  detach(socket: Socket): void {
    socket.off('message', this.onMessage);
    this.sockets.delete(socket);
  }

  /** Hands over whatever is pending. */
  flush(): void {
    try {
      this.writer.flush();
    } catch (err) {
      this.failed(err);
    }
  }

  /** Stops the timer and hands over the last partial batch. */
  stop(): void {
    for (const s of this.sockets) s.off('message', this.onMessage);
    this.sockets.clear();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private failed(err: unknown): void {
    this.handlerErrors++;
    const now = Date.now();
    if (now - this.lastErrorLogMs >= 1000) {
      this.lastErrorLogMs = now;
      this.options.log.error({ err, handlerErrors: this.handlerErrors }, 'sFlow receive path failed on a datagram; it was dropped');
    }
  }
}
