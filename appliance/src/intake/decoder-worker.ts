// A decoder worker process (sflow.workers > 0): it is handed the controller's bound UDP sockets (the kernel
// then spreads datagrams over every process reading them, as cluster does for shared UDP handles), decodes
// into FlowBatches and sends each batch to the controller over the IPC channel. It keeps no totals of its own
// beyond what it did itself: all agent accounting and counting happen in the controller (batch-consumer.ts).
//
// Protocol, controller → worker: {type:'socket'} + handle, {type:'stop'}.
// Worker → controller: {type:'ready', sockets}, {type:'batch', bytes}, {type:'stats', ...}, {type:'stopped'}.
import type { Socket } from 'node:dgram';
import { silentLogger, createLogger } from '../log.js';
import { DatagramReceiver } from './datagram-receiver.js';
import { countRecords, RecordKind } from './flow-batch.js';

export interface WorkerStats {
  type: 'stats';
  received: number;
  receivedBytes: number;
  handlerErrors: number;
  batches: number;
  /** Batches (and the datagrams in them) dropped because the controller was not reading them fast enough. */
  backlogBatches: number;
  backlogDatagrams: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  rssBytes: number;
}

/** Batches in flight on the IPC channel before new ones are dropped (each is ≤ ~100 KiB). */
const maxInFlight = 256;

function main(): void {
  const expectedSockets = Number(process.env.BW_INTAKE_SOCKETS ?? '1');
  const log = process.env.BW_LOG_LEVEL && process.env.BW_LOG_LEVEL !== 'silent'
    ? createLogger({ level: process.env.BW_LOG_LEVEL, fd: 2 }).child({ component: 'intake-worker', pid: process.pid })
    : silentLogger();
  let inFlight = 0;
  let backlogBatches = 0;
  let backlogDatagrams = 0;
  const onSent = (): void => {
    inFlight--;
  };
  const receiver = new DatagramReceiver({
    log,
    producerId: process.pid,
    headerSnapLength: Number(process.env.BW_CAPTURE_SNAP ?? '0'),
    sink: (bytes) => {
      if (!process.connected) return;
      if (inFlight >= maxInFlight) {
        backlogBatches++;
        backlogDatagrams += countRecords(bytes, RecordKind.datagram);
        return;
      }
      inFlight++;
      // A view is serialized with its whole ArrayBuffer (~98 KiB); slice() sends only the batch. Sending
      // serializes synchronously, so the writer may reuse its buffer as soon as this returns.
      process.send!({ type: 'batch', bytes: bytes.slice() }, undefined, undefined, onSent);
    },
  });
  const sockets: Socket[] = [];
  const stats = (): WorkerStats => {
    const cpu = process.cpuUsage();
    return {
      type: 'stats',
      received: receiver.received,
      receivedBytes: receiver.receivedBytes,
      handlerErrors: receiver.handlerErrors,
      batches: receiver.writer.batches,
      backlogBatches,
      backlogDatagrams,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rssBytes: process.memoryUsage.rss(),
    };
  };
  const statsTimer = setInterval(() => process.connected && process.send!(stats()), 1000);
  statsTimer.unref();

  process.on('message', (message: { type?: string }, handle?: unknown) => {
    if (message?.type === 'socket' && handle) {
      const socket = handle as Socket;
      sockets.push(socket);
      receiver.attach(socket);
      if (sockets.length === expectedSockets) process.send!({ type: 'ready', sockets: sockets.length });
    } else if (message?.type === 'stop') {
      for (const s of sockets) {
        receiver.detach(s);
        s.close();
      }
      receiver.stop();
      clearInterval(statsTimer);
      process.send!(stats());
      process.send!({ type: 'stopped' }, undefined, undefined, () => process.disconnect());
    }
  });
  // The controller went away without a stop: nothing left to send to.
  process.on('disconnect', () => process.exit(0));
}


main();
