// What the main thread and a receive thread (receive-thread.ts) share: the data a thread starts with and the
// layout of its stats block, a SharedArrayBuffer of f64 counters the thread writes (and the main thread reads
// for /health) — except `consumed`, which the main thread writes as it applies the thread's batches.

export interface ReceiveThreadData {
  /** Slot of the thread (0..n-1); a restarted thread takes its predecessor's slot and stats block. */
  index: number;
  /** Addresses to bind with SO_REUSEPORT; ports already resolved (never 0 once the first thread bound). */
  sockets: { host: string; port: number; ipv6: boolean }[];
  receiveBufferBytes: number;
  flushIntervalMs?: number;
  /** Sampled-header bytes carried per flow sample for the capture (flow-batch.ts header section); 0 = none. */
  headerSnapLength?: number;
  /** Batches handed over but not yet applied by the main thread before the thread drops new ones. */
  maxInFlight: number;
  logLevel: string;
  stats: SharedArrayBuffer;
}

/** Index of each counter in a thread's stats block. */
export const ThreadStat = {
  received: 0,
  receivedBytes: 1,
  handlerErrors: 2,
  /** Batches posted to the main thread (by this slot, over restarts). */
  posted: 3,
  /** Batches of this slot the main thread applied (written by the main thread). */
  consumed: 4,
  backlogBatches: 5,
  backlogDatagrams: 6,
} as const;

export const THREAD_STAT_COUNT = 7;
