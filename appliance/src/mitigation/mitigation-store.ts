// What the mitigation engine keeps across restarts, in the mitigation_* tables of the appliance database
// (storage/sqlite.ts): each running mitigation's state-machine state, the ledger of every route, rule or
// diversion a stage put in place (claims: pending before the speaker is asked, active once it took it, removed
// with when and why), the last stage that worked per target and vector (re-engagement), the runtime
// "stop all" switch and the flap-damping penalties. Written synchronously in transactions, so the ledger and
// the state never disagree with each other after a crash.
import type { MitigationState } from './escalation-machine.js';
import type { FlapEntry } from './guardrails.js';
import { migrate, type Migration, type SqliteDatabase } from '../storage/sqlite.js';

export type ClaimKind = 'flowspec' | 'rtbh' | 'diversion' | 'firewall';

export interface Claim {
  id: number;
  mitigationId: string;
  stage: number;
  /** The tier plugin that asked for it. */
  plugin: string;
  kind: ClaimKind;
  /** The route id (speaker), rule id (firewall backend) or diversion id; null while pending. */
  resource: string | null;
  /** What was asked for (the rule, the prefix and communities), as JSON. */
  request: unknown;
  status: 'pending' | 'active' | 'removed';
  createdAt: number;
  appliedAt: number | null;
  expiresAt: number | null;
  removedAt: number | null;
  removedReason: string | null;
}

export interface Memory {
  stage: number;
  runbook: string;
  at: number;
}

