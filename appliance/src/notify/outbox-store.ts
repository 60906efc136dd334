// The persistent outbox: every message due to a channel is a row of notify_outbox in the appliance database
// (DATADIR/breakwater.sqlite, opened by storage/sqlite.ts), written before any delivery is tried, so a restart resumes where the last
// run stopped. A row ends delivered, failed (given up: its reason says why) or suppressed (a duplicate, over
// the rate limit, or the end of an attack the channel was never told about); every attempt is a row of
// notify_attempts with its outcome, error code, HTTP status and the Retry-After it was given. Finished rows
// are kept `keepDays` for the audit trail (failures() reads them) and then deleted. This module owns only
// the notify_* tables and their queries.
import type { NotificationEvent } from '@breakwater/sdk';
import { migrate, openDatabase, type DatabaseHandle, type Migration, type SqliteDatabase } from '../storage/sqlite.js';
import type { OutcomeKind } from './delivery-outcome.js';

export type OutboxStatus = 'pending' | 'delivered' | 'failed' | 'suppressed';

/** Why a row is suppressed or failed. */
export type OutboxReason = 'duplicate' | 'rate_limited' | 'not_told' | 'rejected' | 'gave_up_attempts' | 'gave_up_age' | 'channel_unavailable' | 'channel_removed';

export interface OutboxRow {
  id: number;
  channel: string;
  eventId: string;
  eventType: string;
  attackId: string;
  dedupKey: string;
  event: NotificationEvent;
  status: OutboxStatus;
  reason: OutboxReason | null;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number | null;
  finishedAt: number | null;
  lastErrorCode: string | null;
  lastError: string | null;
  lastStatus: number | null;
}

export interface AttemptRow {
  attempt: number;
  at: number;
  durationMs: number;
  outcome: OutcomeKind;
  errorCode: string | null;
  error: string | null;
  httpStatus: number | null;
  retryAfterMs: number | null;
}

export interface NewRow {
  channel: string;
  event: NotificationEvent;
  dedupKey: string;
  createdAt: number;
  status: 'pending' | 'suppressed' | 'failed';
  reason?: OutboxReason;
}

