// The sFlow intake component: binds the configured UDP addresses (IPv4 and IPv6; IPv6 sockets are v6-only so
// "0.0.0.0:6343" and "[::]:6343" can both bind), asks for a large receive buffer and logs what the kernel
// granted, then receives and decodes in one of three ways: on this thread (recvmmsg addon, or dgram), in
// receive threads with one SO_REUSEPORT socket each (sflow.receiveThreads, receive-threads.ts), or in decoder
// worker processes sharing the sockets (sflow.workers). Every way, each FlowBatch is applied here, on the main
// thread, by one BatchConsumer, so per-agent accounting and totals are exact and in one place, and then handed
// to the batch listeners (detection). It reports its counters for /health.
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import type { Component } from '../component.js';
import { splitHostPort } from '../config/load.js';
import type { SflowConfig } from '../config/schema.js';
import type { DestinationTable } from '../counting/destination-table.js';
import { BreakwaterError } from '../errors.js';
import type { Logger } from '../log.js';
import { AgentTable } from './agent-table.js';
import { BatchConsumer } from './batch-consumer.js';
import { DatagramReceiver } from './datagram-receiver.js';
import type { WorkerStats } from './decoder-worker.js';
import { BatchUdpSocket, loadUdpBatch } from './native-udp.js';
import { ThreadStat } from './receive-thread-protocol.js';
import { ReceiveThreads } from './receive-threads.js';
import { availableParallelism } from 'node:os';
import type { BatchListener } from './batch-consumer.js';

export interface SflowIntakeOptions {
  /** receiveThreads left out means 0 (receive on this thread). */
  config: Pick<SflowConfig, 'listen' | 'receiveBufferBytes' | 'workers' | 'maxAgents'> & Partial<Pick<SflowConfig, 'receiveThreads'>>;
  /** Per-destination totals of every destination (protected or not); left out, only sums are kept. */
  destinations?: DestinationTable;
  /** Called with each FlowBatch after the intake applied it (detection's counting), on the main thread. */
  batchListeners?: BatchListener[];
  log: Logger;
  /** Longest wait before a partly filled batch is applied. */
  flushIntervalMs?: number;
  /** How long stop() waits for a worker (process or thread) to hand over its last batch. */
  workerStopMs?: number;
  /** First delay before a dead receive thread is restarted (doubles while it keeps dying). */
  threadRestartDelayMs?: number;
  /** Batches of one receive thread not yet applied before it drops new ones (receive_thread_backlog); default 256. */
  threadMaxInFlight?: number;
  /**
   * 'auto' (default): recvmmsg through the udp-batch addon when it is built and decoding is in-process, else
   * dgram. 'dgram' forces Node's dgram (benchmarks compare the two); 'recvmmsg' fails if the addon is missing.
   */
  receiveWith?: 'auto' | 'dgram' | 'recvmmsg';
  /**
   * Sampled-header bytes carried per flow sample in each FlowBatch's header section, for the capture
   * (capture.snapLength when capture.enabled); 0 or absent: no header section.
   */
  headerSnapLength?: number;
  /**
   * Cores another thread of the appliance keeps busy (1 when detection runs in its own thread), which
   * receiveThreads 'auto' leaves to it.
   */
  coresReserved?: number;
}

interface WorkerHandle {
  child: ChildProcess;
  stats: WorkerStats | undefined;
  stopped: boolean;
}

export interface BoundSocket {
  address: string;
  port: number;
  family: 'IPv4' | 'IPv6';
  receiveBufferBytes: number;
}

/** Where the decoder worker's entry is: the .ts source under tsx, the bundled .js in dist. */
function workerEntry(): string {
  return import.meta.url.endsWith('.ts')
    ? new URL('./decoder-worker.ts', import.meta.url).pathname
    : new URL('./intake-worker.js', import.meta.url).pathname;
}