export interface StopAllSetting {
  on: boolean;
  by: string;
  at: number;
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE mitigation_state (
        id TEXT PRIMARY KEY,
        key TEXT NOT NULL,
        phase TEXT NOT NULL,
        state TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE mitigation_claims (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        mitigation_id TEXT NOT NULL,
        stage INTEGER NOT NULL,
        plugin TEXT NOT NULL,
        kind TEXT NOT NULL,
        resource TEXT,
        request TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        applied_at INTEGER,
        expires_at INTEGER,
        removed_at INTEGER,
        removed_reason TEXT
      );
      CREATE INDEX mitigation_claims_open ON mitigation_claims (status, resource);
      CREATE INDEX mitigation_claims_mitigation ON mitigation_claims (mitigation_id, stage);
      CREATE TABLE mitigation_memory (key TEXT PRIMARY KEY, stage INTEGER NOT NULL, runbook TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE TABLE mitigation_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE mitigation_flaps (key TEXT PRIMARY KEY, penalty REAL NOT NULL, at INTEGER NOT NULL, withdrawn INTEGER NOT NULL, suppressed INTEGER NOT NULL);
    `,
  },
];

interface ClaimRow {
  id: number;
  mitigation_id: string;
  stage: number;
  plugin: string;
  kind: ClaimKind;
  resource: string | null;
  request: string;
  status: Claim['status'];
  created_at: number;
  applied_at: number | null;
  expires_at: number | null;
  removed_at: number | null;
  removed_reason: string | null;
}

export class MitigationStore {
  /** Migrates the mitigation_* tables, unless read-only (a reader such as `breakwater attacks show`). */
  constructor(private readonly db: SqliteDatabase, options: { readonly?: boolean } = {}) {
    if (!options.readonly) migrate(db, 'mitigation', MIGRATIONS);
  }

  /** Runs `work` in one transaction (nested calls join the outer one). */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  loadStates(): MitigationState[] {
    const rows = this.db.prepare('SELECT state FROM mitigation_state ORDER BY rowid').all() as { state: string }[];
    return rows.map((r) => JSON.parse(r.state) as MitigationState);
  }

  /** Saves a state; an ended one is deleted (the audit trail keeps its history, the memory its last stage). */
  saveState(state: MitigationState): void {
    if (state.phase === 'ended') {
      this.db.prepare('DELETE FROM mitigation_state WHERE id = ?').run(state.id);
      return;
    }
    this.db
      .prepare('INSERT INTO mitigation_state (id, key, phase, state, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, state = excluded.state, updated_at = excluded.updated_at')
      .run(state.id, state.key, state.phase, JSON.stringify(state), state.updatedAt);
  }

  addPendingClaim(c: Pick<Claim, 'mitigationId' | 'stage' | 'plugin' | 'kind' | 'request'>, now: number): number {
    const r = this.db
      .prepare("INSERT INTO mitigation_claims (mitigation_id, stage, plugin, kind, request, status, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)")
      .run(c.mitigationId, c.stage, c.plugin, c.kind, JSON.stringify(c.request), now);
    return Number(r.lastInsertRowid);
  }

  /**
   * Marks a pending claim applied. When the same mitigation and stage already hold the resource (a refresh of a
   * route it announced before), that claim gets the new expiry and the pending one is dropped: one claim per
   * resource, so a restart cannot count an announcement twice. Returns the claim that stands.
   */
  activateClaim(pendingId: number, resource: string, expiresAt: number | null, now: number): Claim {
    return this.transaction(() => {
      const pending = this.claim(pendingId)!;
      const existing = this.db
        .prepare("SELECT * FROM mitigation_claims WHERE status = 'active' AND mitigation_id = ? AND stage = ? AND resource = ? AND id != ?")
        .get(pending.mitigationId, pending.stage, resource, pendingId) as ClaimRow | undefined;
      if (existing !== undefined) {
        this.db.prepare('DELETE FROM mitigation_claims WHERE id = ?').run(pendingId);
        this.db.prepare('UPDATE mitigation_claims SET expires_at = ?, request = ? WHERE id = ?').run(expiresAt, JSON.stringify(pending.request), existing.id);
        return this.claim(existing.id)!;
      }
      this.db.prepare("UPDATE mitigation_claims SET status = 'active', resource = ?, applied_at = ?, expires_at = ? WHERE id = ?").run(resource, now, expiresAt, pendingId);
      return this.claim(pendingId)!;
    });
  }

  removeClaim(id: number, reason: string, now: number): void {
    this.db.prepare("UPDATE mitigation_claims SET status = 'removed', removed_at = ?, removed_reason = ? WHERE id = ? AND status != 'removed'").run(now, reason, id);
  }

  claim(id: number): Claim | undefined {
    const row = this.db.prepare('SELECT * FROM mitigation_claims WHERE id = ?').get(id) as ClaimRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Claims not removed (pending and active), optionally narrowed. */
  openClaims(filter: { mitigationId?: string; stage?: number; resource?: string; plugin?: string; kind?: ClaimKind } = {}): Claim[] {
    const where = ["status != 'removed'"];
    const params: unknown[] = [];
    for (const [column, value] of [
      ['mitigation_id', filter.mitigationId],
      ['stage', filter.stage],
      ['resource', filter.resource],
      ['plugin', filter.plugin],
      ['kind', filter.kind],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    return (this.db.prepare(`SELECT * FROM mitigation_claims WHERE ${where.join(' AND ')} ORDER BY id`).all(...params) as ClaimRow[]).map(fromRow);
  }

  /** Every mitigation id the ledger has ever seen: owners whose routes the engine may withdraw as orphans. */
  knownOwners(): Set<string> {
    return new Set((this.db.prepare('SELECT DISTINCT mitigation_id AS id FROM mitigation_claims').all() as { id: string }[]).map((r) => r.id));
  }

  remember(key: string, memory: Memory): void {
    this.db.prepare('INSERT INTO mitigation_memory (key, stage, runbook, at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET stage = excluded.stage, runbook = excluded.runbook, at = excluded.at').run(key, memory.stage, memory.runbook, memory.at);
  }

  recall(key: string): Memory | undefined {
    return this.db.prepare('SELECT stage, runbook, at FROM mitigation_memory WHERE key = ?').get(key) as Memory | undefined;
  }

  stopAll(): StopAllSetting | undefined {
    const row = this.db.prepare("SELECT value FROM mitigation_settings WHERE key = 'stopAll'").get() as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as StopAllSetting);
  }

  setStopAll(setting: StopAllSetting): void {
    this.db.prepare("INSERT INTO mitigation_settings (key, value) VALUES ('stopAll', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(JSON.stringify(setting));
  }

  loadFlaps(): [string, FlapEntry][] {
    const rows = this.db.prepare('SELECT key, penalty, at, withdrawn, suppressed FROM mitigation_flaps').all() as { key: string; penalty: number; at: number; withdrawn: number; suppressed: number }[];
    return rows.map((r) => [r.key, { penalty: r.penalty, at: r.at, withdrawn: r.withdrawn === 1, suppressed: r.suppressed === 1 }]);
  }

  saveFlap(key: string, e: FlapEntry): void {
    this.db
      .prepare('INSERT INTO mitigation_flaps (key, penalty, at, withdrawn, suppressed) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET penalty = excluded.penalty, at = excluded.at, withdrawn = excluded.withdrawn, suppressed = excluded.suppressed')
      .run(key, e.penalty, e.at, e.withdrawn ? 1 : 0, e.suppressed ? 1 : 0);
  }
}

function fromRow(r: ClaimRow): Claim {
  return {
    id: r.id,
    mitigationId: r.mitigation_id,
    stage: r.stage,
    plugin: r.plugin,
    kind: r.kind,
    resource: r.resource,
    request: JSON.parse(r.request) as unknown,
    status: r.status,
    createdAt: r.created_at,
    appliedAt: r.applied_at,
    expiresAt: r.expires_at,
    removedAt: r.removed_at,
    removedReason: r.removed_reason,
  };
}
