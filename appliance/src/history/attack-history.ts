// The attack history component: every attack detection publishes on the attack bus (attack.started / updated /
// ended) becomes a row of the history table (attack-history-store.ts) that survives restarts, for
// `breakwater attacks`, the REST API and the panel.
//
// Writes never happen inside the bus publisher's call (the detection tick): an event only replaces the attack's
// pending record in memory. A start or an end is written on the next turn of the event loop; an update waits
// until the attack's row is writeIntervalMs old, so an attack costs at most one write per interval plus its start
// and end. Every flush is one transaction (one fsync under synchronous=FULL) for all attacks due, however many.
//
// Each attack's rate series (attack-series-store.ts) is taken from the same events: every attack.started, updated
// and ended gives a point (rates, threshold, baseline, confidence), kept per attack in an AttackSeriesBuffer and
// appended in the same flush transactions (never one of its own), at most history.seriesMaxPoints per attack.
//
// Restarts: detection keeps its windows and attacks in memory, so an attack cannot outlive the process that
// detected it. At stop, rows still active are ended with reason "shutdown"; at start, rows still active are
// what a process that died left behind, and are ended with reason "restart" at their last update (the last
// moment anything was known of them). If the traffic goes on, the new process detects it afresh as a new attack
// with its own id, first sample and threshold; the old row is not reopened, because nothing links the two but a
// guess, and a merged row would mix two detectors' measurements.
import type { AttackBus } from '../bus/event-bus.js';
import type { Component } from '../component.js';
import type { AttackEvent, AttackRecord } from '../detection/attack.js';
import { BreakwaterError } from '../errors.js';
import type { Logger } from '../log.js';
import { databasePath, openDatabase, type DatabaseHandle } from '../storage/sqlite.js';
import { AttackHistoryStore, type AttackEndReason, type AttackQuery, type AttackWrite, type HistoryCounts, type SeriesWrite, type StoredAttack } from './attack-history-store.js';
import { readAttackDetail, type AttackDetail } from './attack-detail.js';
import { AttackSeriesBuffer } from './attack-series-buffer.js';
import { seriesPointOf, type AttackSeriesPoint } from './attack-series-store.js';
import type { HistoryConfig } from './history-schema.js';

export interface AttackHistoryOptions {
  dataDir: string;
  settings: HistoryConfig;
  bus: AttackBus;
  log: Logger;
  /** Wall clock (ms since the epoch) for write throttling and retention; Date.now unless a test drives it. */
  clock?: () => number;
}

interface Pending {
  attack: AttackRecord;
  endReason?: AttackEndReason;
  /** A start or an end: written at the next flush, whatever the interval. */
  urgent: boolean;
}

const PRUNE_INTERVAL_MS = 3_600_000;
const RECENT_ENDED = 1024;

export class AttackHistory implements Component {
  readonly name = 'history';
  private readonly clock: () => number;
  private handle: DatabaseHandle | undefined;
  private store: AttackHistoryStore | undefined;
  private readonly pending = new Map<string, Pending>();
  /** Active attacks: when their row was last written (wall clock). */
  private readonly writtenAt = new Map<string, number>();
  /** Series points of attacks active or with points not yet written; an ended attack's goes once written. */
  private readonly buffers = new Map<string, { buffer: AttackSeriesBuffer; ended: boolean }>();
  /** The latest attacks whose end was written (oldest first), so a late event does not start a series again. */
  private readonly endedIds = new Set<string>();
  private unsubscribe: (() => void) | undefined;
  private soon: NodeJS.Immediate | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private lastErrorLogMs = 0;
  /** Transactions written, rows in them, failed flushes. */
  writes = 0;
  rowsWritten = 0;
  writeErrors = 0;
  lastWriteAt: number | undefined;
  lastWriteMs = 0;
  maxWriteMs = 0;
  pruned = 0;
  /** Rows a previous process left active, ended with reason "restart" at this start. */
  endedAtStart = 0;
  /** Series points written, series halved at their bound, points dropped while writes failed. */
  seriesPointsWritten = 0;
  seriesThinned = 0;
  seriesPointsDropped = 0;

  constructor(private readonly options: AttackHistoryOptions) {
    this.clock = options.clock ?? Date.now;
  }