export class SflowIntake implements Component {
  readonly name = 'intake';
  readonly agents: AgentTable;
  readonly consumer: BatchConsumer;
  private sockets: Socket[] = [];
  private batchSockets: BatchUdpSocket[] = [];
  private bound: BoundSocket[] = [];
  private receiveWith: 'dgram' | 'recvmmsg' = 'dgram';
  private receiver: DatagramReceiver | undefined;
  private threads: ReceiveThreads | undefined;
  private threadCount = 0;
  private lastListenerErrorLogMs = 0;
  private workers: WorkerHandle[] = [];
  private workerExits = 0;
  private stopping = false;

  constructor(private readonly options: SflowIntakeOptions) {
    this.agents = new AgentTable(options.config.maxAgents);
    this.consumer = new BatchConsumer(this.agents, options.destinations, (err) => this.listenerFailed(err));
    for (const l of options.batchListeners ?? []) this.consumer.addListener(l);
  }

  /** Adds a listener called with every FlowBatch after it is applied; add them before start(). */
  addBatchListener(listener: BatchListener): void {
    this.consumer.addListener(listener);
  }

  /** The receive threads' workers (undefined while one restarts), for tests that end one as a crash would. */
  get receiveThreadWorkers(): readonly unknown[] {
    return this.threads?.workers ?? [];
  }

  /**
   * True when every FlowBatch reaches the listeners in an ArrayBuffer of its own that nothing reads after the last
   * listener returns (receive threads transfer a fresh buffer per batch): the last listener may move it elsewhere.
   * False when decoding here (the writer reuses its buffer) or in decoder processes.
   */
  get batchBuffersTransferable(): boolean {
    return this.threads !== undefined;
  }

  /** The sockets actually bound (ports resolved when configured as 0). */
  get boundSockets(): readonly BoundSocket[] {
    return this.bound;
  }

  async start(): Promise<void> {
    try {
      await this.startReceiving();
    } catch (err) {
      // The appliance only stops components that started: release what was made before failing.
      await this.stop();
      this.stopping = false;
      this.bound = [];
      throw err;
    }
  }

