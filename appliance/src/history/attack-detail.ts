// Everything known about one attack, gathered from where each part lives: its history row (attack-history-store)
// and a summary of its rate series (attack-series-store), the audit trail's entries for it (audit/audit-store), the
// mitigation running for it if any (mitigation-store, read-only: the engine owns it) and its capture file
// (capture/attack-pcap-path). For `breakwater attacks show` and the REST API; it reads, it never writes.
import { statSync } from 'node:fs';
import { AuditStore, type AuditRecord } from '../audit/audit-store.js';
import { attackPcapPath } from '../capture/attack-pcap-path.js';
import { MitigationStore } from '../mitigation/mitigation-store.js';
import { summarize, type MitigationSummary } from '../mitigation/mitigation-views.js';
import { hasTable, type SqliteDatabase } from '../storage/sqlite.js';
import type { AttackHistoryStore, StoredAttack } from './attack-history-store.js';
import { summarizeSeries, type AttackSeriesSummary } from './attack-series-store.js';

export interface AttackCapture {
  path: string;
  bytes: number;
}

export interface AttackDetail extends StoredAttack {
  /** The attack's pcap, when the capture wrote one. */
  capture: AttackCapture | null;
  /** The mitigation still running for it (an ended one is gone from the engine's state; the audit trail has its story). */
  mitigation: MitigationSummary | null;
  /** The audit trail's entries for the attack, oldest first. */
  audit: AuditRecord[];
  /** Its rate series: how many points, the first, the last and the peak (GET /attacks/:id/series has them all). */
  series: AttackSeriesSummary;
}

/** The attack's capture file, or null when there is none. Throws BW_ERR_CAPTURE_ATTACK_ID for an impossible id. */
export function attackCapture(dataDir: string, attackId: string): AttackCapture | null {
  const path = attackPcapPath(dataDir, attackId);
  try {
    const stat = statSync(path);
    return stat.isFile() ? { path, bytes: stat.size } : null;
  } catch {
    return null;
  }
}

/** One attack with its audit trail, mitigation and capture; undefined when the history does not hold it. */
export function readAttackDetail(history: AttackHistoryStore, db: SqliteDatabase, dataDir: string, attackId: string): AttackDetail | undefined {
  const stored = history.get(attackId);
  if (stored === undefined) return undefined;
  const audit = hasTable(db, 'audit_events') ? new AuditStore(db, { readonly: true }).query({ attackId, limit: 10_000 }) : [];
  let mitigation: MitigationSummary | null = null;
  if (hasTable(db, 'mitigation_state')) {
    // A mitigation folds in attacks that return while it cools down: it is found by any of its attack ids.
    const state = new MitigationStore(db, { readonly: true }).loadStates().find((s) => s.id === attackId || s.attackIds.includes(attackId));
    if (state !== undefined) mitigation = summarize(state);
  }
  const series = summarizeSeries(history.seriesStore.series(attackId), stored.attack.threshold.metric);
  return { ...stored, capture: attackCapture(dataDir, attackId), mitigation, audit, series };
}
