// The attack history's table: one row per attack (the AttackRecord detection published, as of its last write),
// in the `history_attacks` table of the appliance database (storage/sqlite.ts: WAL, synchronous=FULL). Rows are
// written by attack-history.ts (start, throttled updates, end) and read by `breakwater attacks`, the REST API and
// replay-free tooling through list() and get(). An ended row is never reopened; retention deletes ended rows only.
//
// The record is kept in columns, not as one JSON document: the fields an operator filters or sorts by (target,
// vector, times, severity) are indexed, and the end of an attack interrupted by a crash is a plain UPDATE of
// ended_at and end_reason. The nested parts (threshold, signature match, profile, baseline, sampling rates) are
// JSON columns. fromRow() rebuilds the exact AttackRecord (a test checks the round trip).
//
// The `history` namespace's migrations live here: version 2 adds each attack's rate series (attack-series-store.ts,
// `history_attack_series`), which save() appends to in the same transaction as the rows and prune() deletes with
// its attack. A database of an earlier release upgrades in place when the appliance opens it.
import type { AttackEvent, AttackRecord, Rates } from '../detection/attack.js';
import { BreakwaterError } from '../errors.js';
import { parsePrefix, prefixInside, type ParsedPrefix } from '../flowspec/prefix.js';
import { hasTable, migrate, type Migration, type SqliteDatabase } from '../storage/sqlite.js';
import { AttackSeriesStore, SERIES_MIGRATION_SQL, SERIES_TABLE, type AttackSeriesPoint } from './attack-series-store.js';

/**
 * Why an attack ended: detection's reasons (quiet, expired, manual), or the appliance's: `shutdown` (it was
 * active when the appliance stopped), `restart` (it was active when the appliance died; found at the next start).
 */
export type AttackEndReason = Extract<AttackEvent, { type: 'attack.ended' }>['reason'] | 'shutdown' | 'restart';

export interface StoredAttack {
  attack: AttackRecord;
  /** Null while the attack is active. */
  endReason: AttackEndReason | null;
  /** Wall-clock time of the row's last write (ms since the epoch). */
  writtenAt: number;
}

export interface AttackQuery {
  /** Attacks active at or after this time (not ended before it). */
  since?: number;
  /** Attacks started at or before this time. */
  until?: number;
  /**
   * An address matches attacks on it and prefix attacks (carpet bombing) covering it; a prefix matches every
   * attack whose target lies inside it.
   */
  target?: string;
  /** A vector family ("udp_flood", ...). */
  vector?: string;
  /** Only attacks not ended. */
  active?: boolean;
  /** At most this many, newest first (default 100). */
  limit?: number;
}

export interface HistoryCounts {
  rows: number;
  active: number;
}

