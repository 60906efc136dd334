// The audit trail: every decision and action of the mitigation engine — what was detected, which runbook and
// stage, which rule, route or firewall entry, applied when, removed when and why, by the engine, a plugin or a
// user — appended to the `audit_events` table of the appliance database (storage/sqlite.ts: WAL,
// synchronous=FULL, so an entry that was written survives a crash or power cut). Rows are only ever appended;
// nothing here updates or deletes one. Queried by time, target, attack and action (`breakwater audit`).
import { parsePrefix, prefixInside } from '../flowspec/prefix.js';
import { BreakwaterError } from '../errors.js';
import { migrate, type Migration, type SqliteDatabase } from '../storage/sqlite.js';

export interface AuditEntry {
  /** ms since the epoch (the engine's clock). */
  at: number;
  /** Who did it: "engine", "user:NAME", "plugin:NAME". */
  actor: string;
  /** What happened, dotted: "attack.detected", "stage.engaged", "action.applied", "action.removed", ... */
  action: string;
  attackId?: string;
  /** The victim address or prefix. */
  target?: string;
  runbook?: string;
  stage?: number;
  stageName?: string;
  tier?: string;
  /** The route id, firewall rule id or engagement id the entry is about. */
  resource?: string;
  /** Why: a guardrail's words, an error code and message, "attack ended", "still active after 300 s". */
  reason?: string;
  /** Anything else worth keeping (the rule, the receipt, the rates), as JSON. */
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  /** Append order; increases with every entry. */
  seq: number;
}

export interface AuditQuery {
  since?: number;
  until?: number;
  /** An address matches itself; a prefix ("203.0.113.0/24") matches every target inside it. */
  target?: string;
  attackId?: string;
  /** An action, or a prefix ending in "." ("stage.") for a family of them. */
  action?: string;
  /** An actor ("user:alice"), or a prefix ending in ":" ("user:") for every actor of a kind. */
  actor?: string;
  /** Text found in the reason, the resource or the detail (case-insensitive). */
  text?: string;
  /** At most this many, the newest kept when there are more (default 1000). */
  limit?: number;
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE audit_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        attack_id TEXT,
        target TEXT,
        runbook TEXT,
        stage INTEGER,
        stage_name TEXT,
        tier TEXT,
        resource TEXT,
        reason TEXT,
        detail TEXT
      );
      CREATE INDEX audit_events_at ON audit_events (at);
      CREATE INDEX audit_events_attack ON audit_events (attack_id, at);
      CREATE INDEX audit_events_target ON audit_events (target, at);
      CREATE INDEX audit_events_action ON audit_events (action, at);
    `,
  },
];

interface Row {
  seq: number;
  at: number;
  actor: string;
  action: string;
  attack_id: string | null;
  target: string | null;
  runbook: string | null;
  stage: number | null;
  stage_name: string | null;
  tier: string | null;
  resource: string | null;
  reason: string | null;
  detail: string | null;
}

export class AuditStore {
  private readonly insert;

  /** Migrates the audit_* tables; `db` comes from storage/sqlite.ts. */
  constructor(private readonly db: SqliteDatabase, options: { readonly?: boolean } = {}) {
    if (!options.readonly) migrate(db, 'audit', MIGRATIONS);
    this.insert = options.readonly
      ? undefined
      : db.prepare(
          `INSERT INTO audit_events (at, actor, action, attack_id, target, runbook, stage, stage_name, tier, resource, reason, detail)
           VALUES (@at, @actor, @action, @attackId, @target, @runbook, @stage, @stageName, @tier, @resource, @reason, @detail)`,
        );
  }

  /** Appends entries in one transaction (all or none). Throws BW_ERR_AUDIT_WRITE. */
  append(...entries: AuditEntry[]): void {
    if (entries.length === 0) return;
    const insert = this.insert;
    if (insert === undefined) throw new BreakwaterError('BW_ERR_AUDIT_WRITE', [this.db.name, 'the audit trail was opened read-only']);
    try {
      this.db.transaction(() => {
        for (const e of entries) {
          insert.run({
            at: e.at,
            actor: e.actor,
            action: e.action,
            attackId: e.attackId ?? null,
            target: e.target ?? null,
            runbook: e.runbook ?? null,
            stage: e.stage ?? null,
            stageName: e.stageName ?? null,
            tier: e.tier ?? null,
            resource: e.resource ?? null,
            reason: e.reason ?? null,
            detail: e.detail === undefined ? null : JSON.stringify(e.detail),
          });
        }
      })();
    } catch (err) {
      throw new BreakwaterError('BW_ERR_AUDIT_WRITE', [this.db.name, (err as Error).message], { cause: err });
    }
  }

  /** Entries matching every given filter, oldest first. */
  query(q: AuditQuery = {}): AuditRecord[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (q.since !== undefined) {
      where.push('at >= @since');
      params.since = q.since;
    }
    if (q.until !== undefined) {
      where.push('at <= @until');
      params.until = q.until;
    }
    if (q.attackId !== undefined) {
      where.push('attack_id = @attackId');
      params.attackId = q.attackId;
    }
    if (q.action !== undefined) {
      if (q.action.endsWith('.')) {
        where.push("substr(action, 1, length(@action)) = @action");
      } else where.push('action = @action');
      params.action = q.action;
    }
    if (q.actor !== undefined) {
      if (q.actor.endsWith(':')) where.push('substr(actor, 1, length(@actor)) = @actor');
      else where.push('actor = @actor');
      params.actor = q.actor;
    }
    if (q.text !== undefined) {
      where.push("(instr(lower(coalesce(reason, '')), @text) > 0 OR instr(lower(coalesce(resource, '')), @text) > 0 OR instr(lower(coalesce(detail, '')), @text) > 0)");
      params.text = q.text.toLowerCase();
    }
    const within = q.target !== undefined && q.target.includes('/') ? parsePrefix(q.target) : undefined;
    if (q.target !== undefined && within === undefined) {
      where.push('target = @target');
      params.target = q.target;
    }
    const limit = q.limit ?? 1000;
    const sql = `SELECT * FROM audit_events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC`;
    const out: AuditRecord[] = [];
    // Prefix targets are matched here, row by row: SQLite has no notion of address containment.
    for (const row of this.db.prepare(sql).iterate(params) as IterableIterator<Row>) {
      if (within !== undefined && !targetInside(row.target, within)) continue;
      out.push(fromRow(row));
      if (out.length >= limit) break;
    }
    return out.reverse();
  }
}

function targetInside(target: string | null, within: ReturnType<typeof parsePrefix>): boolean {
  if (target === null || !within.ok) return false;
  const text = target.includes('/') ? target : `${target}/${target.includes(':') ? 128 : 32}`;
  const parsed = parsePrefix(text);
  return parsed.ok && prefixInside(parsed.prefix, within.prefix);
}

function fromRow(row: Row): AuditRecord {
  const record: AuditRecord = { seq: row.seq, at: row.at, actor: row.actor, action: row.action };
  if (row.attack_id !== null) record.attackId = row.attack_id;
  if (row.target !== null) record.target = row.target;
  if (row.runbook !== null) record.runbook = row.runbook;
  if (row.stage !== null) record.stage = row.stage;
  if (row.stage_name !== null) record.stageName = row.stage_name;
  if (row.tier !== null) record.tier = row.tier;
  if (row.resource !== null) record.resource = row.resource;
  if (row.reason !== null) record.reason = row.reason;
  if (row.detail !== null) record.detail = JSON.parse(row.detail) as Record<string, unknown>;
  return record;
}