  async start(): Promise<void> {
    const { dataDir, log, bus } = this.options;
    const handle = openDatabase(databasePath(dataDir));
    try {
      this.store = new AttackHistoryStore(handle.db);
      this.endedAtStart = this.store.endActive('restart', this.clock());
    } catch (err) {
      handle.release();
      this.store = undefined;
      throw err;
    }
    this.handle = handle;
    if (this.endedAtStart > 0) log.warn({ attacks: this.endedAtStart }, 'attacks left active by a previous run that did not stop cleanly were ended with reason "restart"');
    this.prune();
    this.unsubscribe = bus.onAny((event) => this.onEvent(event));
    this.flushTimer = setInterval(() => this.flush(), this.options.settings.writeIntervalMs);
    this.flushTimer.unref();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
    log.info({ file: handle.path, ...this.store.counts() }, 'attack history open');
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.soon !== undefined) clearImmediate(this.soon);
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer);
    if (this.pruneTimer !== undefined) clearInterval(this.pruneTimer);
    this.soon = this.flushTimer = this.pruneTimer = undefined;
    const store = this.store;
    if (store === undefined) return;
    for (const s of this.buffers.values()) s.buffer.close();
    this.flush(true);
    try {
      const ended = store.endActive('shutdown', this.clock());
      if (ended > 0) this.options.log.info({ attacks: ended }, 'attacks active at shutdown ended with reason "shutdown"');
    } catch (err) {
      this.options.log.error({ err }, 'could not end the active attacks in the history at shutdown');
    }
    this.store = undefined;
    this.writtenAt.clear();
    this.buffers.clear();
    this.endedIds.clear();
    this.handle?.release();
    this.handle = undefined;
  }

  /** Attacks matching the query, newest first (what was written; an active attack's row is at most writeIntervalMs old). */
  list(query: AttackQuery = {}): StoredAttack[] {
    return this.open().list(query);
  }

  get(id: string): StoredAttack | undefined {
    return this.open().get(id);
  }

  /** One attack with its audit trail, the mitigation running for it and its capture (attack-detail.ts). */
  detail(id: string): AttackDetail | undefined {
    return readAttackDetail(this.open(), this.handle!.db, this.options.dataDir, id);
  }

  counts(): HistoryCounts {
    return this.open().counts();
  }

  /** An attack's rate series, oldest first: what the table holds, then points not yet written. */
  series(id: string): AttackSeriesPoint[] {
    const stored = this.open().seriesStore.series(id);
    const last = stored.at(-1)?.t ?? Number.NEGATIVE_INFINITY;
    const unwritten = this.buffers.get(id)?.buffer.unwritten().filter((p) => p.t > last) ?? [];
    return unwritten.length === 0 ? stored : [...stored, ...unwritten];
  }

  /** The /health section. */
  report(): Record<string, unknown> {
    // /health must answer even when the database does not: the counts are then null and the error is shown.
    let counts: HistoryCounts | undefined;
    let readError: string | undefined;
    try {
      counts = this.store?.counts();
    } catch (err) {
      readError = (err as Error).message;
    }
    return {
      rows: counts?.rows ?? null,
      active: counts?.active ?? null,
      ...(readError !== undefined ? { readError } : {}),
      lastWrite: this.lastWriteAt === undefined ? null : new Date(this.lastWriteAt).toISOString(),
      lastWriteMs: round(this.lastWriteMs),
      maxWriteMs: round(this.maxWriteMs),
      writes: this.writes,
      rowsWritten: this.rowsWritten,
      writeErrors: this.writeErrors,
      pending: this.pending.size,
      pruned: this.pruned,
      endedAtStart: this.endedAtStart,
      series: {
        pointsWritten: this.seriesPointsWritten,
        pending: [...this.buffers.values()].reduce((n, s) => n + s.buffer.pending.length, 0),
        thinned: this.seriesThinned,
        dropped: this.seriesPointsDropped,
      },
    };
  }

  private open(): AttackHistoryStore {
    if (this.store === undefined) throw new BreakwaterError('BW_ERR_HISTORY_READ', [databasePath(this.options.dataDir), 'the attack history is not running']);
    return this.store;
  }

  /** Called inside the publisher: only remembers the newest record; the write comes later. */
  private onEvent(event: AttackEvent): void {
    const id = event.attack.id;
    const before = this.pending.get(id);
    if (before?.endReason !== undefined) return;
    this.offerPoint(event);
    if (event.type === 'attack.updated') {
      this.pending.set(id, { attack: event.attack, urgent: before?.urgent ?? false });
      return;
    }
    this.pending.set(id, event.type === 'attack.ended' ? { attack: event.attack, endReason: event.reason, urgent: true } : { attack: event.attack, urgent: true });
    this.soon ??= setImmediate(() => {
      this.soon = undefined;
      this.flush();
    });
  }

  /** The event's point joins the attack's series buffer (memory only, inside the publisher's call). */
  private offerPoint(event: AttackEvent): void {
    const id = event.attack.id;
    let entry = this.buffers.get(id);
    if (entry === undefined) {
      // A late event for an attack whose end is written: its row stays as it ended, and so does its series.
      if (this.endedIds.has(id)) return;
      entry = { buffer: new AttackSeriesBuffer(event.attack.threshold.metric), ended: false };
      this.buffers.set(id, entry);
    } else if (entry.ended) return;
    entry.buffer.offer(seriesPointOf(event.attack));
    if (event.type === 'attack.ended') {
      entry.buffer.close();
      entry.ended = true;
    }
    // While writes fail the points wait; past a whole series' worth the oldest go (counted).
    const pending = entry.buffer.pending;
    if (pending.length > this.options.settings.seriesMaxPoints) {
      this.seriesPointsDropped += pending.splice(0, pending.length - this.options.settings.seriesMaxPoints).length;
    }
  }

  /** Writes what is due (everything when forced) in one transaction. A failure keeps it pending for the next flush. */
  private flush(force = false): void {
    const store = this.store;
    if (store === undefined) return;
    const now = this.clock();
    const interval = this.options.settings.writeIntervalMs;
    const due: [string, Pending][] = [];
    for (const entry of this.pending) {
      const [id, p] = entry;
      const last = this.writtenAt.get(id);
      if (force || p.urgent || last === undefined || now - last >= interval) due.push(entry);
    }
    // Series points ride along with every flush (at most one a writeIntervalMs, plus starts and ends).
    const maxPoints = this.options.settings.seriesMaxPoints;
    const seriesWrites: SeriesWrite[] = [];
    for (const [attackId, { buffer }] of this.buffers) {
      if (buffer.due) seriesWrites.push({ attackId, points: buffer.pending.slice(), metric: buffer.metric, storedBefore: buffer.stored, maxPoints });
    }
    if (due.length === 0 && seriesWrites.length === 0) return;
    const writes: AttackWrite[] = due.map(([, p]) => (p.endReason !== undefined ? { attack: p.attack, endReason: p.endReason } : { attack: p.attack }));
    const started = performance.now();
    try {
      const written = store.save(writes, now, seriesWrites);
      for (let i = 0; i < written.length; i++) {
        const w = written[i]!;
        const entry = this.buffers.get(w.attackId)!;
        const count = seriesWrites[i]!.points.length;
        entry.buffer.written(count, w.stored, w.thinnedStepMs);
        this.seriesPointsWritten += count;
        if (w.thinnedStepMs > 0) this.seriesThinned++;
        if (entry.ended && !entry.buffer.due) {
          this.buffers.delete(w.attackId);
          this.endedIds.add(w.attackId);
          if (this.endedIds.size > RECENT_ENDED) this.endedIds.delete(this.endedIds.values().next().value!);
        }
      }
    } catch (err) {
      this.writeErrors++;
      if (now - this.lastErrorLogMs >= 1000) {
        this.lastErrorLogMs = now;
        this.options.log.error({ err, writeErrors: this.writeErrors, pending: this.pending.size }, 'writing the attack history failed; the rows are retried at the next write');
      }
      return;
    }
    const spent = performance.now() - started;
    this.writes++;
    this.rowsWritten += writes.length;
    this.lastWriteAt = now;
    this.lastWriteMs = spent;
    if (spent > this.maxWriteMs) this.maxWriteMs = spent;
    for (const [id, p] of due) {
      // A newer event for the attack may have arrived during the write only if the write yielded; it does not
      // (better-sqlite3 is synchronous), so what was written is what is pending.
      this.pending.delete(id);
      if (p.endReason !== undefined) this.writtenAt.delete(id);
      else this.writtenAt.set(id, now);
    }
  }

  private prune(): void {
    const store = this.store;
    if (store === undefined) return;
    const { retentionDays, maxRows } = this.options.settings;
    try {
      const deleted = store.prune(this.clock(), { retentionDays, maxRows });
      this.pruned += deleted;
      if (deleted > 0) this.options.log.info({ deleted, retentionDays, maxRows }, 'attack history pruned');
    } catch (err) {
      this.options.log.error({ err }, 'pruning the attack history failed; it is tried again in an hour');
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
