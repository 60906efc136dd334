// What every mitigation a tier installs through a facade carries: the attack it is for and a lifetime.
// The lifetime is required so that nothing a plugin installs outlives it by accident: a route announced by an
// engage call that timed out, or by a plugin that crashed, still expires.

export interface MitigationOptions {
  /** The AttackRecord id this mitigation is for; the appliance withdraws everything of an attack when it ends. */
  attackId: string;
  /** Lifetime from now, in seconds (1..604800). Re-announce before it runs out to extend it. */
  ttlSeconds: number;
}

/** What the appliance answers when it took a mitigation: the id to withdraw it with, and when it expires. */
export interface MitigationReceipt {
  id: string;
  /** Epoch ms. */
  expiresAt: number;
}
