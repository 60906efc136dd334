// The BGP and firewall facades the engine hands to tier plugins (ctx.bgp, ctx.firewall), and the ledger of what
// they put in place. Every guardrail is enforced here, below the plugin, so no plugin can get around one: "stop
// all", the stage a plugin acts for (it must have one engaging or engaged for that attack), the attack's target
// as the limit of what it may touch, lifetimes, protected prefixes, RTBH prefix length, quotas and flap damping.
// A refusal is thrown as a coded GuardrailRefusal and reported to the engine, which logs, audits and alerts it.
//
// Every route, rule and diversion is a claim in the ledger (mitigation-store.ts), written as pending before the
// speaker is asked and made active after: after a crash the engine can tell which desired routes are its own,
// and which are orphans. Attacks can share one route (two attacks, one victim /32): the route is withdrawn
// when its last claim is released. Withdrawals are never refused.
//
// The firewall side routes to a FirewallBackend (Tier 1 provides one: nftables, `breakwater agent`); without
// one every firewall call is refused with BW_ERR_MITIGATION_NO_FIREWALL.
import type { BgpFacade, FirewallCounters, FirewallFacade, FirewallRule, FlowSpecRule, MitigationOptions, MitigationReceipt } from '@breakwater/sdk';
import { flowSpecPeers } from '../bgp/peers.js';
import { flowRouteId, rtbhRouteId } from '../bgp/route-key.js';
import type { DesiredRoute, Speaker } from '../bgp/speaker.js';
import type { BgpPeerConfig } from '../config/schema.js';
import { BreakwaterError } from '../errors.js';
import { assertValidFlowSpecRule } from '../flowspec/validate.js';
import type { Logger } from '../log.js';
import type { TierFacades } from '../plugins/facades.js';
import type { AuditEntry } from '../audit/audit-store.js';
import type { MitigationState, StageState } from './escalation-machine.js';
import { FlapDamping, GuardrailRefusal, checkNotProtected, checkRtbhPrefixLength, checkScope, checkTtl } from './guardrails.js';
import type { Claim, ClaimKind, MitigationStore } from './mitigation-store.js';
import { asPrefix } from './runbook.js';
import type { GuardrailsConfig } from './runbook-schema.js';

/** A diversion route as a speaker that can announce one keeps it. */
export interface DiversionRoute {
  id: string;
  owner: string;
  prefix: string;
  communities: string[];
  /** The next hop the routers get ("" for the speaker's own address), when the speaker says. */
  nextHop?: string;
  expiresAt: number | null;
}

/**
 * What a speaker must offer for BGP diversion (a covering unicast prefix with communities): BgpSpeaker over
 * ExaBGP, BIRD or GoBGP (bgp/bgp-speaker.ts). `communities` are standard "ASN:VALUE" or large
 * "GLOBAL:LOCAL1:LOCAL2"; the speaker validates them and the prefix, and adds the configured next hop.
 */
export interface DiversionCapable {
  /** False when the daemon cannot announce one (FRR): the facade refuses with BW_ERR_MITIGATION_NO_DIVERSION. */
  readonly originatesDiversion?: boolean;
  announceDiversion(request: { prefix: string; communities: string[]; owner: string; ttlSeconds: number }): Promise<DiversionRoute>;
  withdrawDiversion(id: string): Promise<boolean>;
  diversionRoutes(): DiversionRoute[];
}

export function canDivert(speaker: Speaker | undefined): speaker is Speaker & DiversionCapable {
  const diverting = speaker as (Speaker & Partial<DiversionCapable>) | undefined;
  return diverting !== undefined && typeof diverting.announceDiversion === 'function' && diverting.originatesDiversion !== false;
}

/**
 * Where firewall rules go: Tier 1's firewall service (appliance/src/firewall/, nftables or iptables, and its
 * agents) is one. `attackId` in the options is the owning mitigation's id. It owns expiry and its own
 * reconciliation of the kernel; the engine keeps the ledger of which mitigation holds which rule.
 */
