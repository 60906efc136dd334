// ctx.firewall: filtering on the appliance's own host (nftables) or its agents. The match is the FlowSpec match
// model, so a tier can take an attack's signature as it is and choose where to enforce it.
import type { FlowSpecMatch } from './flowspec-rule.js';
import type { MitigationOptions, MitigationReceipt } from './mitigation-options.js';

export type FirewallAction = { type: 'drop' } | { type: 'rate-limit'; packetsPerSecond: number };

export interface FirewallRule {
  match: FlowSpecMatch;
  action: FirewallAction;
}

export interface FirewallFacade {
  /** Installs a rule. Rejects with a coded error when the match cannot be expressed or no firewall is configured. */
  apply(rule: FirewallRule, options: MitigationOptions): Promise<MitigationReceipt>;
  /** Resolves false when no such rule was installed. */
  remove(id: string): Promise<boolean>;
}
