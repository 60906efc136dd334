// The boundary between the appliance (main thread) and detection running in a thread of its own
// (detection.thread): every message that crosses it, in both directions, and the data a thread starts with.
//
// The messages are plain and versioned (`v`), so that the same boundary could later be a process or a machine
// one (NATS JetStream) with no change on either side: no functions, no class instances, no shared memory. A batch
// is the FlowBatch's bytes (flow-batch.ts, the binary message the intake already hands over; here an ArrayBuffer
// moved with postMessage, on JetStream a message's payload); everything else is JSON-serialisable data
// (AttackEvent and AttackRecord are plain by contract, sdk/src/attack.ts; TrafficSummary,
// counting/traffic-summary.ts). Requests carry an id the response repeats, so answers can arrive in any order.
// A receiver ignores a message of another version, never guesses at it (the main side counts them, /health
// detection.thread.unexpectedMessages).
//
// Main → thread
//   batches        FlowBatches to count, in order, packed in one ArrayBuffer: batch i ends at ends[i] and the next
//                  starts at the following multiple of 8 (the batch's typed views need that alignment). The main
//                  thread sends at most maxInFlight batches the thread has not acknowledged (`consumed`); a batch
//                  beyond that is dropped and counted, never silently lost. `reusable`: the main thread would
//                  use the buffer again; the thread hands it back with a `consumed` once counted.
//   traffic-watch  whether to post a traffic summary every second, and the addresses and prefixes each summary
//                  carries sums of (the API's watched and attack-target series), sent whole on every change.
//   request        something the main thread asks (report, traffic, save, stop), answered by one `response`.
// Thread → main
//   ready / failed the service started (baselines loaded), or could not.
//   attack         an attack event (attack.started / updated / ended), in the order detection emitted them.
//   attack-rates   after each tick while attacks are active: each one's current rates and peak (records change
//                  between events only there), so the main thread's copy of active attacks is current.
//   consumed       batches counted so far by this thread (cumulative): what frees room in the in-flight bound;
//                  with the reusable buffers counted since the last one, moved back (no new buffer, no page faults).
//   report         the /health section, every second and after a tick that started or ended an attack.
//   traffic        one second's summary of counting (while traffic-watch says follow).
//   log            a log record of the thread, logged by the main thread's logger (its level, its destination).
//   response       the answer to a request: ok with a result, or an error with a message and a code.
import type { AttackEvent, Rates } from './attack.js';
import type { TrafficSummary } from '../counting/traffic-summary.js';
import type { Config } from '../config/schema.js';

export const DETECTION_PROTOCOL_VERSION = 2;
type V = typeof DETECTION_PROTOCOL_VERSION;

/** What the thread starts with (workerData; on JetStream, the consumer's configuration). */
export interface DetectionThreadData {
  v: V;
  /** The configuration sections detection reads (plain data, as validated). */
  config: Pick<Config, 'dataDir' | 'networks' | 'hostGroups' | 'detection'>;
  /** The main logger's level: records below it are not posted at all. */
  logLevel: string;
  /** How far below the main thread's the thread sets its own scheduling priority (nice), 0..19. */
  niceBelowMain: number;
}

export type DetectionRequest =
  /** The /health section now. Result: Record<string, unknown>. */
  | { kind: 'report' }
  /** One traffic summary now, with these targets' sums. Result: TrafficSummary. */
  | { kind: 'traffic'; watched: string[] }
  /** Write the baselines now. Result: the lastBaselineSave of the report. */
  | { kind: 'save' }
  /** Stop the service (its baselines saved) and end the thread. Result: the lastBaselineSave of the report. */
  | { kind: 'stop' };

export type ToDetectionThread =
  | { v: V; type: 'batches'; bytes: ArrayBuffer; ends: number[]; reusable: boolean }
  | { v: V; type: 'traffic-watch'; follow: boolean; targets: string[] }
  | { v: V; type: 'request'; id: number; request: DetectionRequest };

export interface AttackRatesEntry {
  id: string;
  rates: Rates;
  peak: Rates;
}

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export type FromDetectionThread =
  | { v: V; type: 'ready'; tid: number; nice: number | null }
  | { v: V; type: 'failed'; message: string; code: string }
  | { v: V; type: 'attack'; event: AttackEvent }
  | { v: V; type: 'attack-rates'; attacks: AttackRatesEntry[] }
  | { v: V; type: 'consumed'; batches: number; buffers: ArrayBuffer[] }
  | { v: V; type: 'report'; report: Record<string, unknown> }
  | { v: V; type: 'traffic'; summary: TrafficSummary }
  | { v: V; type: 'log'; level: LogLevelName; msg: string; fields: Record<string, unknown> }
  | { v: V; type: 'response'; id: number; ok: true; result: unknown }
  | { v: V; type: 'response'; id: number; ok: false; error: { message: string; code: string } };

/** True for a message of this protocol version with a type (anything else is counted and ignored). */
export function isCurrentMessage(m: unknown): m is { v: V; type: string } {
  return typeof m === 'object' && m !== null && (m as { v?: unknown }).v === DETECTION_PROTOCOL_VERSION && typeof (m as { type?: unknown }).type === 'string';
}

/** Where the batch after one ending at `end` starts in a `batches` buffer. */
export function nextBatchStart(end: number): number {
  return (end + 7) & ~7;
}

/** Each FlowBatch of a `batches` message, in order, as a view of its buffer. */
export function forEachBatch(bytes: ArrayBuffer, ends: readonly number[], visit: (batch: Uint8Array) => void): void {
  let start = 0;
  for (const end of ends) {
    visit(new Uint8Array(bytes, start, end - start));
    start = nextBatchStart(end);
  }
}
