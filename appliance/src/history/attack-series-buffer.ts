// One active attack's series points between the attack bus and the table (attack-series-store.ts): the points
// taken and not yet written, how many the table holds, and the spacing points are taken at. Until the series is
// first thinned every point is taken (one per attack.updated, about one a second); after each thinning the
// spacing is the thinned series' mean spacing, and of the points inside one spacing the one with the highest
// rate is taken when the next spacing begins (or when the attack ends, or the history stops), so the table keeps
// an even, bounded series over the whole attack with its spikes. Memory only; nothing here does I/O.
import type { RateMetric } from '../detection/attack.js';
import { pointRate, type AttackSeriesPoint } from './attack-series-store.js';

export class AttackSeriesBuffer {
  /** Points taken and not yet written. */
  pending: AttackSeriesPoint[] = [];
  /** Points the table holds for the attack, as of the last write. */
  stored = 0;
  /** Least spacing of points taken (ms); 0: every point is taken. */
  stepMs = 0;
  /** The highest point of the current spacing, not yet taken. */
  private held: AttackSeriesPoint | undefined;
  private heldFrom = 0;
  private lastTakenAt = Number.NEGATIVE_INFINITY;

  constructor(readonly metric: RateMetric) {}

  offer(p: AttackSeriesPoint): void {
    if (this.stepMs === 0) {
      this.take(p);
      return;
    }
    if (this.held === undefined) {
      this.held = p;
      this.heldFrom = p.t;
      return;
    }
    if (p.t - this.heldFrom >= this.stepMs) {
      this.take(this.held);
      this.held = p;
      this.heldFrom = p.t;
    } else if (pointRate(p, this.metric) >= pointRate(this.held, this.metric)) this.held = p;
  }

  /** Takes the held point: the attack ended, or the history stops. */
  close(): void {
    if (this.held !== undefined) this.take(this.held);
    this.held = undefined;
  }

  /** Whether a write has anything to do. */
  get due(): boolean {
    return this.pending.length > 0;
  }

  /** Points for a reader: the table's plus these (pending and held), oldest first, none twice. */
  unwritten(): AttackSeriesPoint[] {
    return this.held === undefined ? [...this.pending] : [...this.pending, this.held];
  }

  /** After a write of `written` pending points: the table now holds `stored`, and points are taken `stepMs` apart. */
  written(written: number, stored: number, stepMs: number): void {
    this.pending.splice(0, written);
    this.stored = stored;
    if (stepMs > this.stepMs) this.stepMs = stepMs;
  }

  private take(p: AttackSeriesPoint): void {
    // The same time twice (the end in the tick of the last update): the later record is the one kept.
    const last = this.pending.at(-1);
    if (last !== undefined && last.t === p.t) this.pending[this.pending.length - 1] = p;
    else if (p.t >= this.lastTakenAt) this.pending.push(p);
    this.lastTakenAt = Math.max(this.lastTakenAt, p.t);
  }
}
