// The main thread's side of sflow.receiveThreads: starts N receive threads (receive-thread.ts), each binding
// every listen address with SO_REUSEPORT, hands every FlowBatch they transfer to onBatch (the intake's
// BatchConsumer: agent accounting, counting and the batch listeners all stay on the main thread), restarts a
// thread that dies (with a growing delay, in the same slot, on the same ports) and stops them within a bound.
//
// Port 0 (tests): the first thread binds first and reports the ports the kernel chose; the others, and every
// restart, bind those. Datagrams a dying thread held (its socket queue, its unflushed batch, ≤ flushIntervalMs)
// are lost with it: its exit is counted (/health receiveThreadExits) and the loss shows as sequence gaps on the
// agents whose datagrams it held.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';
import { THREAD_STAT_COUNT, ThreadStat, type ReceiveThreadData } from './receive-thread-protocol.js';

export interface ReceiveThreadsOptions {
  count: number;
  sockets: { host: string; port: number; ipv6: boolean }[];
  receiveBufferBytes: number;
  flushIntervalMs?: number;
  /** Sampled-header bytes carried per flow sample for the capture; 0 or absent = none. */
  headerSnapLength?: number;
  log: Logger;
  onBatch: (bytes: Uint8Array) => void;
  /** Per thread; a batch beyond it is dropped and counted (receive_thread_backlog). */
  maxInFlight?: number;
  /** How long stop() waits for a thread to hand over its last batch before terminating it. */
  stopMs?: number;
  /** First restart delay; doubles on each exit within a minute of the last, up to 5 s. */
  restartDelayMs?: number;
}

export interface ReceiveThreadSocket {
  port: number;
  receiveBufferBytes: number;
}

interface ThreadSlot {
  index: number;
  stats: Float64Array;
  statsBuffer: SharedArrayBuffer;
  worker: Worker | undefined;
  restartTimer: NodeJS.Timeout | undefined;
  restartDelayMs: number;
  lastExitMs: number;
  /** The kernel's thread id of the running thread (-1 unknown). */
  tid: number;
}

export class ReceiveThreadError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

const maxRestartDelayMs = 5000;
/**
 * Longest run of batch applying before the main thread lets I/O in. A MessagePort hands over everything queued
 * at once, so a thread's backlog would otherwise be applied in one go: measured here, runs of 0.5–0.9 s with no
 * I/O turn, which is what an API request or a BGP keepalive would wait.
 */
const APPLY_SLICE_MS = 4;

interface PendingBatch {
  bytes: Uint8Array;
  stats: Float64Array;
}

/**
 * A receive thread: the bundled .js in dist; from the .ts source (tests, benches under tsx) a bootstrap that
 * registers tsx in the thread first, since Node 20 does not carry the parent's module hooks into a worker.
 */