  private async startReceiving(): Promise<void> {
    const { config, log } = this.options;
    const mode = this.options.receiveWith ?? 'auto';
    const addon = config.workers === 0 && mode !== 'dgram' ? loadUdpBatch() : undefined;
    if (mode === 'recvmmsg' && addon === undefined) {
      throw new BreakwaterError('BW_ERR_LISTEN', ['sFlow', 'the udp-batch addon is not built (node appliance/native/build.mjs) or decoding runs in workers']);
    }
    const threads = resolveReceiveThreads(config.receiveThreads ?? 0, config.workers, mode, addon !== undefined, undefined, this.options.coresReserved ?? 0);
    if (threads > 0) {
      await this.startThreads(threads);
      return;
    }
    if (addon !== undefined) {
      const receiver = new DatagramReceiver({ log, flushIntervalMs: this.options.flushIntervalMs, headerSnapLength: this.options.headerSnapLength, sink: (bytes) => this.consumer.consume(bytes) });
      for (const addr of config.listen) this.batchSockets.push(this.bindBatch(addon, addr, receiver));
      receiver.startTimer();
      this.receiver = receiver;
      this.receiveWith = 'recvmmsg';
      log.info({ sockets: this.bound, workers: 0, receiveWith: this.receiveWith }, 'sFlow intake listening');
      return;
    }
    for (const addr of config.listen) this.sockets.push(await this.bind(addr));
    if (config.workers === 0) {
      const receiver = new DatagramReceiver({
        log,
        flushIntervalMs: this.options.flushIntervalMs,
        headerSnapLength: this.options.headerSnapLength,
        sink: (bytes) => this.consumer.consume(bytes),
      });
      for (const s of this.sockets) receiver.attach(s);
      this.receiver = receiver;
    } else {
      await this.startWorkers(config.workers);
    }
    log.info({ sockets: this.bound, workers: config.workers, receiveWith: this.receiveWith }, 'sFlow intake listening');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.threads) {
      await this.threads.stop();
      this.threads = undefined;
    }
    for (const s of this.batchSockets) s.close();
    this.batchSockets = [];
    if (this.receiver) {
      for (const s of this.sockets) this.receiver.detach(s);
      this.receiver.stop();
      this.receiver = undefined;
    }
    await Promise.all(this.workers.map((w) => this.stopWorker(w)));
    for (const s of this.sockets) {
      try {
        s.close();
      } catch {
        // Already closed (handed to workers, or never bound).
      }
    }
    this.sockets = [];
  }

  /** The /health section: totals, drops by reason, agents. */
  report(): Record<string, unknown> {
    const c = this.consumer;
    const d = this.options.destinations;
    let received = 0;
    let handlerErrors = 0;
    let backlogDatagrams = 0;
    if (this.receiver) {
      received = this.receiver.received;
      handlerErrors = this.receiver.handlerErrors;
    }
    let threadBacklog = 0;
    if (this.threads) {
      received += this.threads.total(ThreadStat.received);
      handlerErrors += this.threads.total(ThreadStat.handlerErrors);
      threadBacklog = this.threads.total(ThreadStat.backlogDatagrams);
    }
    for (const w of this.workers) {
      received += w.stats?.received ?? 0;
      handlerErrors += w.stats?.handlerErrors ?? 0;
      backlogDatagrams += w.stats?.backlogDatagrams ?? 0;
    }
    const drops = c.dropReport();
    drops.worker_backlog = backlogDatagrams;
    drops.receive_thread_backlog = threadBacklog;
    return {
      sockets: this.bound,
      receiveWith: this.receiveWith,
      receiveThreads: this.threadCount,
      receiveThreadsRunning: this.threads?.running ?? 0,
      receiveThreadExits: this.threads?.exits ?? 0,
      receiveThreadRestarts: this.threads?.restarts ?? 0,
      receiveThreadDatagrams: this.threads?.perThread(ThreadStat.received) ?? [],
      receiveThreadTids: this.threads?.tids ?? [],
      receiveThreadPendingBatches: this.threads?.pendingBatches ?? 0,
      receiveThreadApplyYields: this.threads?.applyYields ?? 0,
      workers: this.options.config.workers,
      workersRunning: this.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length,
      workerExits: this.workerExits,
      datagramsReceived: received,
      datagrams: c.datagrams,
      datagramsAccepted: c.acceptedDatagrams,
      flowSamples: c.flowSamples,
      counterSamples: c.counterSamples,
      skippedSamples: c.skippedSamples,
      malformedSamples: c.malformedSamples,
      nonIpSamples: c.nonIpSamples,
      handlerErrors,
      batches: c.batches,
      rejectedBatches: c.rejectedBatches,
      listenerErrors: c.listenerErrors,
      drops,
      // Estimated from the IP flow samples applied (sampling rate × 1 and × frame length).
      packets: c.packets,
      bytes: c.bytes,
      ...(d !== undefined
        ? {
            destinations: {
              entries: d.size,
              capacity: d.capacity,
              samples: d.totalSamples,
              packets: d.totalPackets,
              bytes: d.totalBytes,
              overflowSamples: d.overflowSamples,
              evicted: d.evicted,
            },
          }
        : {}),
      agentCount: this.agents.size,
      maxAgents: this.agents.maxAgents,
      agents: this.agents.agents.slice(0, 100).map((a) => a.report()),
    };
  }

  private bindBatch(addon: NonNullable<ReturnType<typeof loadUdpBatch>>, addr: string, receiver: DatagramReceiver): BatchUdpSocket {
    const { host, port } = splitHostPort(addr);
    const v6 = host.includes(':');
    const asked = this.options.config.receiveBufferBytes;
    let socket: BatchUdpSocket;
    try {
      socket = new BatchUdpSocket(addon, host, port, v6, asked, receiver.onMessage, receiver.onOversized);
    } catch (err) {
      throw new BreakwaterError('BW_ERR_LISTEN', [`sFlow ${addr}`, (err as Error).message], { cause: err });
    }
    this.bound.push({ address: host, port: socket.port, family: v6 ? 'IPv6' : 'IPv4', receiveBufferBytes: socket.receiveBufferBytes });
    this.logBuffer(addr, asked, socket.receiveBufferBytes);
    return socket;
  }

  private async startThreads(count: number): Promise<void> {
    const { config, log } = this.options;
    const listen = config.listen.map((addr) => {
      const { host, port } = splitHostPort(addr);
      return { host, port, ipv6: host.includes(':') };
    });
    const threads = new ReceiveThreads({
      count,
      sockets: listen,
      receiveBufferBytes: config.receiveBufferBytes,
      log,
      onBatch: (bytes) => this.consumer.consumeChecked(bytes),
      headerSnapLength: this.options.headerSnapLength ?? 0,
      ...(this.options.flushIntervalMs !== undefined ? { flushIntervalMs: this.options.flushIntervalMs } : {}),
      ...(this.options.workerStopMs !== undefined ? { stopMs: this.options.workerStopMs } : {}),
      ...(this.options.threadRestartDelayMs !== undefined ? { restartDelayMs: this.options.threadRestartDelayMs } : {}),
      ...(this.options.threadMaxInFlight !== undefined ? { maxInFlight: this.options.threadMaxInFlight } : {}),
    });
    this.threads = threads;
    let bound;
    try {
      bound = await threads.start();
    } catch (err) {
      const where = `sFlow ${config.listen.join(', ')}`;
      throw new BreakwaterError('BW_ERR_LISTEN', [where, (err as Error).message], { cause: err });
    }
    this.threadCount = count;
    this.receiveWith = 'recvmmsg';
    for (let i = 0; i < listen.length; i++) {
      const b = bound[i]!;
      this.bound.push({ address: listen[i]!.host, port: b.port, family: listen[i]!.ipv6 ? 'IPv6' : 'IPv4', receiveBufferBytes: b.receiveBufferBytes });
      this.logBuffer(config.listen[i]!, config.receiveBufferBytes, b.receiveBufferBytes);
    }
    log.info({ sockets: this.bound, receiveThreads: count, receiveWith: this.receiveWith }, 'sFlow intake listening');
  }

  private listenerFailed(err: unknown): void {
    const now = Date.now();
    if (now - this.lastListenerErrorLogMs >= 1000) {
      this.lastListenerErrorLogMs = now;
      this.options.log.error({ err, listenerErrors: this.consumer.listenerErrors }, 'a FlowBatch listener failed; it missed that batch');
    }
  }

  private logBuffer(addr: string, asked: number, granted: number): void {
    const level = granted < asked ? 'warn' : 'info';
    this.options.log[level](
      { listen: addr, askedBytes: asked, grantedBytes: granted },
      granted < asked ? 'sFlow receive buffer smaller than asked: raise net.core.rmem_max (sysctl) to avoid drops in bursts' : 'sFlow receive buffer set',
    );
  }

  private bind(addr: string): Promise<Socket> {
    const { host, port } = splitHostPort(addr);
    const v6 = host.includes(':');
    const asked = this.options.config.receiveBufferBytes;
    const socket = createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6, recvBufferSize: asked });
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        socket.close();
        reject(new BreakwaterError('BW_ERR_LISTEN', [`sFlow ${addr}`, err.message], { cause: err }));
      };
      socket.once('error', onError);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', onError);
        // A socket error after bind (rare for UDP) must not crash the controller: log it and carry on.
        socket.on('error', (err) => this.options.log.error({ err, listen: addr }, 'sFlow socket error'));
        const a = socket.address();
        // Linux reports twice what it grants (the doubling covers its bookkeeping); the asked value is capped
        // at net.core.rmem_max.
        const granted = socket.getRecvBufferSize();
        this.bound.push({ address: a.address, port: a.port, family: v6 ? 'IPv6' : 'IPv4', receiveBufferBytes: granted });
        this.logBuffer(addr, asked, granted);
        resolve(socket);
      });
    });
  }

  private async startWorkers(count: number): Promise<void> {
    const { log } = this.options;
    const ready: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const child = fork(workerEntry(), [], {
        serialization: 'advanced',
        execArgv: process.execArgv,
        env: { ...process.env, BW_INTAKE_SOCKETS: String(this.sockets.length), BW_LOG_LEVEL: log.level, BW_CAPTURE_SNAP: String(this.options.headerSnapLength ?? 0) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const w: WorkerHandle = { child, stats: undefined, stopped: false };
      this.workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onExit = (code: number | null) => reject(new Error(`decoder worker exited with ${code} before it was ready`));
          child.once('exit', onExit);
          child.on('message', (m: { type?: string; bytes?: Uint8Array }) => {
            if (m?.type === 'ready') {
              child.off('exit', onExit);
              resolve();
            }
          });
        }),
      );
      child.on('message', (m: { type?: string; bytes?: Uint8Array }) => {
        if (m?.type === 'batch' && m.bytes) this.consumer.consumeChecked(aligned(m.bytes));
        else if (m?.type === 'stats') w.stats = m as unknown as WorkerStats;
        else if (m?.type === 'stopped') w.stopped = true;
      });
      child.on('exit', (code, signal) => {
        if (!this.stopping) {
          this.workerExits++;
          log.error({ pid: child.pid, code, signal }, 'sFlow decoder worker exited; the other workers keep receiving');
        }
      });
      for (const s of this.sockets) child.send({ type: 'socket' }, s);
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      throw new BreakwaterError('BW_ERR_INTAKE_WORKER', [(err as Error).message], { cause: err });
    }
    // The workers hold the sockets now; the controller's copies would compete for datagrams it does not decode.
    for (const s of this.sockets) s.close();
    this.sockets = [];
  }

  private async stopWorker(w: WorkerHandle): Promise<void> {
    const child = w.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      child.send({ type: 'stop' });
    } catch {
      // Channel already closed; the kill below ends it.
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), this.options.workerStopMs ?? 3000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Receive threads to run: an explicit count, or for 'auto' one per core beyond the main thread's and those
 * `reserved` for other threads (the detection thread), at most 4: none on two cores with detection in its own
 * thread. Measured on 2 cores (docs/benchmarks.md, ingest): the main thread receiving with detection in its
 * thread was lossless to 1,000,000 samples/s, a receive thread besides them to 600,000 — three busy threads on
 * two cores. Threads need the udp-batch addon (SO_REUSEPORT) and are off when decoding runs in worker processes
 * or dgram is forced.
 */
export function resolveReceiveThreads(setting: number | 'auto', workers: number, receiveWith: 'auto' | 'dgram' | 'recvmmsg', addonLoaded: boolean, cores = availableParallelism(), reserved = 0): number {
  if (workers > 0 || receiveWith === 'dgram') return 0;
  if (setting === 'auto') return addonLoaded ? Math.max(0, Math.min(4, cores - 1 - reserved)) : 0;
  if (setting > 0 && !addonLoaded) {
    throw new BreakwaterError('BW_ERR_LISTEN', ['sFlow', `sflow.receiveThreads = ${setting} needs the udp-batch addon (node appliance/native/build.mjs)`]);
  }
  return setting;
}

/** Typed-array views need 8-byte alignment; a message buffer from IPC usually has it, copy when it does not. */
function aligned(bytes: Uint8Array): Uint8Array {
  if ((bytes.byteOffset & 7) === 0) return bytes;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
