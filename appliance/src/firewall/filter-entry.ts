// What the firewall backends install and read back: one filter entry per FirewallRule a tier (or the agent) asked
// for, with the id its counters and its removal go by and the instant it stops being wanted. Plain data only, so an
// entry can cross the agent API as JSON unchanged.
import type { FirewallRule } from '@breakwater/sdk';

export interface FilterEntry {
  /** Short, unique, [a-z0-9-] only: it is written into rule comments ("bw:<id>:<expiresAt>"). */
  id: string;
  /** The attack the entry is for (the appliance removes everything of an attack when it ends). */
  attackId: string;
  rule: FirewallRule;
  /** Epoch ms. Past it the entry is removed whether or not anyone asks (the TTL). */
  expiresAt: number;
}

/** Cumulative counters of one entry's kernel rules (summed when the match needed several rules). */
export interface FilterCounters {
  id: string;
  expiresAt: number;
  /** Packets the entry dropped (for rate-limit: the packets above the rate). */
  packets: number;
  bytes: number;
}

const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,47}$/;

export function isFilterId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** The comment that tags every kernel rule of an entry: what reconcile and counter reads find rules by. */
export function entryComment(entry: Pick<FilterEntry, 'id' | 'expiresAt'>): string {
  return `bw:${entry.id}:${Math.ceil(entry.expiresAt / 1000)}`;
}

/** Reads a tag back; undefined for a rule Breakwater did not write (left alone by counters, removed by reconcile). */
export function parseEntryComment(comment: string | undefined): { id: string; expiresAt: number } | undefined {
  const m = /^bw:([a-z0-9][a-z0-9-]{0,47}):([0-9]{1,12})$/.exec(comment ?? '');
  return m ? { id: m[1]!, expiresAt: Number(m[2]) * 1000 } : undefined;
}
