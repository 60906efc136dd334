// Where the attack routes read attacks from: the appliance's attack history (history/attack-history.ts) when it
// runs one, else the history table of the appliance database read directly (the same rows, as `breakwater
// attacks` reads them). Attacks detection holds right now are merged in, so an attack shows as active before
// its first history write. An attack's rate series comes from the same place (the running history adds the points
// it has not written yet).
import type { AttackRecord } from '../../detection/attack.js';
import { BreakwaterError } from '../../errors.js';
import { AttackHistoryStore, type AttackQuery, type StoredAttack } from '../../history/attack-history-store.js';
import type { AttackSeriesPoint } from '../../history/attack-series-store.js';
import { targetInside } from '../../mitigation/runbook.js';
import { databasePath, openDatabase, type DatabaseHandle } from '../../storage/sqlite.js';
import type { ApiDeps } from '../api-types.js';

export interface AttackReader {
  list(query: AttackQuery): StoredAttack[];
  get(id: string): StoredAttack | undefined;
  series(id: string): AttackSeriesPoint[];
}

export class AttackSource {
  private handle: DatabaseHandle | undefined;
  private store: AttackReader | undefined;

  constructor(private readonly deps: ApiDeps) {}

  private reader(): AttackReader {
    const running = (this.deps.appliance as unknown as { history?: Partial<AttackReader> }).history;
    if (running !== undefined && typeof running.list === 'function' && typeof running.get === 'function' && typeof running.series === 'function') return running as AttackReader;
    if (this.store === undefined) {
      try {
        this.handle = openDatabase(databasePath(this.deps.dataDir));
        const store = new AttackHistoryStore(this.handle.db);
        this.store = { list: (q) => store.list(q), get: (id) => store.get(id), series: (id) => store.seriesStore.series(id) };
      } catch (err) {
        this.handle?.release();
        this.handle = undefined;
        throw new BreakwaterError('BW_ERR_HISTORY_READ', [databasePath(this.deps.dataDir), (err as Error).message], { cause: err });
      }
    }
    return this.store;
  }

  /** Attacks matching the query, newest first, with detection's active ones merged in. */
  list(query: AttackQuery): StoredAttack[] {
    const stored = this.reader().list(query);
    const known = new Set(stored.map((s) => s.attack.id));
    const live = this.live().filter((a) => !known.has(a.id) && matches(a, query));
    const merged = [...live.map((attack) => ({ attack, endReason: null, writtenAt: attack.updatedAt })), ...stored];
    merged.sort((a, b) => b.attack.startedAt - a.attack.startedAt);
    return merged.slice(0, query.limit ?? 100);
  }

  /** One attack: the history's row, or detection's record while it has none. */
  get(id: string): StoredAttack | undefined {
    const stored = this.reader().get(id);
    if (stored !== undefined) return stored;
    const attack = this.live().find((a) => a.id === id);
    return attack === undefined ? undefined : { attack, endReason: null, writtenAt: attack.updatedAt };
  }

  /** An attack's rate series, oldest first (none for an attack detection holds that the history has not written). */
  series(id: string): AttackSeriesPoint[] {
    return this.reader().series(id);
  }

  close(): void {
    this.handle?.release();
    this.handle = undefined;
    this.store = undefined;
  }

  private live(): AttackRecord[] {
    return this.deps.appliance.detection.activeAttacks();
  }
}

function matches(a: AttackRecord, q: AttackQuery): boolean {
  if (q.vector !== undefined && a.vector !== q.vector) return false;
  if (q.until !== undefined && a.startedAt > q.until) return false;
  if (q.target !== undefined) {
    // As the history filters: a prefix takes attacks inside it; an address takes attacks on it or covering it.
    const hit = q.target.includes('/') ? targetInside(a.target, q.target) : a.target === q.target || (a.target.includes('/') && targetInside(q.target, a.target));
    if (!hit) return false;
  }
  return true;
}