export interface FirewallBackend {
  apply(rule: FirewallRule, options: MitigationOptions): Promise<MitigationReceipt>;
  remove(id: string): Promise<boolean>;
  counters?(id: string): Promise<FirewallCounters | undefined>;
}

/** The stage a plugin acts for. */
export interface ActingStage {
  mitigation: MitigationState;
  stage: StageState;
}

/** What the facades need from the engine. */
export interface FacadeHost {
  now(): number;
  guardrails(): GuardrailsConfig;
  /** Why mitigation is stopped, or undefined when it is not. */
  stoppedBecause(): string | undefined;
  /** The plugin's stage engaging or engaged for this attack (or for the mitigation it was folded into). */
  actingStage(plugin: string, attackId: string): ActingStage | undefined;
  /** A guardrail refused a plugin's call: log, audit, alert. */
  refused(plugin: string, attackId: string, what: string, refusal: GuardrailRefusal, acting: ActingStage | undefined): void;
  audit(entry: Omit<AuditEntry, 'at'>): void;
  bgpPeers(): readonly BgpPeerConfig[];
  /** bgp.rtbh.communities: every RTBH route carries them. */
  rtbhCommunities(): readonly string[];
}

export interface MitigationActionsOptions {
  host: FacadeHost;
  store: MitigationStore;
  speaker: Speaker | undefined;
  firewall: FirewallBackend | undefined;
  damping: FlapDamping;
  log: Logger;
}

const BLACKHOLE = '65535:666';

export class MitigationActions {
  constructor(private readonly options: MitigationActionsOptions) {}

  /** The ctx.bgp and ctx.firewall of one tier plugin. */
  facadesFor(plugin: string): TierFacades {
    const bgp: BgpFacade = {
      announceFlow: (rule, options) => this.guarded(plugin, options.attackId, 'FlowSpec rule', (acting) => this.announceFlow(plugin, acting, rule, options.ttlSeconds)),
      withdrawFlow: (id) => this.release(plugin, 'flowspec', id),
      announceBlackhole: (prefix, options) =>
        this.guarded(plugin, options.attackId, `RTBH ${prefix}`, (acting) => this.announceBlackhole(plugin, acting, prefix, options.ttlSeconds, options.communities ?? [])),
      withdrawBlackhole: (id) => this.release(plugin, 'rtbh', id),
      announceDiversion: (prefix, options) =>
        this.guarded(plugin, options.attackId, `diversion ${prefix}`, (acting) => this.announceDiversion(plugin, acting, prefix, options.ttlSeconds, [...options.communities])),
      withdrawDiversion: (id) => this.release(plugin, 'diversion', id),
    };
    const firewall: FirewallFacade = {
      apply: (rule, options) => this.guarded(plugin, options.attackId, 'firewall rule', (acting) => this.applyFirewall(plugin, acting, rule, options.ttlSeconds)),
      remove: (id) => this.release(plugin, 'firewall', id),
      // Counters of a rule this plugin holds; undefined for any other id, or when the backend cannot read them.
      counters: async (id) => {
        const backend = this.options.firewall;
        if (backend?.counters === undefined || this.options.store.openClaims({ plugin, kind: 'firewall', resource: id }).length === 0) return undefined;
        return backend.counters(id);
      },
    };
    return { bgp, firewall };
  }

  /**
   * Releases every open claim of a mitigation (of one stage, or all): what a tier left behind after disengage,
   * or everything at "stop all". Returns how many claims were released.
   */
  async sweep(mitigationId: string, stage: number | undefined, reason: string): Promise<number> {
    const claims = this.options.store.openClaims({ mitigationId, ...(stage !== undefined ? { stage } : {}) });
    for (const claim of claims) await this.releaseClaim(claim, reason, 'engine');
    return claims.length;
  }

