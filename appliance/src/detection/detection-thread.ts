// The main thread's side of detection.thread: detection (DetectionService, with its counting, tick timer and
// baselines) runs in a worker thread (detection-thread-worker.ts) and this proxy is what the appliance sees of it
// (DetectionComponent), speaking only the plain messages of detection-thread-protocol.ts.
//
// - Batches: each FlowBatch the intake applied goes to the thread after the intake's other listeners (capture)
//   saw it. A batch in an ArrayBuffer of its own (receive threads hand over fresh ones) is moved, not copied; a
//   batch in a buffer the intake reuses (decoding on this thread) is copied into an outgoing buffer that goes as
//   one message when it holds OUTGOING_POST_BYTES (256 KiB, ~4,000 records) or OUTGOING_WAIT_MS (5 ms) after the
//   first batch in it, whichever comes first; a request (report, stop) sends it first.
//   Only a batch's header and records are copied, not its sampled headers (detection does not read them; with the
//   default 128-byte snap they are two thirds of a batch).
//   Why: each message wakes the thread, and on two cores a woken thread takes the core from the main thread
//   inside postMessage (a CPU profile put 12–15 % of the main thread's busy time there). One message per batch
//   was ~450 a second at 400 k samples/s; one per event-loop turn 350–640 a second at 600 k; one per 256 KiB or
//   5 ms ~210. bench/api at 600 k, alternating runs: per turn, dashboard p99 20 ms and 0.9 % of the samples
//   lost in one of three runs; coalesced, p99 16 ms, live stream p99 21–31 ms, 597 samples lost in one of three
//   (the machine's: every variant lost some in that round). Detection sees a batch at most 5 ms later. The thread
//   hands the buffer back for reuse, so no batch costs a fresh allocation (~180 KB each, 72 MB/s at 400 k for the
//   garbage collector).
//   At most maxInFlight batches wait for the thread's acknowledgement;
//   beyond that, or while the thread restarts, a batch is dropped and counted (/health detection.thread.dropped),
//   never silently lost.
// - Attacks: each event is published on the bus as it arrives, after this side's copy of the active attacks is
//   updated (a subscriber asking activeAttacks() sees the attack it was told of); the attacks' rates follow after
//   every tick. The host groups come from the configuration, built here too.
// - Traffic: the thread reads counting once a second and posts the summary while the API's traffic history
//   follows it (api/traffic-history.ts); the watched targets are sent along on every change.
// - Failure: a thread that exits or throws is logged (BW_ERR_DETECTION_THREAD) and restarted with a growing
//   delay (100 ms doubling to 5 s, reset after a minute without exits); its active attacks end with reason
//   "expired" (nothing tracks them any more; the new thread detects an attack that goes on afresh), exits and
//   restarts are counted in /health. On stop the thread saves its baselines and ends; if it does not within
//   stopMs it is terminated, so no thread outlives the appliance.
import { Worker } from 'node:worker_threads';
import type { AttackBus } from '../bus/event-bus.js';
import type { Config } from '../config/schema.js';
import type { TrafficFollower, TrafficSummary, TrafficSummarySource } from '../counting/traffic-summary.js';
import { BreakwaterError } from '../errors.js';
import { copyRecordsOnly, countRecords, RecordKind } from '../intake/flow-batch.js';
import type { Logger } from '../log.js';
import type { AttackEvent, AttackRecord } from './attack.js';
import type { DetectionComponent } from './detection-component.js';
import {
  DETECTION_PROTOCOL_VERSION,
  forEachBatch,
  isCurrentMessage,
  nextBatchStart,
  type DetectionRequest,
  type DetectionThreadData,
  type FromDetectionThread,
  type ToDetectionThread,
} from './detection-thread-protocol.js';
import { HostGroups } from './host-groups.js';

const v = DETECTION_PROTOCOL_VERSION;
/** Size of an outgoing buffer of copied batches (a batch larger than that gets a buffer of its own size). */
const OUTGOING_BYTES = 512 * 1024;
/** Outgoing buffers the thread handed back, kept for reuse (more are let go). */
const SPARE_BUFFERS = 8;
/** An outgoing buffer goes when it holds this many bytes, or OUTGOING_WAIT_MS after its first batch. */
const OUTGOING_POST_BYTES = 256 * 1024;
const OUTGOING_WAIT_MS = 5;
/**
 * How far below the main thread's the detection thread's scheduling priority is (Linux nice values are per thread;
 * the thread lowers its own). When the cores are short, the main thread — the one emptying the sFlow socket, whose
 * overflow loses datagrams for good — runs first; the detection thread catches up from its queue of batches
 * (bounded by maxInFlight, beyond which batches are dropped and counted). bench/api at 700 k samples/s with the API
 * busy, three alternating rounds: 0 below lost 3.8–10.4 % of the samples in every round, 5 below lost 0, 0 and
 * 0.2 %; the cost is the live stream's age (its summary is read on this thread): p99 16, 80, 56 ms against 21, 31,
 * 20 ms. At 600 k both lost nothing in three rounds each.
 */