function startThreadWorker(workerData: ReceiveThreadData): Worker {
  const options = { workerData, stdout: false, stderr: false };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./receive-thread.js', import.meta.url), options);
  const entry = new URL('./receive-thread.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

export class ReceiveThreads {
  private readonly slots: ThreadSlot[] = [];
  private sockets: { host: string; port: number; ipv6: boolean }[];
  private stopping = false;
  /** Threads that ended while the intake was running (crashes), and restarts started. */
  exits = 0;
  restarts = 0;
  restartFailures = 0;
  /** Messages from a thread that are neither a batch nor a control message (a protocol fault; batches that fail their checks are the consumer's rejectedBatches). */
  unexpectedMessages = 0;
  /** Batches received from the threads and not applied yet, oldest first; applied in slices (APPLY_SLICE_MS). */
  private readonly pending: PendingBatch[] = [];
  private applying = false;
  /** Runs of applying that stopped at the slice bound with batches left (the main thread was behind). */
  applyYields = 0;

  constructor(private readonly options: ReceiveThreadsOptions) {
    this.sockets = options.sockets.map((s) => ({ ...s }));
    for (let i = 0; i < options.count; i++) {
      const statsBuffer = new SharedArrayBuffer(THREAD_STAT_COUNT * 8);
      this.slots.push({ index: i, stats: new Float64Array(statsBuffer), statsBuffer, worker: undefined, restartTimer: undefined, restartDelayMs: options.restartDelayMs ?? 100, lastExitMs: 0, tid: -1 });
    }
  }

  /** Starts every thread; resolves with the first thread's sockets (ports resolved), rejects if any failed. */
  async start(): Promise<ReceiveThreadSocket[]> {
    const first = await this.spawn(this.slots[0]!);
    this.sockets = this.sockets.map((s, i) => ({ ...s, port: first[i]!.port }));
    await Promise.all(this.slots.slice(1).map((slot) => this.spawn(slot)));
    return first;
  }

  /** Threads running now. */
  get running(): number {
    return this.slots.filter((s) => s.worker !== undefined).length;
  }

  /** The workers, for tests that need to end one the way a crash would. */
  get workers(): readonly (Worker | undefined)[] {
    return this.slots.map((s) => s.worker);
  }

  /** Sum of one counter over every slot. */
  total(stat: (typeof ThreadStat)[keyof typeof ThreadStat]): number {
    let n = 0;
    for (const s of this.slots) n += s.stats[stat]!;
    return n;
  }

  /** Kernel thread ids of the running threads (for top -H and /proc/PID/task), -1 while one restarts. */
  get tids(): number[] {
    return this.slots.map((s) => (s.worker !== undefined ? s.tid : -1));
  }

  /** One counter per slot. */
  perThread(stat: (typeof ThreadStat)[keyof typeof ThreadStat]): number[] {
    return this.slots.map((s) => s.stats[stat]!);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const stopMs = this.options.stopMs ?? 3000;
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
        slot.restartTimer = undefined;
        const worker = slot.worker;
        if (worker === undefined) return;
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage({ type: 'stop' });
        const timer = setTimeout(() => void worker.terminate(), stopMs);
        await exited;
        clearTimeout(timer);
      }),
    );
    // Every batch a thread handed over is applied before the intake reports stopped.
    this.applyPending(Infinity);
  }

  /** Batches waiting to be applied on the main thread. */
  get pendingBatches(): number {
    return this.pending.length;
  }

  private enqueue(batch: PendingBatch): void {
    this.pending.push(batch);
    if (this.applying) return;
    this.applying = true;
    setImmediate(this.applySlice);
  }

  private readonly applySlice = (): void => {
    let more = false;
    try {
      more = this.applyPending(APPLY_SLICE_MS);
    } finally {
      if (more) {
        this.applyYields++;
        setImmediate(this.applySlice);
      } else {
        this.applying = this.pending.length > 0;
        if (this.applying) setImmediate(this.applySlice);
      }
    }
  };

  /** Applies pending batches for at most sliceMs; true when some are left. A batch counts as consumed once applied. */
  private applyPending(sliceMs: number): boolean {
    const { onBatch } = this.options;
    const until = performance.now() + sliceMs;
    let i = 0;
    try {
      while (i < this.pending.length) {
        const batch = this.pending[i++]!;
        batch.stats[ThreadStat.consumed]!++;
        onBatch(batch.bytes);
        if (performance.now() >= until) break;
      }
    } finally {
      this.pending.splice(0, i);
    }
    return this.pending.length > 0;
  }

  private spawn(slot: ThreadSlot): Promise<ReceiveThreadSocket[]> {
    const { log } = this.options;
    // A restarted thread starts with no batch in flight: whatever its predecessor posted and never delivered is gone.
    slot.stats[ThreadStat.posted] = slot.stats[ThreadStat.consumed]!;
    const data: ReceiveThreadData = {
      index: slot.index,
      sockets: this.sockets,
      receiveBufferBytes: this.options.receiveBufferBytes,
      ...(this.options.flushIntervalMs !== undefined ? { flushIntervalMs: this.options.flushIntervalMs } : {}),
      headerSnapLength: this.options.headerSnapLength ?? 0,
      maxInFlight: this.options.maxInFlight ?? 256,
      logLevel: log.level,
      stats: slot.statsBuffer,
    };
    const worker = startThreadWorker(data);
    slot.worker = worker;
    const stats = slot.stats;
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: unknown) => {
        if (m instanceof ArrayBuffer) {
          this.enqueue({ bytes: new Uint8Array(m), stats });
          return;
        }
        const msg = m as { type?: string; sockets?: ReceiveThreadSocket[]; message?: string; code?: string; tid?: number };
        if (msg.type === 'ready' && msg.sockets) {
          ready = true;
          slot.tid = msg.tid ?? -1;
          resolve(msg.sockets);
        } else if (msg.type === 'failed') {
          reject(new ReceiveThreadError(msg.message ?? 'receive thread failed to start', msg.code ?? 'EUNKNOWN'));
        } else if (msg.type !== 'stopped') {
          this.unexpectedMessages++;
        }
      });
      worker.on('error', (err) => {
        if (!ready) reject(err);
        else log.error({ err, thread: slot.index }, 'sFlow receive thread failed');
      });
      worker.on('exit', (code) => {
        if (slot.worker === worker) slot.worker = undefined;
        if (!ready) {
          reject(new ReceiveThreadError(`receive thread exited with ${code} before it was ready`, 'EEXIT'));
          return;
        }
        if (this.stopping) return;
        this.exits++;
        this.scheduleRestart(slot, code);
      });
    });
  }

  private scheduleRestart(slot: ThreadSlot, code: number): void {
    const now = Date.now();
    if (now - slot.lastExitMs > 60_000) slot.restartDelayMs = this.options.restartDelayMs ?? 100;
    slot.lastExitMs = now;
    const delay = slot.restartDelayMs;
    slot.restartDelayMs = Math.min(maxRestartDelayMs, delay * 2);
    this.options.log.error({ thread: slot.index, code, restartInMs: delay, exits: this.exits }, 'sFlow receive thread exited; restarting it (the other threads keep receiving)');
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.stopping) return;
      this.restarts++;
      this.spawn(slot).catch((err: unknown) => {
        // Could not bind again (rare: the port was taken in between): counted, and tried again later.
        this.restartFailures++;
        this.options.log.error({ err, thread: slot.index }, 'sFlow receive thread could not restart');
        if (!this.stopping) this.scheduleRestart(slot, -1);
      });
    }, delay);
    slot.restartTimer.unref();
  }
}