  /**
   * Active claims whose route is gone from the speaker (expired, withdrawn by hand) are closed. At start also:
   * pending claims (the engine stopped while the speaker was being asked) become active when the speaker holds
   * a route of their mitigation nobody claims, or are dropped; and routes of known owners that no open claim
   * holds are withdrawn as orphans. Those two only at start: while running, a pending claim may be a call in
   * flight whose route the speaker already holds. Returns what changed, for the log.
   */
  async reconcile(options: { atStart: boolean }): Promise<{ adopted: number; closed: number; orphans: number }> {
    const { store, speaker } = this.options;
    const now = this.options.host.now();
    const result = { adopted: 0, closed: 0, orphans: 0 };
    if (speaker === undefined) return result;
    const desired = new Map<string, { owner: string; expiresAt: number | null; kind: ClaimKind }>();
    for (const r of speaker.desiredRoutes()) desired.set(r.id, { owner: r.owner, expiresAt: r.expiresAt, kind: r.kind === 'flowspec' ? 'flowspec' : 'rtbh' });
    if (canDivert(speaker)) for (const r of speaker.diversionRoutes()) desired.set(r.id, { owner: r.owner, expiresAt: r.expiresAt, kind: 'diversion' });

    const open = store.openClaims().filter((c) => c.kind !== 'firewall');
    const claimed = new Set(open.filter((c) => c.status === 'active').map((c) => c.resource));
    for (const c of options.atStart ? open.filter((c) => c.status === 'pending') : []) {
      const route = [...desired.entries()].find(([id, r]) => r.owner === c.mitigationId && r.kind === c.kind && !claimed.has(id));
      if (route !== undefined) {
        store.activateClaim(c.id, route[0], route[1].expiresAt, now);
        claimed.add(route[0]);
        result.adopted++;
        this.options.host.audit({ actor: 'engine', action: 'action.applied', attackId: c.mitigationId, stage: c.stage, tier: c.plugin, resource: route[0], reason: 'found in the speaker after a restart' });
      } else {
        store.removeClaim(c.id, 'never applied (the engine stopped before the speaker took it)', now);
        result.closed++;
      }
    }
    for (const c of store.openClaims().filter((c) => c.status === 'active' && c.kind !== 'firewall')) {
      if (c.resource !== null && desired.has(c.resource)) continue;
      const why = c.expiresAt !== null && c.expiresAt <= now ? 'expired' : 'no longer in the speaker';
      store.removeClaim(c.id, why, now);
      result.closed++;
      this.options.host.audit({ actor: 'engine', action: 'action.removed', attackId: c.mitigationId, stage: c.stage, tier: c.plugin, resource: c.resource ?? undefined, reason: why });
    }
    if (!options.atStart) return result;
    const stillClaimed = new Set(store.openClaims().map((c) => c.resource));
    const owners = store.knownOwners();
    for (const [id, r] of desired) {
      if (stillClaimed.has(id) || !owners.has(r.owner)) continue;
      await this.withdrawResource(r.kind, id);
      result.orphans++;
      this.options.host.audit({ actor: 'engine', action: 'action.removed', attackId: r.owner, resource: id, reason: 'orphan: no mitigation holds it' });
    }
    return result;
  }

  /** How much of a stage's BGP and firewall work is still in place, as the ledger and the speaker see it. */
  stageHealth(mitigationId: string, stage: number): { claims: number; missing: string[] } {
    const open = this.options.store.openClaims({ mitigationId, stage }).filter((c) => c.status === 'active');
    const desired = new Set(this.options.speaker?.desiredRoutes().map((r) => r.id) ?? []);
    if (canDivert(this.options.speaker)) for (const r of this.options.speaker.diversionRoutes()) desired.add(r.id);
    const missing = open.filter((c) => c.kind !== 'firewall' && c.resource !== null && !desired.has(c.resource)).map((c) => c.resource!);
    return { claims: open.length, missing };
  }

  private async guarded(plugin: string, attackId: string, what: string, work: (acting: ActingStage) => Promise<MitigationReceipt>): Promise<MitigationReceipt> {
    const host = this.options.host;
    let acting: ActingStage | undefined;
    try {
      const stopped = host.stoppedBecause();
      if (stopped !== undefined) throw new GuardrailRefusal('stop-all', 'BW_ERR_MITIGATION_STOPPED', [stopped, what]);
      acting = host.actingStage(plugin, attackId);
      if (acting === undefined) throw new GuardrailRefusal('not-engaging', 'BW_ERR_MITIGATION_NOT_ENGAGING', [what, plugin, attackId]);
      return await work(acting);
    } catch (err) {
      if (err instanceof GuardrailRefusal) host.refused(plugin, attackId, what, err, acting);
      throw err;
    }
  }

