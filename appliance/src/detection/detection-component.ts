// What the rest of the appliance sees of detection, wherever it runs: in this thread (DetectionService, the
// engine driven by this event loop) or in a worker thread of its own (DetectionThread, detection.thread: the
// same DetectionService inside the thread, reached through plain messages, detection-thread-protocol.ts). The
// appliance hands it every FlowBatch, and reads its host groups (derived from the configuration, so both have
// them on this thread), its active attacks (the mitigation engine's rate source, the API), its /health section
// and the per-second traffic summaries the API's traffic history keeps. Attack events go out on the bus either way.
import { availableParallelism } from 'node:os';
import type { AttackBus } from '../bus/event-bus.js';
import type { Component } from '../component.js';
import type { Config } from '../config/schema.js';
import type { TrafficSummarySource } from '../counting/traffic-summary.js';
import type { Logger } from '../log.js';
import type { AttackRecord } from './attack.js';
import { DetectionService } from './detection-service.js';
import { DetectionThread } from './detection-thread.js';
import type { HostGroups } from './host-groups.js';

export interface DetectionComponent extends Component {
  readonly name: 'detection';
  /** Host groups and protected networks, as detection resolves them (from the configuration). */
  readonly groups: HostGroups;
  /** Counting's per-second traffic summaries (the API's traffic history). */
  readonly traffic: TrafficSummarySource;
  /** Counts one FlowBatch. The batch listener must be the intake's last: in thread mode its buffer may move. */
  consume(batch: Uint8Array): void;
  /** Active attacks with their current rates (copies). */
  activeAttacks(): AttackRecord[];
  /** The /health section. */
  report(): Record<string, unknown>;
  /** The /health section as of now (in thread mode asked of the thread rather than its last report). */
  reportNow(): Promise<Record<string, unknown>>;
}

export interface DetectionOptions {
  config: Pick<Config, 'dataDir' | 'networks' | 'hostGroups' | 'detection'>;
  bus: AttackBus;
  log: Logger;
  /** Thread mode: true when each batch's ArrayBuffer is its own and nothing reads it after detection (it is moved). */
  batchBuffersTransferable?: () => boolean;
}

/** detection.thread resolved: 'auto' runs detection in its own thread when there are at least two cores. */
export function detectionInThread(setting: boolean | 'auto', cores = availableParallelism()): boolean {
  return setting === 'auto' ? cores >= 2 : setting;
}

export function createDetection(options: DetectionOptions): DetectionComponent {
  const { config, bus, log } = options;
  if (!detectionInThread(config.detection.thread)) return new DetectionService({ config, bus, log });
  return new DetectionThread({ config, bus, log, ...(options.batchBuffersTransferable !== undefined ? { batchBuffersTransferable: options.batchBuffersTransferable } : {}) });
}
