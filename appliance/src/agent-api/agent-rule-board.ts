// What the appliance offers its agents: the filter entries published for protected servers, and the counters
// agents report back. It implements the firewall facade's shape (apply / remove / counters), so the mitigation
// engine can route ctx.firewall to agents exactly as to the local nftables service. An agent sees only entries
// whose destination lies inside one of its token's prefixes.
import { randomBytes } from 'node:crypto';
import type { FirewallCounters, FirewallRule, MitigationOptions, MitigationReceipt } from '@breakwater/sdk';
import type { FilterCounters, FilterEntry } from '../firewall/filter-entry.js';
import { parsePrefix, prefixInside } from '../flowspec/prefix.js';
import type { AgentToken } from './token-store.js';

export interface AgentReport {
  at: number;
  counters: FilterCounters[];
}

export class AgentRuleBoard {
  private readonly entries = new Map<string, FilterEntry>();
  /** agent name → its last report. */
  private readonly reports = new Map<string, AgentReport>();

  constructor(private readonly now: () => number = Date.now) {}

  async apply(rule: FirewallRule, options: MitigationOptions, id = `ag-${randomBytes(6).toString('hex')}`): Promise<MitigationReceipt> {
    const entry: FilterEntry = { id, attackId: options.attackId, rule, expiresAt: this.now() + options.ttlSeconds * 1000 };
    this.entries.set(id, entry);
    return { id, expiresAt: entry.expiresAt };
  }

  async remove(id: string): Promise<boolean> {
    return this.entries.delete(id);
  }

  /** Summed over every agent's latest report; undefined when no agent reports the entry installed. */
  async counters(id: string): Promise<FirewallCounters | undefined> {
    let found: FirewallCounters | undefined;
    for (const report of this.reports.values()) {
      const c = report.counters.find((x) => x.id === id);
      if (c === undefined) continue;
      found ??= { packets: 0, bytes: 0, readAt: report.at };
      found.packets += c.packets;
      found.bytes += c.bytes;
      found.readAt = Math.max(found.readAt, report.at);
    }
    return found;
  }

  /** The unexpired entries this token may receive. */
  entriesFor(token: AgentToken): FilterEntry[] {
    const now = this.now();
    const scopes = token.prefixes.map((p) => parsePrefix(p)).flatMap((r) => (r.ok ? [r.prefix] : []));
    return [...this.entries.values()].filter((e) => {
      if (e.expiresAt <= now) return false;
      const dst = parsePrefix(e.rule.match.destination.prefix);
      return dst.ok && scopes.some((s) => prefixInside(dst.prefix, s));
    });
  }

  /** Stores a report, keeping only counters of entries the agent may see (a token cannot report for others). */
  report(token: AgentToken, counters: readonly FilterCounters[]): void {
    const visible = new Set(this.entriesFor(token).map((e) => e.id));
    this.reports.set(token.name, { at: this.now(), counters: counters.filter((c) => visible.has(c.id)) });
  }

  lastReport(agent: string): AgentReport | undefined {
    return this.reports.get(agent);
  }
}