  private allowedTtl(acting: ActingStage): { seconds: number; where: string } {
    const stage = acting.mitigation.runbook.stages[acting.stage.index]!;
    const cap = this.options.host.guardrails().maxTtlSeconds;
    return stage.maxLifetimeSeconds <= cap
      ? { seconds: stage.maxLifetimeSeconds, where: `runbook ${acting.mitigation.runbook.name}, stage ${stage.name}, maxLifetimeSeconds` }
      : { seconds: cap, where: 'mitigation.guardrails.maxTtlSeconds' };
  }

  private checkTtl(what: string, acting: ActingStage, ttlSeconds: number): void {
    const allowed = this.allowedTtl(acting);
    checkTtl(what, ttlSeconds, allowed.seconds, allowed.where);
  }

  private async announceFlow(plugin: string, acting: ActingStage, input: FlowSpecRule, ttlSeconds: number): Promise<MitigationReceipt> {
    const speaker = this.requireSpeaker('FlowSpec rule');
    const target = acting.mitigation.attack.target;
    const destination = input.match.destination?.prefix ?? '';
    this.checkTtl('FlowSpec rule', acting, ttlSeconds);
    checkScope('FlowSpec rule', destination, target, 'inside');
    // The rest of the rule (values, actions, conflicts) is checked by the FlowSpec validator, with the target
    // as the only network the rule may name.
    const rule = assertValidFlowSpecRule(input, { protectedPrefixes: [asPrefix(target)] });
    const id = flowRouteId(rule);
    const routes = speaker.desiredRoutes();
    this.checkFlowQuota(rule, id, routes);
    const admit = (): void => {
      if (!this.isUp(id)) this.options.damping.announce(`FlowSpec rule ${id}`, id, this.options.host.now());
    };
    return this.apply(plugin, acting, 'flowspec', { rule, ttlSeconds }, admit, async () => {
      const route = await speaker.announceFlow({ rule, owner: acting.mitigation.id, ttlSeconds });
      return { resource: route.id, expiresAt: route.expiresAt, detail: { rule: route.rule, trimmed: route.trimmed } };
    });
  }

  private async announceBlackhole(plugin: string, acting: ActingStage, prefixText: string, ttlSeconds: number, extra: readonly string[]): Promise<MitigationReceipt> {
    const speaker = this.requireSpeaker(`RTBH ${prefixText}`);
    const prefix = asPrefix(prefixText);
    const what = `RTBH ${prefix}`;
    this.checkTtl(what, acting, ttlSeconds);
    checkScope(what, prefix, acting.mitigation.attack.target, 'inside');
    checkNotProtected('RTBH', prefix, this.options.host.guardrails());
    checkRtbhPrefixLength(prefix, acting.mitigation.runbook);
    const id = rtbhRouteId(prefix);
    const rtbh = speaker.desiredRoutes().filter((r) => r.kind === 'rtbh' && r.id !== id).length;
    const max = this.options.host.guardrails().maxRtbhRoutes;
    if (rtbh >= max) throw new GuardrailRefusal('quota', 'BW_ERR_MITIGATION_QUOTA', [what, `${rtbh} RTBH routes are announced and mitigation.guardrails.maxRtbhRoutes is ${max}`]);
    const admit = (): void => {
      if (!this.isUp(id)) this.options.damping.announce(what, id, this.options.host.now());
    };
    const communities = [...new Set([BLACKHOLE, ...this.options.host.rtbhCommunities(), ...extra])];
    return this.apply(plugin, acting, 'rtbh', { prefix, communities, ttlSeconds }, admit, async () => {
      const route = await speaker.announceRtbh({ prefix, owner: acting.mitigation.id, ttlSeconds, communities });
      return { resource: route.id, expiresAt: route.expiresAt, detail: { prefix: route.prefix, communities: route.communities, nextHop: route.nextHop } };
    });
  }

