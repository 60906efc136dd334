// A mitigation tier: one way of acting on an attack (FlowSpec, RTBH, local filtering, a scrubbing service).
// The runbook engine calls engage when a runbook stage selects the tier for an attack, disengage when the
// stage is left (the attack ended, or it escalated or stepped down), verify to check the mitigation is still in
// place. docs/plugins.md has the table of when each hook runs and what happens on error or timeout.
import type { PluginApiVersion } from './api-version.js';
import type { AttackRecord } from './attack.js';
import type { ConfigOf, PluginConfigSchema } from './config-schema.js';
import type { TierContext } from './context.js';
import type { JsonObject } from './json.js';

/** The runbook stage that selected the tier. */
export interface RunbookStage {
  /** The runbook's name. */
  runbook: string;
  /** 0 for the first stage; escalation moves to higher stages. */
  index: number;
  /** The stage's name in the runbook. */
  name: string;
  /**
   * The runbook's settings for this tier at this stage ("discard" or "rate-limit", a provider, communities), as
   * the operator wrote them: plain JSON, checked by the tier itself. The runbook engine always sets it.
   */
  settings?: JsonObject;
  /**
   * The longest lifetime this stage's actions may carry, in seconds: pass it as `ttlSeconds` when announcing.
   * The engine refuses a longer one (BW_ERR_MITIGATION_TTL) and leaves the stage when it runs out. Always set by
   * the engine; a tier tested on its own falls back to its own default.
   */
  ttlSeconds?: number;
}

/**
 * What engage hands back: the appliance stores it (audit trail, persisted state) and passes it to disengage and
 * verify, so a tier keeps what it needs to undo its work here rather than in memory. Plain JSON.
 */
export interface Engagement {
  /** The tier's own reference, e.g. a route id or a scrubbing-service ticket. */
  id: string;
  /** One line for operators: "FlowSpec discard udp 203.0.113.10/32 src-port 123". */
  summary: string;
  data?: JsonObject;
}

export interface EngagementStatus {
  /** active: in place; degraded: partly in place (some routers refused); gone: no longer in place. */
  state: 'active' | 'degraded' | 'gone';
  detail?: string;
  /**
   * What the mitigation has matched since it was engaged, where the tier can read it (nftables rule counters, a
   * router's filter counters, a scrubbing service's statistics): cumulative totals, not rates. The engine keeps
   * the latest with the stage (`breakwater mitigations list`) and writes them to the audit trail when the stage
   * is left, so an operator sees that the filter was hit.
   */
  counters?: {
    /** Packets matched (dropped or rate-limited) since the engagement began. */
    packets: number;
    bytes: number;
    /** When the tier read them, ms since the epoch. */
    readAt?: number;
  };
}

/** The hooks create() returns. Each may return a value or a promise of it. */
export interface TierHooks {
  /** Optional: I/O the tier needs before its first engage (open a connection, read a token). */
  start?(signal: AbortSignal): void | Promise<void>;
  engage(attack: AttackRecord, stage: RunbookStage, signal: AbortSignal): Engagement | Promise<Engagement>;
  disengage(engagement: Engagement, attack: AttackRecord, signal: AbortSignal): void | Promise<void>;
  /** Optional: without it the appliance trusts engage's result until disengage. */
  verify?(engagement: Engagement, signal: AbortSignal): EngagementStatus | Promise<EngagementStatus>;
  /** Optional: release what start took. ctx.signal is already aborted when it runs. */
  stop?(signal: AbortSignal): void | Promise<void>;
}

export interface TierDefinition<S extends PluginConfigSchema = PluginConfigSchema> {
  readonly kind: 'tier';
  /** Must equal the plugin package's name. */
  readonly name: string;
  readonly apiVersion: PluginApiVersion;
  readonly configSchema: S;
  /** Builds the hooks. Runs once per load, synchronously, and must do no I/O (that belongs in start). */
  create(ctx: TierContext<ConfigOf<S>>): TierHooks;
}

/** Declares a tier plugin; the package's entry module default-exports the result. */
export function defineTier<S extends PluginConfigSchema>(definition: Omit<TierDefinition<S>, 'kind'>): TierDefinition<S> {
  return Object.freeze({ ...definition, kind: 'tier' as const });
}
