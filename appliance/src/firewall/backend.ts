// The firewall backend interface: what the Tier 1 firewall service (and the agent) drive, implemented by
// nftables (nft-backend.ts) and the iptables fallback (iptables-backend.ts). A backend owns one table or chain
// and nothing else on the host; it keeps no state of its own — the kernel's rule comments are the truth, which
// is what lets reconcile remove orphans after a crash.
import type { FilterCounters, FilterEntry } from './filter-entry.js';

export type FirewallBackendKind = 'nftables' | 'iptables';

export interface FirewallBackend {
  readonly kind: FirewallBackendKind;
  /** Refuses (BW_ERR_FIREWALL_UNSUPPORTED) a rule this backend cannot express, without touching the kernel. */
  check(entry: FilterEntry): void;
  /** Installs an entry in one transaction, replacing the kernel rules of an entry with the same id. */
  install(entry: FilterEntry): Promise<void>;
  /** Removes an entry's rules in one transaction; false when none were there. */
  uninstall(id: string): Promise<boolean>;
  /** Counters of every Breakwater entry in the kernel (what it has dropped since it was installed). */
  read(): Promise<FilterCounters[]>;
  /** Makes the kernel hold exactly the unexpired `desired` entries: rules of anything else are removed. */
  reconcile(desired: readonly FilterEntry[], now: number): Promise<void>;
  /** Removes the table or chain and the hook into it. */
  teardown(): Promise<void>;
}
