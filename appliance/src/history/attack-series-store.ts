// The attack history's rate series: one row per point of an attack's timeline (its rates, the threshold it
// crossed, its baseline and confidence as each attack.started / updated / ended published them), in the
// `history_attack_series` table of the appliance database, next to `history_attacks` (attack-history-store.ts
// owns the `history` namespace's migrations and creates this table in its version 2). Rows are appended by
// attack-history.ts inside its flush transaction; retention deletes them with their attack (prune in
// attack-history-store.ts). Read by the REST API (`GET /attacks/:id/series`) and `breakwater attacks show`.
//
// Bounded per attack: past `maxPoints` the series is halved (thin()): the first and the last point stay, and of
// every pair of points between them the one with the higher rate, so the chart keeps covering the whole attack
// and a spike is not thinned away; the component then takes points at the wider spacing (attack-series-buffer.ts).
import type { AttackRecord, RateMetric, Severity } from '../detection/attack.js';
import { BreakwaterError } from '../errors.js';
import { hasTable, type SqliteDatabase } from '../storage/sqlite.js';

export const SERIES_TABLE = 'history_attack_series';

/** The history namespace's migration that adds the series table (attack-history-store.ts lists it). */
export const SERIES_MIGRATION_SQL = `
  CREATE TABLE ${SERIES_TABLE} (
    attack_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    pps REAL NOT NULL,
    bps REAL NOT NULL,
    flows REAL,
    threshold_value REAL NOT NULL,
    threshold_source TEXT NOT NULL,
    baseline REAL,
    confidence REAL NOT NULL,
    severity TEXT NOT NULL,
    PRIMARY KEY (attack_id, at)
  ) WITHOUT ROWID;
`;

/** One point of an attack's timeline. */
export interface AttackSeriesPoint {
  /** The record's updatedAt (ms since the epoch, the detection clock). */
  t: number;
  /** The attack traffic's estimated rates (the record's `rates`). */
  pps: number;
  bps: number;
  flows?: number;
  /** The threshold crossed, in the threshold's metric (fixed for the attack's life: the start's). */
  threshold: number;
  thresholdSource: AttackRecord['threshold']['source'];
  /** The target's baseline in the threshold's metric, when it has one. */
  baseline: number | null;
  confidence: number;
  severity: Severity;
}

/** What `breakwater attacks show` prints and `--json` carries: how many points, the first, the last, the peak. */
export interface AttackSeriesSummary {
  points: number;
  first: AttackSeriesPoint | null;
  last: AttackSeriesPoint | null;
  /** The point with the highest rate in the threshold's metric (pps for a flows threshold). */
  peak: AttackSeriesPoint | null;
}

/** One attack's point as the record has it now. */
export function seriesPointOf(attack: AttackRecord): AttackSeriesPoint {
  const metric = attack.threshold.metric;
  const baseline = attack.baseline?.[metric];
  const point: AttackSeriesPoint = {
    t: attack.updatedAt,
    pps: attack.rates.pps,
    bps: attack.rates.bps,
    threshold: attack.threshold.value,
    thresholdSource: attack.threshold.source,
    baseline: baseline ?? null,
    confidence: attack.confidence,
    severity: attack.severity,
  };
  if (attack.rates.flows !== undefined) point.flows = attack.rates.flows;
  return point;
}

/** The rate a point is compared by (peak, thinning): the threshold's metric, pps for flows. */
export function pointRate(p: AttackSeriesPoint, metric: RateMetric): number {
  return metric === 'bps' ? p.bps : metric === 'flows' ? (p.flows ?? p.pps) : p.pps;
}

export function summarizeSeries(points: readonly AttackSeriesPoint[], metric: RateMetric): AttackSeriesSummary {
  let peak: AttackSeriesPoint | null = null;
  for (const p of points) if (peak === null || pointRate(p, metric) > pointRate(peak, metric)) peak = p;
  return { points: points.length, first: points[0] ?? null, last: points.at(-1) ?? null, peak };
}

interface Row {
  at: number;
  pps: number;
  bps: number;
  flows: number | null;
  threshold_value: number;
  threshold_source: AttackSeriesPoint['thresholdSource'];
  baseline: number | null;
  confidence: number;
  severity: Severity;
}

