// Detection in a thread of its own (detection.thread; a worker_threads Worker started by detection-thread.ts): the
// same DetectionService the main thread runs otherwise — counting, the tick timer on this thread's event loop,
// baselines loaded at start and saved periodically and at stop — fed with FlowBatches the main thread moves here,
// and speaking only the plain messages of detection-thread-protocol.ts: attack events, the attacks' rates after
// each tick, a report every second, a traffic summary every second while the API follows it, log records, and
// answers to requests. Nothing is shared with the main thread but those messages.
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { pino, stdSerializers } from 'pino';
import { EventBus } from '../bus/event-bus.js';
import { TrafficReader } from '../counting/traffic-summary.js';
import type { Logger } from '../log.js';
import { osThreadId } from '../os-thread.js';
import type { AttackEvent } from './attack.js';
import { DetectionService } from './detection-service.js';
import {
  DETECTION_PROTOCOL_VERSION,
  forEachBatch,
  isCurrentMessage,
  type DetectionRequest,
  type DetectionThreadData,
  type FromDetectionThread,
  type LogLevelName,
  type ToDetectionThread,
} from './detection-thread-protocol.js';

const v = DETECTION_PROTOCOL_VERSION;
const port = parentPort!;
/** Batches counted between two acknowledgements at most (besides one whenever the queue is drained). */
const ACK_EVERY = 16;

function post(message: FromDetectionThread, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

/** A logger whose records go to the main thread as `log` messages (the main logger writes them). */
function forwardingLogger(level: string): Logger {
  const stream = {
    write(line: string): void {
      const { level: label, msg, ...fields } = JSON.parse(line) as { level: LogLevelName; msg?: string } & Record<string, unknown>;
      post({ v, type: 'log', level: label, msg: msg ?? '', fields });
    },
  };
  return pino({ level, base: undefined, timestamp: false, formatters: { level: (label) => ({ level: label }) }, serializers: { err: stdSerializers.err } }, stream) as unknown as Logger;
}

/** Lowers this thread's priority by `below` (detection-thread.ts says why); returns its nice value, or null where that is not possible. */
function lowerPriority(below: number): number | null {
  try {
    // pid 0: the calling thread on Linux (setpriority(2), "the nice value is a per-thread attribute").
    setPriority(0, Math.min(19, getPriority(0) + below));
    return getPriority(0);
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const data = workerData as DetectionThreadData;
  if (data?.v !== v) {
    post({ v, type: 'failed', message: `the detection thread speaks protocol ${v}, it was started with ${String(data?.v)}`, code: 'EPROTOCOL' });
    port.close();
    return;
  }
  const log = forwardingLogger(data.logLevel);
  const bus = new EventBus<AttackEvent>((err, event) => log.error({ err, event: event.type }, 'posting an attack event failed'));
  /** A tick started or ended an attack: the report follows right after it. */
  let attacksChanged = false;
  let hadActive = false;
  bus.onAny((event) => {
    post({ v, type: 'attack', event });
    if (event.type !== 'attack.updated') attacksChanged = true;
  });
  const service: DetectionService = new DetectionService({
    config: data.config,
    bus,
    log,
    onTick: () => {
      const active = service.detector.tracker.active;
      if (active.size > 0 || hadActive) {
        post({ v, type: 'attack-rates', attacks: [...active.values()].map((t) => ({ id: t.record.id, rates: { ...t.record.rates }, peak: { ...t.record.peak } })) });
      }
      hadActive = active.size > 0;
      if (attacksChanged) {
        attacksChanged = false;
        post({ v, type: 'report', report: service.report() });
      }
    },
  });

  // Batches are counted as they arrive; the acknowledgement goes once the messages queued now are handled.
  let consumed = 0;
  let acknowledged = 0;
  let ackScheduled = false;
  /** Reusable buffers counted since the last acknowledgement: they go back with it. */
  let returning: ArrayBuffer[] = [];
  const ack = (): void => {
    ackScheduled = false;
    if (acknowledged === consumed) return;
    acknowledged = consumed;
    const buffers = returning;
    returning = [];
    post({ v, type: 'consumed', batches: consumed, buffers }, buffers);
  };

  const reader = new TrafficReader(() => service.detector.counter);
  let trafficTimer: NodeJS.Timeout | undefined;
  let following = false;
  // Each summary is read just after a second ends (and its tick has run), so the window it reads is that second's.
  const scheduleTraffic = (): void => {
    const delay = 1000 - (Date.now() % 1000) + 5;
    trafficTimer = setTimeout(() => {
      if (!following) return;
      post({ v, type: 'traffic', summary: reader.readAll() });
      scheduleTraffic();
    }, delay);
  };

  const reportTimer = setInterval(() => post({ v, type: 'report', report: service.report() }), 1000);
  let stopping = false;

  const answer = async (request: DetectionRequest): Promise<unknown> => {
    switch (request.kind) {
      case 'report':
        return service.report();
      case 'traffic': {
        const once = new TrafficReader(() => service.detector.counter);
        once.setWatched(request.watched);
        return once.readAll();
      }
      case 'save':
        await service.save();
        return service.lastSave ?? null;
      case 'stop':
        stopping = true;
        following = false;
        if (trafficTimer !== undefined) clearTimeout(trafficTimer);
        clearInterval(reportTimer);
        await service.stop();
        return service.lastSave ?? null;
    }
  };

  port.on('message', (m: unknown) => {
    if (!isCurrentMessage(m)) return;
    const message = m as ToDetectionThread;
    if (message.type === 'batches') {
      forEachBatch(message.bytes, message.ends, (batch) => service.consume(batch));
      consumed += message.ends.length;
      if (message.reusable) returning.push(message.bytes);
      // A MessagePort hands over its whole backlog before the event loop turns: acknowledging only then would hold
      // the main thread at its in-flight bound for the length of a backlog, so every ACK_EVERY batches too.
      if (consumed - acknowledged >= ACK_EVERY) ack();
      else if (!ackScheduled) {
        ackScheduled = true;
        setImmediate(ack);
      }
    } else if (message.type === 'traffic-watch') {
      reader.setWatched(message.targets);
      if (message.follow && !following && !stopping) {
        following = true;
        scheduleTraffic();
      } else if (!message.follow && following) {
        following = false;
        if (trafficTimer !== undefined) clearTimeout(trafficTimer);
      }
    } else if (message.type === 'request') {
      // What was counted before the request is acknowledged before its answer.
      ack();
      const { id, request } = message;
      answer(request).then(
        (result) => {
          post({ v, type: 'response', id, ok: true, result });
          if (request.kind === 'stop') port.close();
        },
        (err: unknown) => post({ v, type: 'response', id, ok: false, error: { message: (err as Error).message, code: (err as { code?: string }).code ?? 'EUNKNOWN' } }),
      );
    }
  });

  try {
    await service.start();
  } catch (err) {
    clearInterval(reportTimer);
    post({ v, type: 'failed', message: (err as Error).message, code: (err as { code?: string }).code ?? 'EUNKNOWN' });
    port.close();
    return;
  }
  post({ v, type: 'report', report: service.report() });
  post({ v, type: 'ready', tid: osThreadId(), nice: lowerPriority(data.niceBelowMain) });
}

void main();
