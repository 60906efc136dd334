// One sFlow receive thread (a worker_threads Worker started by receive-threads.ts): it opens its own socket on
// every listen address with SO_REUSEPORT through the udp-batch addon (the kernel spreads datagrams over the
// threads' sockets by flow hash, so one agent's datagrams stay on one thread, in order), decodes them into
// FlowBatches with the same DatagramReceiver the main thread uses, and transfers each batch's bytes (a fresh
// ArrayBuffer, moved, not copied, by postMessage) to the main thread, which applies it. It keeps no totals of its
// own beyond its counters in the shared stats block; agent accounting happens once, in the main thread.
//
// Backpressure: a batch is dropped (and its datagrams counted under receive_thread_backlog) when the main thread
// has more than maxInFlight batches of this thread not yet applied, so a stalled main thread costs bounded memory
// and the loss is counted, never silent.
//
// Protocol, main → thread: {type:'stop'}.
// Thread → main: {type:'ready', sockets, tid}, ArrayBuffer (a batch), {type:'failed', message, code}, {type:'stopped'}.
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger, silentLogger } from '../log.js';
import { osThreadId } from '../os-thread.js';
import { DatagramReceiver } from './datagram-receiver.js';
import { countRecords, RecordKind } from './flow-batch.js';
import { BatchUdpSocket, loadUdpBatch } from './native-udp.js';
import { ThreadStat, type ReceiveThreadData } from './receive-thread-protocol.js';

function main(): void {
  const data = workerData as ReceiveThreadData;
  const port = parentPort!;
  const stats = new Float64Array(data.stats);
  const log =
    data.logLevel !== 'silent'
      ? createLogger({ level: data.logLevel, fd: 2 }).child({ component: 'intake-thread', thread: data.index })
      : silentLogger();
  // Counters continue from what an earlier thread in this slot reported (a restart keeps the totals).
  const base = {
    received: stats[ThreadStat.received]!,
    receivedBytes: stats[ThreadStat.receivedBytes]!,
    handlerErrors: stats[ThreadStat.handlerErrors]!,
  };
  let posted = stats[ThreadStat.posted]!;
  const publish = (): void => {
    stats[ThreadStat.received] = base.received + receiver.received;
    stats[ThreadStat.receivedBytes] = base.receivedBytes + receiver.receivedBytes;
    stats[ThreadStat.handlerErrors] = base.handlerErrors + receiver.handlerErrors;
  };
  const receiver = new DatagramReceiver({
    log,
    producerId: data.index + 1,
    headerSnapLength: data.headerSnapLength ?? 0,
    ...(data.flushIntervalMs !== undefined ? { flushIntervalMs: data.flushIntervalMs } : {}),
    sink: (bytes) => {
      publish();
      if (posted - stats[ThreadStat.consumed]! >= data.maxInFlight) {
        stats[ThreadStat.backlogBatches]!++;
        stats[ThreadStat.backlogDatagrams]! += countRecords(bytes, RecordKind.datagram);
        return;
      }
      // The writer reuses its buffer once this returns: the batch moves to the main thread in a buffer of its own.
      const buffer = new ArrayBuffer(bytes.byteLength);
      new Uint8Array(buffer).set(bytes);
      stats[ThreadStat.posted] = ++posted;
      port.postMessage(buffer, [buffer]);
    },
  });
  const addon = loadUdpBatch();
  const sockets: BatchUdpSocket[] = [];
  try {
    if (addon === undefined) throw Object.assign(new Error('the udp-batch addon is not built (node appliance/native/build.mjs)'), { code: 'ENOADDON' });
    for (const s of data.sockets) {
      sockets.push(new BatchUdpSocket(addon, s.host, s.port, s.ipv6, data.receiveBufferBytes, receiver.onMessage, receiver.onOversized, true));
    }
  } catch (err) {
    for (const s of sockets) s.close();
    port.postMessage({ type: 'failed', message: (err as Error).message, code: (err as { code?: string }).code ?? 'EUNKNOWN' });
    port.close();
    return;
  }
  receiver.startTimer();
  // Counters reach the main thread's /health within this interval even when no batch is handed over.
  const statsTimer = setInterval(publish, 200);
  statsTimer.unref();
  port.postMessage({ type: 'ready', sockets: sockets.map((s) => ({ port: s.port, receiveBufferBytes: s.receiveBufferBytes })), tid: osThreadId() });

  port.on('message', (message: { type?: string }) => {
    if (message?.type !== 'stop') return;
    for (const s of sockets) s.close();
    receiver.stop();
    clearInterval(statsTimer);
    publish();
    port.postMessage({ type: 'stopped' });
    port.close();
  });
}


main();