function fromRow(r: Row): AttackSeriesPoint {
  const p: AttackSeriesPoint = {
    t: r.at,
    pps: r.pps,
    bps: r.bps,
    threshold: r.threshold_value,
    thresholdSource: r.threshold_source,
    baseline: r.baseline,
    confidence: r.confidence,
    severity: r.severity,
  };
  if (r.flows !== null) p.flows = r.flows;
  return p;
}

export class AttackSeriesStore {
  private readonly insert;
  private readonly byAttack;
  private readonly deletePoint;
  /** A read-only handle on a database the appliance has not yet migrated has no table: every series is empty. */
  private readonly present: boolean;

  /** The table must exist (AttackHistoryStore migrates it) unless read-only. */
  constructor(private readonly db: SqliteDatabase, options: { readonly?: boolean } = {}) {
    this.present = hasTable(db, SERIES_TABLE);
    if (!this.present && !options.readonly) throw new BreakwaterError('BW_ERR_HISTORY_WRITE', [db.name, `the ${SERIES_TABLE} table is missing: open the AttackHistoryStore first, it migrates`]);
    // The same time twice (an end published in the tick of the last update) keeps the later one.
    this.insert =
      options.readonly || !this.present
        ? undefined
        : db.prepare(
            `INSERT OR REPLACE INTO ${SERIES_TABLE} (attack_id, at, pps, bps, flows, threshold_value, threshold_source, baseline, confidence, severity)
             VALUES (@attackId, @t, @pps, @bps, @flows, @threshold, @thresholdSource, @baseline, @confidence, @severity)`,
          );
    this.deletePoint = options.readonly || !this.present ? undefined : db.prepare(`DELETE FROM ${SERIES_TABLE} WHERE attack_id = ? AND at = ?`);
    this.byAttack = this.present ? db.prepare(`SELECT at, pps, bps, flows, threshold_value, threshold_source, baseline, confidence, severity FROM ${SERIES_TABLE} WHERE attack_id = ? ORDER BY at`) : undefined;
  }

  /** Appends points; call inside the caller's transaction (AttackHistoryStore.save). */
  append(attackId: string, points: readonly AttackSeriesPoint[]): void {
    const insert = this.insert;
    if (insert === undefined) throw new BreakwaterError('BW_ERR_HISTORY_WRITE', [this.db.name, 'the attack history was opened read-only']);
    for (const p of points) insert.run({ attackId, ...p, flows: p.flows ?? null });
  }

  /**
   * Halves an attack's series: keeps the first and the last point and, of each pair between them, the one with
   * the higher rate in `metric`. Returns the points left and the time they span. Inside the caller's transaction.
   */
  thin(attackId: string, metric: RateMetric): { points: number; spanMs: number } {
    const remove = this.deletePoint;
    if (remove === undefined) throw new BreakwaterError('BW_ERR_HISTORY_WRITE', [this.db.name, 'the attack history was opened read-only']);
    const points = this.series(attackId);
    if (points.length < 3) return { points: points.length, spanMs: points.length < 2 ? 0 : points.at(-1)!.t - points[0]!.t };
    let kept = 2;
    for (let i = 1; i < points.length - 1; i += 2) {
      const a = points[i]!;
      const b = i + 1 < points.length - 1 ? points[i + 1] : undefined;
      if (b === undefined) {
        kept++;
        continue;
      }
      remove.run(attackId, pointRate(b, metric) > pointRate(a, metric) ? a.t : b.t);
      kept++;
    }
    return { points: kept, spanMs: points.at(-1)!.t - points[0]!.t };
  }

  /** An attack's points, oldest first (none for an attack recorded before the series existed). */
  series(attackId: string): AttackSeriesPoint[] {
    if (this.byAttack === undefined) return [];
    return (this.byAttack.all(attackId) as Row[]).map(fromRow);
  }

  /** How many points an attack has. */
  count(attackId: string): number {
    if (!this.present) return 0;
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM ${SERIES_TABLE} WHERE attack_id = ?`).get(attackId) as { n: number }).n;
  }
}