  private async announceDiversion(plugin: string, acting: ActingStage, prefixText: string, ttlSeconds: number, communities: string[]): Promise<MitigationReceipt> {
    const prefix = asPrefix(prefixText);
    const what = `diversion ${prefix}`;
    this.checkTtl(what, acting, ttlSeconds);
    checkScope(what, prefix, acting.mitigation.attack.target, 'covering');
    checkNotProtected('diversion', prefix, this.options.host.guardrails());
    const speaker = this.options.speaker;
    if (!canDivert(speaker)) throw new BreakwaterError('BW_ERR_MITIGATION_NO_DIVERSION', [speaker?.kind ?? 'none', what]);
    const held = speaker.diversionRoutes().filter((r) => r.prefix !== prefix).length;
    const max = this.options.host.guardrails().maxDiversionRoutes;
    if (held >= max) throw new GuardrailRefusal('quota', 'BW_ERR_MITIGATION_QUOTA', [what, `${held} diversion routes are announced and mitigation.guardrails.maxDiversionRoutes is ${max}`]);
    const admit = (): void => {
      const up = this.options.store.openClaims({ kind: 'diversion' }).some((c) => c.status === 'active' && (c.request as { prefix?: string }).prefix === prefix);
      if (!up) this.options.damping.announce(what, diversionKey(prefix), this.options.host.now());
    };
    return this.apply(plugin, acting, 'diversion', { prefix, communities, ttlSeconds }, admit, async () => {
      const route = await speaker.announceDiversion({ prefix, communities, owner: acting.mitigation.id, ttlSeconds });
      const nextHop = route.nextHop === undefined ? {} : { nextHop: route.nextHop === '' ? 'self' : route.nextHop };
      return { resource: route.id, expiresAt: route.expiresAt, detail: { prefix: route.prefix, communities: route.communities, ...nextHop } };
    });
  }

  private async applyFirewall(plugin: string, acting: ActingStage, rule: FirewallRule, ttlSeconds: number): Promise<MitigationReceipt> {
    this.checkTtl('firewall rule', acting, ttlSeconds);
    checkScope('firewall rule', rule.match.destination?.prefix ?? '', acting.mitigation.attack.target, 'inside');
    const backend = this.options.firewall;
    if (backend === undefined) throw new BreakwaterError('BW_ERR_MITIGATION_NO_FIREWALL', ['firewall rule']);
    return this.apply(plugin, acting, 'firewall', { rule, ttlSeconds }, () => undefined, async () => {
      const receipt = await backend.apply(rule, { attackId: acting.mitigation.id, ttlSeconds });
      return { resource: receipt.id, expiresAt: receipt.expiresAt, detail: { rule } };
    });
  }

  /**
   * Ledger first (pending), then the speaker or backend, then the ledger again (active) and the audit trail.
   * `admit` (flap damping: it records the announcement, or refuses it and records the suppression) runs in the
   * pending claim's transaction, so the two cost one fsync; a refusal still commits what damping recorded.
   */
  private async apply(
    plugin: string,
    acting: ActingStage,
    kind: ClaimKind,
    request: Record<string, unknown>,
    admit: () => void,
    put: () => Promise<{ resource: string; expiresAt: number | null; detail: Record<string, unknown> }>,
  ): Promise<MitigationReceipt> {
    const { store, host } = this.options;
    const mitigationId = acting.mitigation.id;
    let refusal: { err: unknown } | undefined;
    const pending = store.transaction(() => {
      try {
        admit();
      } catch (err) {
        refusal = { err };
        return undefined;
      }
      return store.addPendingClaim({ mitigationId, stage: acting.stage.index, plugin, kind, request }, host.now());
    });
    if (pending === undefined) throw refusal?.err;
    let done: { resource: string; expiresAt: number | null; detail: Record<string, unknown> };
    try {
      done = await put();
    } catch (err) {
      store.removeClaim(pending, `not applied: ${(err as Error).message}`, host.now());
      throw err;
    }
    // The claim made active and its audit entry: one transaction, one fsync.
    store.transaction(() => {
      const claim = store.activateClaim(pending, done.resource, done.expiresAt, host.now());
      host.audit({
        actor: `plugin:${plugin}`,
        action: 'action.applied',
        attackId: mitigationId,
        target: acting.mitigation.attack.target,
        runbook: acting.mitigation.runbook.name,
        stage: acting.stage.index,
        stageName: acting.stage.name,
        tier: plugin,
        resource: done.resource,
        detail: { kind, expiresAt: done.expiresAt, claim: claim.id, ...done.detail },
      });
    });
    return { id: done.resource, expiresAt: done.expiresAt ?? host.now() + Number(request.ttlSeconds) * 1000 };
  }