export { DATABASE_FILE_NAME } from '../storage/sqlite.js';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE notify_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        attack_id TEXT NOT NULL,
        dedup_key TEXT NOT NULL,
        event TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'suppressed')),
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        next_attempt_at INTEGER,
        finished_at INTEGER,
        last_error_code TEXT,
        last_error TEXT,
        last_status INTEGER,
        UNIQUE (channel, event_id)
      );
      CREATE INDEX notify_outbox_due ON notify_outbox (status, next_attempt_at);
      CREATE INDEX notify_outbox_attack ON notify_outbox (channel, attack_id, id);
      CREATE INDEX notify_outbox_dedup ON notify_outbox (channel, dedup_key, created_at);
      CREATE INDEX notify_outbox_finished ON notify_outbox (status, finished_at);
      CREATE TABLE notify_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        outbox_id INTEGER NOT NULL REFERENCES notify_outbox (id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        error_code TEXT,
        error TEXT,
        http_status INTEGER,
        retry_after_ms INTEGER
      );
      CREATE INDEX notify_attempts_outbox ON notify_attempts (outbox_id);
    `,
  },
];

interface RawRow {
  id: number;
  channel: string;
  event_id: string;
  event_type: string;
  attack_id: string;
  dedup_key: string;
  event: string;
  status: OutboxStatus;
  reason: OutboxReason | null;
  attempts: number;
  created_at: number;
  next_attempt_at: number | null;
  finished_at: number | null;
  last_error_code: string | null;
  last_error: string | null;
  last_status: number | null;
}

function fromRaw(r: RawRow): OutboxRow {
  return {
    id: r.id,
    channel: r.channel,
    eventId: r.event_id,
    eventType: r.event_type,
    attackId: r.attack_id,
    dedupKey: r.dedup_key,
    event: JSON.parse(r.event) as NotificationEvent,
    status: r.status,
    reason: r.reason,
    attempts: r.attempts,
    createdAt: r.created_at,
    nextAttemptAt: r.next_attempt_at,
    finishedAt: r.finished_at,
    lastErrorCode: r.last_error_code,
    lastError: r.last_error,
    lastStatus: r.last_status,
  };
}

export class OutboxStore {
  private readonly db: SqliteDatabase;

  private constructor(private readonly handle: DatabaseHandle) {
    this.db = handle.db;
  }

  /** Opens (or shares) the appliance database and brings the notify tables up to date. Throws BW_ERR_STORAGE. */
  static open(path: string): OutboxStore {
    const handle = openDatabase(path);
    try {
      migrate(handle.db, 'notify', MIGRATIONS);
    } catch (err) {
      handle.release();
      throw err;
    }
    return new OutboxStore(handle);
  }

  close(): void {
    this.handle.release();
  }

  /** Runs fn in one transaction: the checks and inserts of one batch of events see each other. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Inserts rows in one transaction; a row whose (channel, event id) exists already is skipped. Returns ids (0 for skipped). */
  insert(rows: readonly NewRow[]): number[] {
    const stmt = this.db.prepare(
      `INSERT OR IGNORE INTO notify_outbox (channel, event_id, event_type, attack_id, dedup_key, event, status, reason, created_at, next_attempt_at, finished_at)
       VALUES (@channel, @eventId, @eventType, @attackId, @dedupKey, @event, @status, @reason, @createdAt, @next, @finished)`,
    );
    return this.db.transaction(() =>
      rows.map((r) => {
        const info = stmt.run({
          channel: r.channel,
          eventId: r.event.id,
          eventType: r.event.type,
          attackId: r.event.attack.id,
          dedupKey: r.dedupKey,
          event: JSON.stringify(r.event),
          status: r.status,
          reason: r.reason ?? null,
          createdAt: r.createdAt,
          next: r.status === 'pending' ? r.createdAt : null,
          finished: r.status === 'pending' ? null : r.createdAt,
        });
        return info.changes === 1 ? Number(info.lastInsertRowid) : 0;
      }),
    )();
  }

  /** Whether a message with this event id was already queued for the channel. */
  hasEvent(channel: string, eventId: string): boolean {
    return this.db.prepare('SELECT 1 FROM notify_outbox WHERE channel = ? AND event_id = ?').get(channel, eventId) !== undefined;
  }

  /** Whether the channel was sent (or is sending) the same event about the attack since `since`. */
  isDuplicate(channel: string, dedupKey: string, since: number): boolean {
    return (
      this.db.prepare("SELECT 1 FROM notify_outbox WHERE channel = ? AND dedup_key = ? AND status != 'suppressed' AND created_at > ? LIMIT 1").get(channel, dedupKey, since) !==
      undefined
    );
  }

  /** Whether the channel was told anything about the attack (a message not suppressed). */
  wasTold(channel: string, attackId: string): boolean {
    return this.db.prepare("SELECT 1 FROM notify_outbox WHERE channel = ? AND attack_id = ? AND status != 'suppressed' LIMIT 1").get(channel, attackId) !== undefined;
  }

  /**
   * The channel's next deliverable row: due, and the oldest pending one of its attack, so that one attack's
   * messages reach a channel in order (a PagerDuty trigger before its resolve) while other attacks' proceed.
   */
  nextDue(channel: string, now: number): OutboxRow | undefined {
    const raw = this.db
      .prepare(
        `SELECT o.* FROM notify_outbox o
         WHERE o.channel = ? AND o.status = 'pending' AND o.next_attempt_at <= ?
           AND NOT EXISTS (SELECT 1 FROM notify_outbox p WHERE p.channel = o.channel AND p.attack_id = o.attack_id AND p.status = 'pending' AND p.id < o.id)
         ORDER BY o.next_attempt_at, o.id LIMIT 1`,
      )
      .get(channel, now) as RawRow | undefined;
    return raw === undefined ? undefined : fromRaw(raw);
  }

  /** When the next pending row of any of these channels is due (undefined: none pending). */
  nextWake(channels: readonly string[]): number | undefined {
    if (channels.length === 0) return undefined;
    const marks = channels.map(() => '?').join(', ');
    const row = this.db.prepare(`SELECT MIN(next_attempt_at) AS at FROM notify_outbox WHERE status = 'pending' AND channel IN (${marks})`).get(...channels) as { at: number | null };
    return row.at ?? undefined;
  }

  /** Records one attempt and moves the row on: delivered, failed, or pending until retryAt. */
  recordAttempt(
    row: OutboxRow,
    attempt: { at: number; durationMs: number; outcome: OutcomeKind; errorCode?: string; error?: string; httpStatus?: number; retryAfterMs?: number },
    next: { status: 'delivered' } | { status: 'pending'; retryAt: number } | { status: 'failed'; reason: OutboxReason },
  ): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO notify_attempts (outbox_id, attempt, at, duration_ms, outcome, error_code, error, http_status, retry_after_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(row.id, row.attempts + 1, attempt.at, attempt.durationMs, attempt.outcome, attempt.errorCode ?? null, attempt.error ?? null, attempt.httpStatus ?? null, attempt.retryAfterMs ?? null);
      const done = attempt.at + attempt.durationMs;
      this.db
        .prepare(
          `UPDATE notify_outbox SET attempts = attempts + 1, status = ?, reason = ?, next_attempt_at = ?, finished_at = ?,
             last_error_code = COALESCE(?, last_error_code), last_error = COALESCE(?, last_error), last_status = COALESCE(?, last_status)
           WHERE id = ?`,
        )
        .run(
          next.status,
          next.status === 'failed' ? next.reason : null,
          next.status === 'pending' ? next.retryAt : null,
          next.status === 'pending' ? null : done,
          attempt.errorCode ?? null,
          attempt.error ?? null,
          attempt.httpStatus ?? null,
          row.id,
        );
    })();
  }

  /** A provider asked the channel to wait: no pending row of it is tried before `until`. */
  holdChannel(channel: string, until: number): void {
    this.db.prepare("UPDATE notify_outbox SET next_attempt_at = ? WHERE channel = ? AND status = 'pending' AND next_attempt_at < ?").run(until, channel, until);
  }

  /** Gives up every pending row of these channels (they are gone from the configuration or did not load). */
  failPending(channels: readonly string[], reason: OutboxReason, now: number, error: string): number {
    const stmt = this.db.prepare("UPDATE notify_outbox SET status = 'failed', reason = ?, finished_at = ?, next_attempt_at = NULL, last_error = ? WHERE channel = ? AND status = 'pending'");
    return this.db.transaction(() => channels.reduce((n, c) => n + stmt.run(reason, now, error, c).changes, 0))();
  }

  /** Channels that have pending rows. */
  pendingChannels(): string[] {
    return (this.db.prepare("SELECT DISTINCT channel FROM notify_outbox WHERE status = 'pending'").all() as { channel: string }[]).map((r) => r.channel);
  }

  /** Deletes finished rows (and their attempts) older than `before`. */
  purge(before: number): number {
    return this.db.prepare("DELETE FROM notify_outbox WHERE status != 'pending' AND finished_at < ?").run(before).changes;
  }

  countByStatus(channel: string): Record<OutboxStatus, number> {
    const out: Record<OutboxStatus, number> = { pending: 0, delivered: 0, failed: 0, suppressed: 0 };
    for (const r of this.db.prepare('SELECT status, COUNT(*) AS n FROM notify_outbox WHERE channel = ? GROUP BY status').all(channel) as { status: OutboxStatus; n: number }[]) out[r.status] = r.n;
    return out;
  }

  get(id: number): OutboxRow | undefined {
    const raw = this.db.prepare('SELECT * FROM notify_outbox WHERE id = ?').get(id) as RawRow | undefined;
    return raw === undefined ? undefined : fromRaw(raw);
  }

  /** Rows in insertion order, optionally of one channel: for the audit trail and tests. */
  list(filter: { channel?: string; status?: OutboxStatus; since?: number; limit?: number } = {}): OutboxRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.channel !== undefined) (where.push('channel = ?'), args.push(filter.channel));
    if (filter.status !== undefined) (where.push('status = ?'), args.push(filter.status));
    if (filter.since !== undefined) (where.push('created_at >= ?'), args.push(filter.since));
    const sql = `SELECT * FROM notify_outbox ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? 10_000) as RawRow[]).map(fromRaw);
  }

  /** Deliveries that were given up, with every attempt: what the audit trail shows as notification failures. */
  failures(filter: { since?: number; channel?: string; limit?: number } = {}): (OutboxRow & { attemptLog: AttemptRow[] })[] {
    return this.list({ ...filter, status: 'failed' }).map((row) => ({ ...row, attemptLog: this.attempts(row.id) }));
  }

  attempts(outboxId: number): AttemptRow[] {
    return (
      this.db
        .prepare('SELECT attempt, at, duration_ms, outcome, error_code, error, http_status, retry_after_ms FROM notify_attempts WHERE outbox_id = ? ORDER BY id')
        .all(outboxId) as { attempt: number; at: number; duration_ms: number; outcome: OutcomeKind; error_code: string | null; error: string | null; http_status: number | null; retry_after_ms: number | null }[]
    ).map((a) => ({ attempt: a.attempt, at: a.at, durationMs: a.duration_ms, outcome: a.outcome, errorCode: a.error_code, error: a.error, httpStatus: a.http_status, retryAfterMs: a.retry_after_ms }));
  }
}
