// The reconcile loop: on a timer (bgp.reconcileIntervalMs, or sooner when a route's expiry comes first) it
// drops expired routes from the desired state, withdraws them, and asks the daemon to compare what it
// announces with the desired state and fix every difference (missing routes, orphans, changed attributes).
// Passes never overlap; a pass that fails is logged and the next one retries.
import type { Logger } from '../log.js';
import type { DesiredStateStore } from './desired-state.js';
import type { ReconcileReport } from './speaker.js';
import type { SpeakerDaemon } from './speaker-daemon.js';

export interface ReconcilerOptions {
  store: DesiredStateStore;
  daemon: SpeakerDaemon;
  intervalMs: number;
  log: Logger;
  now?: () => number;
  /** Runs after every pass (the speaker refreshes its cached session view here). */
  afterPass?: () => Promise<void>;
}

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReconcileReport> | undefined;
  private stopped = true;
  private last: ReconcileReport | undefined;

  constructor(private readonly options: ReconcilerOptions) {}

  get lastReport(): ReconcileReport | undefined {
    return this.last;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass now; joins the pass in progress if there is one. */
  runOnce(): Promise<ReconcileReport> {
    if (this.running !== undefined) return this.running;
    this.running = this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Re-plans the next pass, e.g. after a route with an earlier expiry was added. */
  reschedule(): void {
    if (!this.stopped) this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const now = this.now();
    const nextExpiry = this.options.store.nextExpiry();
    const untilExpiry = nextExpiry === null ? Infinity : Math.max(0, nextExpiry - now) + 5;
    const delay = Math.min(this.options.intervalMs, untilExpiry);
    this.timer = setTimeout(() => {
      this.runOnce()
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopped) this.schedule();
        });
    }, delay);
    this.timer.unref();
  }

  private async pass(): Promise<ReconcileReport> {
    const { store, daemon, log } = this.options;
    let expired = 0;
    try {
      const gone = store.takeExpired(this.now());
      expired = gone.length;
      if (gone.length > 0) {
        await store.save();
        log.info({ routes: gone.map((r) => r.id) }, 'withdrawing expired routes');
        await daemon.withdraw(gone);
      }
      const result = await daemon.sync();
      if (result.added > 0 || result.removed > 0) log.warn({ ...result }, 'reconcile fixed differences between the daemon and the desired state');
      this.last = { at: this.now(), expired, added: result.added, removed: result.removed, inSync: result.inSync };
    } catch (err) {
      log.warn({ err }, 'reconcile pass failed; the next pass retries');
      this.last = { at: this.now(), expired, added: 0, removed: 0, inSync: false, error: (err as Error).message };
    }
    await this.options.afterPass?.().catch(() => undefined);
    return this.last;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
