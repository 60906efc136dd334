// ctx.bgp: the one way a tier plugin announces anything in BGP. It names what it wants (a FlowSpec rule, an
// RTBH host route); which daemon speaks it, the router profiles it is fitted to and the reconcile loop that
// keeps it announced are the appliance's business. A plugin never sees a daemon, a pipe or a config file.
import type { FlowSpecRule } from './flowspec-rule.js';
import type { MitigationOptions, MitigationReceipt } from './mitigation-options.js';

export interface BgpFacade {
  /**
   * Announces a FlowSpec rule. Rejects with a BW_ERR_FLOWSPEC_* code when the rule is malformed or outside
   * the protected networks, BW_ERR_SPEAKER_* / BW_ERR_BGP_* when no speaker can take it.
   */
  announceFlow(rule: FlowSpecRule, options: MitigationOptions): Promise<MitigationReceipt>;
  /** Resolves false when no such route was announced (already withdrawn or expired). */
  withdrawFlow(id: string): Promise<boolean>;
  /**
   * Announces an RTBH (RFC 7999) host route for one address: "203.0.113.10/32", "2001:db8::10/128". It carries
   * BLACKHOLE (65535:666), the configured RTBH communities and `communities` (e.g. a provider's own blackhole
   * community). Rejects with BW_ERR_MITIGATION_* when a guardrail refuses it (protected prefix, quota, ...).
   */
  announceBlackhole(prefix: string, options: MitigationOptions & { communities?: readonly string[] }): Promise<MitigationReceipt>;
  withdrawBlackhole(id: string): Promise<boolean>;
  /**
   * Announces a diversion route: the prefix covering the victim ("203.0.113.0/24") with the communities that
   * tell the upstream or scrubbing provider to pull its traffic through scrubbing. Rejects with
   * BW_ERR_MITIGATION_NO_DIVERSION when the configured speaker cannot announce one.
   */
  announceDiversion(prefix: string, options: MitigationOptions & { communities: readonly string[] }): Promise<MitigationReceipt>;
  withdrawDiversion(id: string): Promise<boolean>;
}