/** The `history` namespace's schema versions (storage/sqlite.ts migrate): 1 the attacks, 2 their rate series. */
export const HISTORY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE history_attacks (
        id TEXT PRIMARY KEY,
        target TEXT NOT NULL,
        target_kind TEXT NOT NULL,
        ip_version INTEGER NOT NULL,
        host_group TEXT NOT NULL,
        vector TEXT NOT NULL,
        severity TEXT NOT NULL,
        confidence REAL NOT NULL,
        first_sample_at INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        ended_at INTEGER,
        end_reason TEXT,
        detection_latency_ms INTEGER NOT NULL,
        pps REAL NOT NULL,
        bps REAL NOT NULL,
        flows REAL,
        peak_pps REAL NOT NULL,
        peak_bps REAL NOT NULL,
        peak_flows REAL,
        baseline TEXT,
        samples INTEGER NOT NULL,
        sampling_rates TEXT NOT NULL,
        threshold TEXT NOT NULL,
        signature_match TEXT NOT NULL,
        signature_coverage REAL NOT NULL,
        signature_collateral REAL NOT NULL,
        signature_attack_samples INTEGER NOT NULL,
        signature_benign_samples INTEGER NOT NULL,
        profile TEXT NOT NULL,
        written_at INTEGER NOT NULL
      );
      CREATE INDEX history_attacks_started ON history_attacks (started_at);
      CREATE INDEX history_attacks_target ON history_attacks (target, started_at);
      CREATE INDEX history_attacks_vector ON history_attacks (vector, started_at);
      CREATE INDEX history_attacks_active ON history_attacks (started_at) WHERE end_reason IS NULL;
    `,
  },
  { version: 2, up: SERIES_MIGRATION_SQL },
];

interface Row {
  id: string;
  target: string;
  target_kind: AttackRecord['targetKind'];
  ip_version: 4 | 6;
  host_group: string;
  vector: AttackRecord['vector'];
  severity: AttackRecord['severity'];
  confidence: number;
  first_sample_at: number;
  started_at: number;
  updated_at: number;
  ended_at: number | null;
  end_reason: AttackEndReason | null;
  detection_latency_ms: number;
  pps: number;
  bps: number;
  flows: number | null;
  peak_pps: number;
  peak_bps: number;
  peak_flows: number | null;
  baseline: string | null;
  samples: number;
  sampling_rates: string;
  threshold: string;
  signature_match: string;
  signature_coverage: number;
  signature_collateral: number;
  signature_attack_samples: number;
  signature_benign_samples: number;
  profile: string;
  written_at: number;
}

/** One write: the attack as of now, and its end reason once it ended. */
export interface AttackWrite {
  attack: AttackRecord;
  endReason?: AttackEndReason;
}

/** Points to append to an attack's series, and the most it may hold (past it, the series is thinned). */
export interface SeriesWrite {
  attackId: string;
  points: readonly AttackSeriesPoint[];
  metric: AttackRecord['threshold']['metric'];
  /** How many points the table held before (a count read only when this one says the bound may be passed). */
  storedBefore: number;
  maxPoints: number;
}

/** After a series write: how many points the attack's series holds, and the mean spacing if it was thinned. */
export interface SeriesWritten {
  attackId: string;
  stored: number;
  thinnedStepMs: number;
}

const COLUMNS = [
  'id', 'target', 'target_kind', 'ip_version', 'host_group', 'vector', 'severity', 'confidence', 'first_sample_at', 'started_at',
  'updated_at', 'ended_at', 'end_reason', 'detection_latency_ms', 'pps', 'bps', 'flows', 'peak_pps', 'peak_bps', 'peak_flows',
  'baseline', 'samples', 'sampling_rates', 'threshold', 'signature_match', 'signature_coverage', 'signature_collateral',
  'signature_attack_samples', 'signature_benign_samples', 'profile', 'written_at',
] as const;

export class AttackHistoryStore {
  private readonly upsert;
  private readonly byId;
  /** The attacks' rate series (attack-series-store.ts), in the same file and transactions. */
  readonly seriesStore: AttackSeriesStore;

  /** Migrates the history_* tables unless read-only; `db` comes from storage/sqlite.ts. */
  constructor(private readonly db: SqliteDatabase, options: { readonly?: boolean } = {}) {
    if (!options.readonly) migrate(db, 'history', HISTORY_MIGRATIONS);
    else if (!hasTable(db, 'history_attacks')) throw new BreakwaterError('BW_ERR_HISTORY_READ', [db.name, 'there is no attack history in it yet (the appliance has not run with this release)']);
    const mutable = COLUMNS.filter((c) => c !== 'id');
    // An ended row stays ended: a late update for it (or a second end) changes nothing.
    this.upsert = options.readonly
      ? undefined
      : db.prepare(
          `INSERT INTO history_attacks (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})
           ON CONFLICT (id) DO UPDATE SET ${mutable.map((c) => `${c} = excluded.${c}`).join(', ')}
           WHERE history_attacks.end_reason IS NULL`,
        );
    this.byId = db.prepare('SELECT * FROM history_attacks WHERE id = ?');
    this.seriesStore = new AttackSeriesStore(db, options);
  }

  /**
   * Writes attacks and series points in one transaction (all or none); a series past its bound is thinned in the
   * same transaction, so no reader ever sees more than maxPoints. Throws BW_ERR_HISTORY_WRITE.
   */
  save(writes: readonly AttackWrite[], writtenAt: number, seriesWrites: readonly SeriesWrite[] = []): SeriesWritten[] {
    if (writes.length === 0 && seriesWrites.length === 0) return [];
    const upsert = this.writable();
    try {
      return this.db.transaction(() => {
        for (const w of writes) upsert.run(toRow(w, writtenAt));
        return seriesWrites.map((s) => this.appendSeries(s));
      })();
    } catch (err) {
      throw new BreakwaterError('BW_ERR_HISTORY_WRITE', [this.db.name, (err as Error).message], { cause: err });
    }
  }

  private appendSeries(s: SeriesWrite): SeriesWritten {
    this.seriesStore.append(s.attackId, s.points);
    let stored = s.storedBefore + s.points.length;
    let thinnedStepMs = 0;
    if (stored <= s.maxPoints) return { attackId: s.attackId, stored, thinnedStepMs };
    // The estimate counts a point written twice (same time) twice: count before thinning.
    stored = this.seriesStore.count(s.attackId);
    while (stored > s.maxPoints) {
      const thinned = this.seriesStore.thin(s.attackId, s.metric);
      if (thinned.points >= stored) break;
      stored = thinned.points;
      thinnedStepMs = thinned.points > 1 ? thinned.spanMs / (thinned.points - 1) : 0;
    }
    return { attackId: s.attackId, stored, thinnedStepMs };
  }

  /**
   * Ends every row still active with `reason`. For `restart` (rows left active by a process that died) the end
   * time is the row's last update: the last moment anything was known of the attack. For `shutdown`, `at`.
   * Returns how many rows it ended.
   */
  endActive(reason: 'restart' | 'shutdown', at: number): number {
    this.writable();
    try {
      const endedAt = reason === 'restart' ? 'updated_at' : '@at';
      return this.db.prepare(`UPDATE history_attacks SET ended_at = ${endedAt}, end_reason = @reason, written_at = @at WHERE end_reason IS NULL`).run({ reason, at }).changes;
    } catch (err) {
      throw new BreakwaterError('BW_ERR_HISTORY_WRITE', [this.db.name, (err as Error).message], { cause: err });
    }
  }

  /**
   * Retention: deletes ended attacks that ended before `now - retentionDays`, then the oldest ended ones beyond
   * `maxRows`, each with its series. Active attacks are never deleted. Returns how many attacks went.
   */
  prune(now: number, retention: { retentionDays: number; maxRows: number }): number {
    this.writable();
    // The series first, by the same selection (the series' primary key starts with the attack id).
    const both = (selection: string, arg: number) => {
      this.db.prepare(`DELETE FROM ${SERIES_TABLE} WHERE attack_id IN (${selection})`).run(arg);
      return this.db.prepare(`DELETE FROM history_attacks WHERE id IN (${selection})`).run(arg).changes;
    };
    try {
      return this.db.transaction(() => {
        const old = both('SELECT id FROM history_attacks WHERE end_reason IS NOT NULL AND ended_at < ?', now - retention.retentionDays * 86_400_000);
        const { rows } = this.counts();
        const over = rows - retention.maxRows;
        const excess = over > 0 ? both('SELECT id FROM history_attacks WHERE end_reason IS NOT NULL ORDER BY started_at, id LIMIT ?', over) : 0;
        return old + excess;
      })();
    } catch (err) {
      throw new BreakwaterError('BW_ERR_HISTORY_WRITE', [this.db.name, (err as Error).message], { cause: err });
    }
  }

  counts(): HistoryCounts {
    const r = this.db.prepare('SELECT COUNT(*) AS rows, COUNT(*) - COUNT(end_reason) AS active FROM history_attacks').get() as HistoryCounts;
    return { rows: r.rows, active: r.active };
  }

  /** One attack by id. */
  get(id: string): StoredAttack | undefined {
    const row = this.byId.get(id) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Attacks matching every given filter, newest first. Throws BW_ERR_HISTORY_QUERY for a filter that cannot match. */
  list(q: AttackQuery = {}): StoredAttack[] {
    const limit = q.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1) throw new BreakwaterError('BW_ERR_HISTORY_QUERY', [`limit must be a positive integer, not ${String(q.limit)}`]);
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (q.since !== undefined) {
      where.push('(ended_at IS NULL OR ended_at >= @since)');
      params.since = q.since;
    }
    if (q.until !== undefined) {
      where.push('started_at <= @until');
      params.until = q.until;
    }
    if (q.vector !== undefined) {
      where.push('vector = @vector');
      params.vector = q.vector;
    }
    if (q.active === true) where.push('end_reason IS NULL');
    const within = q.target === undefined ? undefined : targetFilter(q.target);
    if (within !== undefined) {
      where.push('ip_version = @ipVersion');
      params.ipVersion = within.prefix.family === 'ipv4' ? 4 : 6;
      // An address: its own attacks by index (targets are stored in canonical text), and prefix targets to check.
      if (within.host) {
        where.push("(target = @exact OR target_kind = 'prefix')");
        params.exact = within.prefix.canonical.slice(0, within.prefix.canonical.indexOf('/'));
      }
    }
    const sql = `SELECT * FROM history_attacks ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC`;
    const out: StoredAttack[] = [];
    // Targets are matched here, row by row: SQLite has no notion of address containment.
    for (const row of this.db.prepare(sql).iterate(params) as IterableIterator<Row>) {
      if (within !== undefined && !within.matches(row.target)) continue;
      out.push(fromRow(row));
      if (out.length >= limit) break;
    }
    return out;
  }

  private writable(): NonNullable<typeof this.upsert> {
    if (this.upsert === undefined) throw new BreakwaterError('BW_ERR_HISTORY_WRITE', [this.db.name, 'the attack history was opened read-only']);
    return this.upsert;
  }
}

/** An address or a prefix as a ParsedPrefix (an address is its /32 or /128), or undefined. */
function asPrefix(text: string): ParsedPrefix | undefined {
  const parsed = parsePrefix(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
  return parsed.ok ? parsed.prefix : undefined;
}

function targetFilter(text: string): { prefix: ParsedPrefix; host: boolean; matches(target: string): boolean } {
  const query = asPrefix(text);
  if (query === undefined) throw new BreakwaterError('BW_ERR_HISTORY_QUERY', [`target "${text}" is neither an address nor a prefix (203.0.113.10, 203.0.113.0/24, 2001:db8::/32)`]);
  const host = query.length === (query.family === 'ipv4' ? 32 : 128);
  return {
    prefix: query,
    host,
    matches(target) {
      const t = asPrefix(target);
      if (t === undefined || t.family !== query.family) return false;
      return prefixInside(t, query) || (host && prefixInside(query, t));
    },
  };
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

function toRow(w: AttackWrite, writtenAt: number): Row {
  const a = w.attack;
  return {
    id: a.id,
    target: a.target,
    target_kind: a.targetKind,
    ip_version: a.ipVersion,
    host_group: a.hostGroup,
    vector: a.vector,
    severity: a.severity,
    confidence: a.confidence,
    first_sample_at: a.firstSampleAt,
    started_at: a.startedAt,
    updated_at: a.updatedAt,
    ended_at: w.endReason !== undefined ? (a.endedAt ?? a.updatedAt) : null,
    end_reason: w.endReason ?? null,
    detection_latency_ms: a.detectionLatencyMs,
    pps: a.rates.pps,
    bps: a.rates.bps,
    flows: a.rates.flows ?? null,
    peak_pps: a.peak.pps,
    peak_bps: a.peak.bps,
    peak_flows: a.peak.flows ?? null,
    baseline: a.baseline === undefined ? null : json(a.baseline),
    samples: a.samples,
    sampling_rates: json(a.samplingRates),
    threshold: json(a.threshold),
    signature_match: json(a.signature.match),
    signature_coverage: a.signature.coverage,
    signature_collateral: a.signature.collateral,
    signature_attack_samples: a.signature.attackSamples,
    signature_benign_samples: a.signature.benignSamples,
    profile: json(a.profile),
    written_at: writtenAt,
  };
}

function rates(pps: number, bps: number, flows: number | null): Rates {
  return flows === null ? { pps, bps } : { pps, bps, flows };
}

function fromRow(r: Row): StoredAttack {
  const attack: AttackRecord = {
    id: r.id,
    target: r.target,
    targetKind: r.target_kind,
    ipVersion: r.ip_version,
    hostGroup: r.host_group,
    vector: r.vector,
    confidence: r.confidence,
    severity: r.severity,
    firstSampleAt: r.first_sample_at,
    startedAt: r.started_at,
    detectionLatencyMs: r.detection_latency_ms,
    updatedAt: r.updated_at,
    threshold: JSON.parse(r.threshold) as AttackRecord['threshold'],
    rates: rates(r.pps, r.bps, r.flows),
    peak: rates(r.peak_pps, r.peak_bps, r.peak_flows),
    samples: r.samples,
    samplingRates: JSON.parse(r.sampling_rates) as number[],
    profile: JSON.parse(r.profile) as AttackRecord['profile'],
    signature: {
      match: JSON.parse(r.signature_match) as AttackRecord['signature']['match'],
      coverage: r.signature_coverage,
      collateral: r.signature_collateral,
      attackSamples: r.signature_attack_samples,
      benignSamples: r.signature_benign_samples,
    },
  };
  if (r.ended_at !== null) attack.endedAt = r.ended_at;
  if (r.baseline !== null) attack.baseline = JSON.parse(r.baseline) as Rates;
  return { attack, endReason: r.end_reason, writtenAt: r.written_at };
}