export const NICE_BELOW_MAIN = 5;

interface Outgoing {
  buffer: ArrayBuffer;
  bytes: Uint8Array;
  used: number;
  ends: number[];
}

export interface DetectionThreadOptions {
  config: Pick<Config, 'dataDir' | 'networks' | 'hostGroups' | 'detection'>;
  bus: AttackBus;
  log: Logger;
  /** True when each batch's ArrayBuffer is its own and nothing reads it after this listener: it is moved. */
  batchBuffersTransferable?: () => boolean;
  /** Batches sent and not yet acknowledged by the thread before new ones are dropped (default 256). */
  maxInFlight?: number;
  /** First restart delay; doubles on each exit within a minute of the last, up to 5 s (default 100). */
  restartDelayMs?: number;
  /** How long stop() waits for the thread to save its baselines and end before terminating it (default 8000). */
  stopMs?: number;
  /** How long a request waits for its answer (default 5000). */
  requestTimeoutMs?: number;
  /** How long the thread may take to load and answer ready before it is ended (default 30000). */
  startMs?: number;
}

interface PendingRequest {
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface Follower {
  onSummary: (summary: TrafficSummary) => void;
  watched: () => readonly string[];
}

const maxRestartDelayMs = 5000;

/**
 * The thread: the bundled .js in dist; from the .ts source (tests, benches under tsx) a bootstrap that registers
 * tsx in the thread first, since Node 20 does not carry the parent's module hooks into a worker.
 */
function startWorker(workerData: DetectionThreadData): Worker {
  const options = { workerData, stdout: false, stderr: false };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./detection-thread.js', import.meta.url), options);
  const entry = new URL('./detection-thread-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}


export class DetectionThread implements DetectionComponent {
  readonly name = 'detection';
  readonly groups: HostGroups;
  readonly traffic: TrafficSummarySource;
  private worker: Worker | undefined;
  /** The thread answered ready and has not exited: batches go to it. */
  private ready = false;
  private running = false;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelayMs: number;
  private lastExitMs = 0;
  private tid = -1;
  private nice: number | null = null;
  /** Batches sent to the running thread, and how many it acknowledged (both from 0 for each thread). */
  private sent = 0;
  private acknowledged = 0;
  private readonly active = new Map<string, AttackRecord>();
  private latestReport: Record<string, unknown> = {};
  private latestReportAt = 0;
  private nextRequestId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly followers = new Set<Follower>();
  private readonly maxInFlight: number;
  /** Copied batches waiting to go: until 256 KiB or 5 ms after the first (see the header). */
  private outgoing: Outgoing | undefined;
  private flushScheduled = false;
  /** One timer for every wait (refreshed, not made anew). */
  private flushTimer: NodeJS.Timeout | undefined;
  /** Outgoing buffers back from the thread (each OUTGOING_BYTES long). */
  private readonly spare: ArrayBuffer[] = [];
  private readonly flushOutgoing = (): void => {
    this.flushScheduled = false;
    this.postOutgoing();
  };
  /** Counters for /health (over the appliance's run, across restarts). */
  readonly stats = {
    batchesSent: 0,
    /** Messages that carried them (copied batches go together: up to 256 KiB or 5 ms of them). */
    messagesSent: 0,
    /** Outgoing buffers the thread handed back, for reuse instead of a new allocation (up to SPARE_BUFFERS kept). */
    buffersReturned: 0,
    batchesMoved: 0,
    batchesCopied: 0,
    /** Bytes of the copied batches (their header and records; sampled headers are not copied). */
    bytesCopied: 0,
    backlogBatches: 0,
    backlogSamples: 0,
    /** Dropped while no thread was running (restarting). */
    downBatches: 0,
    downSamples: 0,
    exits: 0,
    restarts: 0,
    restartFailures: 0,
    /** Attacks a dead thread left active, ended here with reason "expired". */
    attacksExpired: 0,
    unexpectedMessages: 0,
    failedRequests: 0,
  };

  constructor(private readonly options: DetectionThreadOptions) {
    this.groups = HostGroups.fromConfig(options.config);
    this.maxInFlight = options.maxInFlight ?? 256;
    this.restartDelayMs = options.restartDelayMs ?? 100;
    this.traffic = {
      follow: (onSummary, watched) => this.follow(onSummary, watched),
      readNow: async (watched) => (await this.request({ kind: 'traffic', watched: [...watched] })) as TrafficSummary,
    };
  }

  async start(): Promise<void> {
    this.running = true;
    this.stopping = false;
    try {
      await this.spawn();
    } catch (err) {
      this.running = false;
      throw err;
    }
    const { log, config } = this.options;
    log.info({ networks: this.groups.networks.length, hostGroups: config.hostGroups.length, tid: this.tid, maxInFlight: this.maxInFlight }, 'detection running in its own thread');
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    // The stop request below sends what is waiting; nothing is left for the timer.
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushScheduled = false;
    const worker = this.worker;
    if (worker === undefined) return;
    const stopMs = this.options.stopMs ?? 8000;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const terminate = setTimeout(() => void worker.terminate(), stopMs);
    try {
      // Queued behind every batch already sent: the thread counts them all before it saves and ends. A thread still
      // starting (a restart) has nothing to save yet.
      if (this.ready) await this.request({ kind: 'stop' }, stopMs);
      else void worker.terminate();
    } catch (err) {
      this.options.log.error({ code: 'BW_ERR_DETECTION_THREAD', err }, 'the detection thread did not stop cleanly; terminating it');
      void worker.terminate();
    }
    await exited;
    clearTimeout(terminate);
  }

  consume(batch: Uint8Array): void {
    const worker = this.worker;
    if (worker === undefined || !this.ready) {
      this.countDown(batch);
      return;
    }
    if (this.sent + (this.outgoing?.ends.length ?? 0) - this.acknowledged >= this.maxInFlight) {
      this.stats.backlogBatches++;
      this.stats.backlogSamples += countRecords(batch, RecordKind.flow);
      return;
    }
    const own = batch.byteOffset === 0 && batch.byteLength === batch.buffer.byteLength && batch.buffer instanceof ArrayBuffer && this.options.batchBuffersTransferable?.() === true;
    if (own) {
      // Order is kept: what was copied before goes first.
      this.postOutgoing();
      const bytes = batch.buffer as ArrayBuffer;
      this.stats.batchesMoved++;
      this.post(worker, bytes, [bytes.byteLength], false);
      return;
    }
    let out = this.outgoing;
    let at = out === undefined ? 0 : nextBatchStart(out.used);
    if (out === undefined || at + batch.byteLength > out.buffer.byteLength) {
      this.postOutgoing();
      const buffer = batch.byteLength <= OUTGOING_BYTES ? (this.spare.pop() ?? new ArrayBuffer(OUTGOING_BYTES)) : new ArrayBuffer(batch.byteLength);
      out = { buffer, bytes: new Uint8Array(buffer), used: 0, ends: [] };
      this.outgoing = out;
      at = 0;
    }
    // Detection reads only the records: the sampled headers (the capture's) stay behind.
    const copied = copyRecordsOnly(batch, out.bytes, at);
    out.used = at + copied;
    this.stats.bytesCopied += copied;
    out.ends.push(out.used);
    this.stats.batchesCopied++;
    if (out.used >= OUTGOING_POST_BYTES) {
      // A timer still pending sends what comes after this, sooner than its own wait: never later.
      this.postOutgoing();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      if (this.flushTimer === undefined) {
        this.flushTimer = setTimeout(this.flushOutgoing, OUTGOING_WAIT_MS);
        this.flushTimer.unref();
      } else {
        this.flushTimer.refresh();
      }
    }
  }

  /** Sends the copied batches collected so far, if any (to a thread that went away: they are counted as dropped). */
  private postOutgoing(): void {
    const out = this.outgoing;
    if (out === undefined) return;
    this.outgoing = undefined;
    const worker = this.worker;
    if (worker === undefined || !this.ready) {
      forEachBatch(out.buffer, out.ends, (batch) => this.countDown(batch));
      return;
    }
    this.post(worker, out.buffer, out.ends, out.buffer.byteLength === OUTGOING_BYTES);
  }

  /** A batch dropped because no thread was running to take it (restarting). */
  private countDown(batch: Uint8Array): void {
    this.stats.downBatches++;
    this.stats.downSamples += countRecords(batch, RecordKind.flow);
  }

  private post(worker: Worker, bytes: ArrayBuffer, ends: number[], reusable: boolean): void {
    this.sent += ends.length;
    this.stats.batchesSent += ends.length;
    this.stats.messagesSent++;
    const message: ToDetectionThread = { v, type: 'batches', bytes, ends, reusable };
    worker.postMessage(message, [bytes]);
  }

  activeAttacks(): AttackRecord[] {
    return [...this.active.values()].map((a) => structuredClone(a));
  }

  /** The thread's last report (at most a second old, or as of the last attack start or end) and this side's counters. */
  report(): Record<string, unknown> {
    return { ...this.latestReport, thread: this.threadReport() };
  }

  async reportNow(): Promise<Record<string, unknown>> {
    if (this.ready) {
      try {
        this.setReport((await this.request({ kind: 'report' })) as Record<string, unknown>);
      } catch {
        // The last report stands; the failed request is counted.
      }
    }
    return this.report();
  }

  /** Writes the baselines now (in the thread). */
  async save(): Promise<unknown> {
    return this.request({ kind: 'save' });
  }

  /** The running thread, for tests that end it the way a crash would. */
  get thread(): Worker | undefined {
    return this.worker;
  }

  private threadReport(): Record<string, unknown> {
    return {
      running: this.ready,
      tid: this.ready ? this.tid : -1,
      // Its scheduling nice value: the main thread's plus NICE_BELOW_MAIN (null where it could not be set).
      nice: this.ready ? this.nice : null,
      inFlight: this.sent - this.acknowledged,
      maxInFlight: this.maxInFlight,
      reportAgeMs: this.latestReportAt === 0 ? null : Date.now() - this.latestReportAt,
      ...this.stats,
      dropped: { batches: this.stats.backlogBatches + this.stats.downBatches, samples: this.stats.backlogSamples + this.stats.downSamples },
    };
  }

  private setReport(report: Record<string, unknown>): void {
    this.latestReport = report;
    this.latestReportAt = Date.now();
  }

  private request(request: DetectionRequest, timeoutMs = this.options.requestTimeoutMs ?? 5000): Promise<unknown> {
    const worker = this.worker;
    if (worker === undefined || !this.ready) {
      this.stats.failedRequests++;
      return Promise.reject(new BreakwaterError('BW_ERR_DETECTION_THREAD', [`${request.kind}: the thread is not running`]));
    }
    // A request answers for every batch handed over before it (a report's counts, a stop's last save).
    this.postOutgoing();
    const id = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.stats.failedRequests++;
        reject(new BreakwaterError('BW_ERR_DETECTION_THREAD', [`${request.kind}: no answer within ${timeoutMs} ms`]));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const message: ToDetectionThread = { v, type: 'request', id, request };
      worker.postMessage(message);
    });
  }

  private follow(onSummary: (summary: TrafficSummary) => void, watched: () => readonly string[]): TrafficFollower {
    const follower: Follower = { onSummary, watched };
    this.followers.add(follower);
    this.sendWatches();
    return {
      watchesChanged: () => this.sendWatches(),
      stop: () => {
        this.followers.delete(follower);
        this.sendWatches();
      },
    };
  }

  /** Tells the thread whether anyone follows the traffic summaries, and every follower's targets together. */
  private sendWatches(): void {
    if (this.worker === undefined || !this.ready) return;
    const targets = new Set<string>();
    for (const f of this.followers) for (const t of f.watched()) targets.add(t);
    const message: ToDetectionThread = { v, type: 'traffic-watch', follow: this.followers.size > 0, targets: [...targets] };
    this.worker.postMessage(message);
  }

  private spawn(): Promise<void> {
    const { config, log } = this.options;
    const data: DetectionThreadData = { v, config: { dataDir: config.dataDir, networks: config.networks, hostGroups: config.hostGroups, detection: config.detection }, logLevel: log.level, niceBelowMain: NICE_BELOW_MAIN };
    const worker = startWorker(data);
    this.worker = worker;
    this.sent = 0;
    this.acknowledged = 0;
    return new Promise((resolve, reject) => {
      let started = false;
      // A thread that never answers (a hung start) is ended: its exit rejects below.
      const startTimer = setTimeout(() => void worker.terminate(), this.options.startMs ?? 30_000);
      worker.once('exit', () => clearTimeout(startTimer));
      worker.on('message', (m: unknown) => {
        if (!isCurrentMessage(m)) {
          this.stats.unexpectedMessages++;
          return;
        }
        const message = m as FromDetectionThread;
        if (message.type === 'ready') {
          clearTimeout(startTimer);
          started = true;
          this.ready = true;
          this.tid = message.tid;
          this.nice = message.nice;
          this.sendWatches();
          resolve();
        } else if (message.type === 'failed') {
          reject(new BreakwaterError('BW_ERR_DETECTION_THREAD', [`it could not start: ${message.message} (${message.code})`]));
        } else {
          this.receive(message);
        }
      });
      worker.on('error', (err) => {
        if (!started) reject(new BreakwaterError('BW_ERR_DETECTION_THREAD', [`it failed while starting: ${err.message}`], { cause: err }));
        else log.error({ code: 'BW_ERR_DETECTION_THREAD', err: new BreakwaterError('BW_ERR_DETECTION_THREAD', [err.message], { cause: err }) }, 'the detection thread failed');
      });
      worker.on('exit', (code) => {
        if (this.worker === worker) {
          this.worker = undefined;
          this.ready = false;
        }
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new BreakwaterError('BW_ERR_DETECTION_THREAD', [`the thread exited (${code}) before answering`]));
          this.pending.delete(id);
        }
        if (!started) {
          reject(new BreakwaterError('BW_ERR_DETECTION_THREAD', [`it exited with ${code} before it was ready`]));
          return;
        }
        if (this.stopping || !this.running) return;
        this.stats.exits++;
        this.expireActive();
        this.scheduleRestart(code);
      });
    });
  }

  private receive(message: Exclude<FromDetectionThread, { type: 'ready' | 'failed' }>): void {
    switch (message.type) {
      case 'consumed':
        this.acknowledged = message.batches;
        for (const b of message.buffers) if (this.spare.length < SPARE_BUFFERS && b.byteLength === OUTGOING_BYTES) this.spare.push(b);
        this.stats.buffersReturned += message.buffers.length;
        return;
      case 'attack': {
        const event = message.event;
        if (event.type === 'attack.ended') this.active.delete(event.attack.id);
        // A copy: the rates that follow must not change the record subscribers were handed.
        else this.active.set(event.attack.id, structuredClone(event.attack));
        this.options.bus.publish(event);
        return;
      }
      case 'attack-rates':
        for (const r of message.attacks) {
          const a = this.active.get(r.id);
          if (a === undefined) continue;
          a.rates = r.rates;
          a.peak = r.peak;
        }
        return;
      case 'report':
        this.setReport(message.report);
        return;
      case 'traffic':
        for (const f of this.followers) f.onSummary(message.summary);
        return;
      case 'log': {
        const log = this.options.log;
        log[message.level](message.fields, message.msg);
        return;
      }
      case 'response': {
        const p = this.pending.get(message.id);
        if (p === undefined) return;
        this.pending.delete(message.id);
        clearTimeout(p.timer);
        if (message.ok) p.resolve(message.result);
        else {
          this.stats.failedRequests++;
          p.reject(new BreakwaterError('BW_ERR_DETECTION_THREAD', [`${message.error.message} (${message.error.code})`]));
        }
        return;
      }
      default:
        this.stats.unexpectedMessages++;
    }
  }

  /** The attacks a dead thread tracked end here: nothing will end them otherwise. */
  private expireActive(): void {
    const now = Date.now();
    for (const attack of [...this.active.values()]) {
      this.active.delete(attack.id);
      this.stats.attacksExpired++;
      const event: AttackEvent = { type: 'attack.ended', attack: { ...attack, endedAt: now, updatedAt: now }, reason: 'expired' };
      this.options.bus.publish(event);
    }
  }

  private scheduleRestart(code: number): void {
    const now = Date.now();
    if (now - this.lastExitMs > 60_000) this.restartDelayMs = this.options.restartDelayMs ?? 100;
    this.lastExitMs = now;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(maxRestartDelayMs, delay * 2);
    this.options.log.error(
      { code: 'BW_ERR_DETECTION_THREAD', err: new BreakwaterError('BW_ERR_DETECTION_THREAD', [`it exited with ${code}`]), restartInMs: delay, exits: this.stats.exits },
      'the detection thread exited; restarting it (batches until then are dropped and counted)',
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.running) return;
      this.stats.restarts++;
      this.spawn().catch((err: unknown) => {
        if (!this.running) return;
        this.stats.restartFailures++;
        this.options.log.error({ code: 'BW_ERR_DETECTION_THREAD', err }, 'the detection thread could not restart');
        if (this.running) this.scheduleRestart(-1);
      });
    }, delay);
    this.restartTimer.unref();
  }
}