  /** A plugin withdraws what one of its claims holds. False when it holds nothing by that id. */
  private async release(plugin: string, kind: ClaimKind, id: string): Promise<boolean> {
    const claims = this.options.store.openClaims({ plugin, kind, resource: id });
    if (claims.length === 0) return false;
    for (const claim of claims) await this.releaseClaim(claim, `withdrawn by ${plugin}`, `plugin:${plugin}`);
    return true;
  }

  private async releaseClaim(claim: Claim, reason: string, actor: string): Promise<void> {
    const { store, host } = this.options;
    store.removeClaim(claim.id, reason, host.now());
    if (claim.resource === null) return;
    const others = store.openClaims({ resource: claim.resource, kind: claim.kind });
    let withdrawn = false;
    if (others.length === 0) {
      const key = claim.kind === 'diversion' ? diversionKey(String((claim.request as { prefix?: string }).prefix)) : claim.resource;
      this.options.damping.withdraw(key, host.now());
      withdrawn = await this.withdrawResource(claim.kind, claim.resource);
    }
    host.audit({
      actor,
      action: 'action.removed',
      attackId: claim.mitigationId,
      stage: claim.stage,
      tier: claim.plugin,
      resource: claim.resource,
      reason: others.length > 0 ? `${reason}; kept for ${others.map((c) => c.mitigationId).join(', ')}` : reason,
      detail: { kind: claim.kind, claim: claim.id, withdrawn },
    });
  }

  private async withdrawResource(kind: ClaimKind, id: string): Promise<boolean> {
    const { speaker, firewall } = this.options;
    switch (kind) {
      case 'flowspec':
        return speaker?.withdrawFlow(id) ?? false;
      case 'rtbh':
        return speaker?.withdrawRtbh(id) ?? false;
      case 'diversion':
        return canDivert(speaker) ? speaker.withdrawDiversion(id) : false;
      case 'firewall':
        return firewall?.remove(id) ?? false;
    }
  }

  /** Whether a route by this key is announced and claimed now: announcing it again is a refresh, not a flap. */
  private isUp(id: string): boolean {
    return this.options.store.openClaims({ resource: id }).some((c) => c.status === 'active');
  }

  private requireSpeaker(what: string): Speaker {
    if (this.options.speaker === undefined) throw new BreakwaterError('BW_ERR_MITIGATION_NO_SPEAKER', [what]);
    return this.options.speaker;
  }

  /** Every FlowSpec peer of the rule's family gets every rule of that family: count per peer. */
  private checkFlowQuota(rule: FlowSpecRule, id: string, routes: readonly DesiredRoute[]): void {
    const g = this.options.host.guardrails();
    const installed = routes.filter((r) => r.kind === 'flowspec' && r.rule.family === rule.family && r.id !== id).length;
    for (const peer of flowSpecPeers(this.options.host.bgpPeers(), rule.family)) {
      const max = g.flowSpecRulesPerPeer[peer.name] ?? g.maxFlowSpecRulesPerPeer;
      if (installed >= max) {
        throw new GuardrailRefusal('quota', 'BW_ERR_MITIGATION_QUOTA', [`FlowSpec rule ${id}`, `peer ${peer.name} already has ${installed} ${rule.family} FlowSpec rules and its limit is ${max}`]);
      }
    }
  }
}

/** Flap-damping key of a diversion: its prefix (the speaker's route id is only known after announcing). */
function diversionKey(prefix: string): string {
  return `divert ${prefix}`;
}
