// ctx.firewall: filtering on the appliance's own host (nftables) or its agents. The match is the FlowSpec match
// model, so a tier can take an attack's signature as it is and choose where to enforce it.
import type { FlowSpecMatch } from './flowspec-rule.js';
import type { MitigationOptions, MitigationReceipt } from './mitigation-options.js';

export type FirewallAction = { type: 'drop' } | { type: 'rate-limit'; packetsPerSecond: number };

export interface FirewallRule {
  match: FlowSpecMatch;
  action: FirewallAction;
}

/** What a firewall rule has dropped since it was applied (for rate-limit: the packets over the rate). */
export interface FirewallCounters {
  packets: number;
  bytes: number;
  /** When they were read, ms since the epoch. */
  readAt: number;
}

export interface FirewallFacade {
  /** Installs a rule. Rejects with a coded error when the match cannot be expressed or no firewall is configured. */
  apply(rule: FirewallRule, options: MitigationOptions): Promise<MitigationReceipt>;
  /** Resolves false when no such rule was installed. */
  remove(id: string): Promise<boolean>;
  /**
   * Optional (an appliance without it cannot read counters back): the rule's counters, undefined when the rule is
   * no longer installed (removed or expired). A tier's verify uses them to tell whether its filter is hit.
   */
  counters?(id: string): Promise<FirewallCounters | undefined>;
}
