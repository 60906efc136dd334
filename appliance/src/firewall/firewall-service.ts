// Tier 1's firewall service: the appliance's own filtering as a FirewallFacade (what ctx.firewall routes to) on
// top of one backend. It keeps the desired entries in memory, removes each when its TTL passes (an expiry sweep:
// nft rules cannot expire by themselves, and set-element timeouts cannot carry arbitrary matches), and on start
// reconciles the kernel against what it is given, so rules left behind by a crash are removed.
import { randomBytes } from 'node:crypto';
import type { FirewallRule, MitigationOptions, MitigationReceipt } from '@breakwater/sdk';
import type { FirewallBackend } from './backend.js';
import type { FilterCounters, FilterEntry } from './filter-entry.js';

export interface FirewallServiceOptions {
  now?: () => number;
  /** How often expired entries are looked for, besides the timer set for the next expiry. */
  sweepMs?: number;
  onRemoved?: (entry: FilterEntry, reason: 'expired' | 'removed') => void;
}

export class FirewallService {
  private readonly desired = new Map<string, FilterEntry>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** Serialises kernel changes: each is a read-modify-write of the table. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly backend: FirewallBackend, private readonly options: FirewallServiceOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /** Reconciles the kernel to `desired` (none after a crash of a stateless caller: every leftover goes). */
  async start(desired: readonly FilterEntry[] = []): Promise<void> {
    for (const e of desired) if (e.expiresAt > this.now()) this.desired.set(e.id, e);
    await this.serial(() => this.backend.reconcile([...this.desired.values()], this.now()));
    this.schedule();
  }

  /** Stops the sweep. Rules stay (they carry their expiry; the next start reconciles) unless `teardown`. */
  async stop(options: { teardown?: boolean } = {}): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (options.teardown) await this.serial(() => this.backend.teardown());
  }

  async apply(rule: FirewallRule, options: MitigationOptions, id = `fw-${randomBytes(6).toString('hex')}`): Promise<MitigationReceipt> {
    const entry: FilterEntry = { id, attackId: options.attackId, rule, expiresAt: this.now() + options.ttlSeconds * 1000 };
    await this.put(entry);
    return { id, expiresAt: entry.expiresAt };
  }

  /** Installs or renews an entry under its own id (the agent: the appliance names entries). */
  async put(entry: FilterEntry): Promise<void> {
    this.backend.check(entry);
    await this.serial(() => this.backend.install(entry));
    this.desired.set(entry.id, entry);
    this.schedule();
  }

  async remove(id: string): Promise<boolean> {
    const entry = this.desired.get(id);
    this.desired.delete(id);
    const removed = await this.serial(() => this.backend.uninstall(id));
    if (entry) this.options.onRemoved?.(entry, 'removed');
    return removed || entry !== undefined;
  }

  /** Counters of one entry; undefined when it is not in the kernel. */
  async counters(id: string): Promise<FilterCounters | undefined> {
    return (await this.readAll()).find((c) => c.id === id);
  }

  async readAll(): Promise<FilterCounters[]> {
    return this.serial(() => this.backend.read());
  }

  entries(): FilterEntry[] {
    return [...this.desired.values()];
  }

  /** Removes every entry whose TTL has passed. Public so callers with their own clock can drive it. */
  async sweep(): Promise<void> {
    const now = this.now();
    for (const entry of [...this.desired.values()]) {
      if (entry.expiresAt > now) continue;
      // Forgotten only once the kernel let go of it: a failed removal is retried by the next sweep.
      await this.serial(() => this.backend.uninstall(entry.id));
      this.desired.delete(entry.id);
      this.options.onRemoved?.(entry, 'expired');
    }
    this.schedule();
  }

  private schedule(minWaitMs = 0): void {
    clearTimeout(this.timer);
    if (this.desired.size === 0) return;
    const next = Math.min(...[...this.desired.values()].map((e) => e.expiresAt));
    const wait = Math.max(minWaitMs, Math.min(next - this.now(), this.options.sweepMs ?? 60_000));
    this.timer = setTimeout(() => {
      // A failed sweep (nft busy, killed) is retried a second later; the expired entry stays tracked until then.
      this.sweep().catch(() => this.schedule(1_000));
    }, wait + 5);
    this.timer.unref();
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
