// Mitigations a person asks for by hand (the REST API's POST /mitigations): one FlowSpec rule or one RTBH host
// route with a lifetime, announced through the BGP speaker under the owner "manual:<actor>". The speaker's
// persisted desired state is their only record (it keeps them across restarts and withdraws them when they
// expire); the runbook engine never touches them (its orphan sweep only takes owners it knows).
//
// The guardrails that hold for tiers hold here too, checked before the speaker is asked: "stop all", the
// lifetime cap (mitigation.guardrails.maxTtlSeconds), protected prefixes for RTBH, the RTBH quota, FlowSpec
// rules valid and inside the protected networks. A route another owner already holds is refused, not taken over.
// Every announce, extension and withdrawal goes to the audit trail with the person who did it.
import type { AuditEntry } from '../audit/audit-store.js';
import type { DesiredFlowRoute, DesiredRtbhRoute, Speaker } from '../bgp/speaker.js';
import { rtbhRouteId, flowRouteId } from '../bgp/route-key.js';
import { BreakwaterError } from '../errors.js';
import type { FlowSpecRule } from '../flowspec/rule.js';
import { assertValidFlowSpecRule } from '../flowspec/validate.js';
import { GuardrailRefusal, checkNotProtected, checkTtl } from './guardrails.js';
import { asPrefix } from './runbook.js';
import type { GuardrailsConfig } from './runbook-schema.js';

export const MANUAL_OWNER_PREFIX = 'manual:';

export type ManualRequest =
  | { kind: 'rtbh'; prefix: string; ttlSeconds: number; communities?: string[]; reason?: string }
  | { kind: 'flowspec'; rule: FlowSpecRule; ttlSeconds: number; reason?: string };

export interface ManualMitigation {
  /** The route id (derived from what it announces). */
  id: string;
  kind: 'flowspec' | 'rtbh';
  /** The destination prefix it acts on. */
  target: string;
  /** Who asked: "user:alice", "token:ops". */
  by: string;
  createdAt: number;
  expiresAt: number | null;
  rule?: FlowSpecRule;
  communities?: string[];
}

export interface ManualMitigationsOptions {
  speaker: () => Speaker | undefined;
  guardrails: () => GuardrailsConfig;
  /** The protected networks (networks and host groups' prefixes): FlowSpec rules must stay inside them. */
  protectedNetworks: () => readonly string[];
  /** Why mitigation is stopped ("stop all"), or undefined. */
  stoppedBecause: () => string | undefined;
  /** bgp.rtbh.communities: every RTBH route carries them. */
  rtbhCommunities: () => readonly string[];
  audit: (entry: AuditEntry) => void;
  clock: () => number;
}

const BLACKHOLE = '65535:666';

export class ManualMitigations {
  constructor(private readonly options: ManualMitigationsOptions) {}

  list(): ManualMitigation[] {
    const speaker = this.options.speaker();
    if (speaker === undefined) return [];
    return speaker
      .desiredRoutes()
      .filter((r): r is ManualRoute => r.owner.startsWith(MANUAL_OWNER_PREFIX) && (r.kind === 'flowspec' || r.kind === 'rtbh'))
      .map(view);
  }

  get(id: string): ManualMitigation | undefined {
    return this.list().find((m) => m.id === id);
  }

  /** Announces a rule or route. Throws a guardrail's BW_ERR_MITIGATION_*, BW_ERR_FLOWSPEC_* or the speaker's code. */
  async announce(request: ManualRequest, actor: string): Promise<ManualMitigation> {
    const speaker = this.requireSpeaker(request.kind === 'rtbh' ? `RTBH ${request.prefix}` : 'FlowSpec rule');
    const g = this.options.guardrails();
    const what = request.kind === 'rtbh' ? `RTBH ${asPrefix(request.prefix)}` : `FlowSpec rule for ${request.rule.match.destination?.prefix ?? '?'}`;
    const stopped = this.options.stoppedBecause();
    if (stopped !== undefined) throw new GuardrailRefusal('stop-all', 'BW_ERR_MITIGATION_STOPPED', [stopped, what]);
    checkTtl(what, request.ttlSeconds, g.maxTtlSeconds, 'mitigation.guardrails.maxTtlSeconds');
    const owner = `${MANUAL_OWNER_PREFIX}${actor}`;
    let route: ManualRoute;
    if (request.kind === 'rtbh') {
      const prefix = asPrefix(request.prefix);
      checkNotProtected('RTBH', prefix, g);
      const id = rtbhRouteId(prefix);
      this.refuseTaken(speaker, id, what);
      const rtbh = speaker.desiredRoutes().filter((r) => r.kind === 'rtbh').length;
      if (rtbh >= g.maxRtbhRoutes) throw new GuardrailRefusal('quota', 'BW_ERR_MITIGATION_QUOTA', [what, `${rtbh} RTBH routes are announced and mitigation.guardrails.maxRtbhRoutes is ${g.maxRtbhRoutes}`]);
      const communities = [...new Set([BLACKHOLE, ...this.options.rtbhCommunities(), ...(request.communities ?? [])])];
      route = await speaker.announceRtbh({ prefix, owner, ttlSeconds: request.ttlSeconds, communities });
    } else {
      const rule = assertValidFlowSpecRule(request.rule, { protectedPrefixes: [...this.options.protectedNetworks()] });
      this.refuseTaken(speaker, flowRouteId(rule), what);
      route = await speaker.announceFlow({ rule, owner, ttlSeconds: request.ttlSeconds });
    }
    const made = view(route);
    this.audit(actor, 'manual.announced', made, request.reason, { ttlSeconds: request.ttlSeconds, ...(made.rule ? { rule: made.rule } : { communities: made.communities }) });
    return made;
  }

  /** Withdraws one; false when no manual mitigation has this id. */
  async withdraw(id: string, actor: string, reason?: string): Promise<boolean> {
    const found = this.get(id);
    const speaker = this.options.speaker();
    if (found === undefined || speaker === undefined) return false;
    const done = found.kind === 'rtbh' ? await speaker.withdrawRtbh(id) : await speaker.withdrawFlow(id);
    if (done) this.audit(actor, 'manual.withdrawn', found, reason);
    return done;
  }

  /** Gives one `seconds` more from its current expiry (from now when it has none), within the lifetime cap. */
  async extend(id: string, seconds: number, actor: string): Promise<ManualMitigation | undefined> {
    const found = this.get(id);
    const speaker = this.options.speaker();
    if (found === undefined || speaker === undefined) return undefined;
    const now = this.options.clock();
    const from = found.expiresAt !== null && found.expiresAt > now ? found.expiresAt : now;
    const ttlSeconds = Math.ceil((from - now) / 1000) + seconds;
    const g = this.options.guardrails();
    checkTtl(`extending ${found.id}`, ttlSeconds, g.maxTtlSeconds, 'mitigation.guardrails.maxTtlSeconds');
    const route = found.kind === 'rtbh'
      ? await speaker.announceRtbh({ prefix: found.target, owner: `${MANUAL_OWNER_PREFIX}${found.by}`, ttlSeconds, ...(found.communities ? { communities: found.communities } : {}) })
      : await speaker.announceFlow({ rule: found.rule!, owner: `${MANUAL_OWNER_PREFIX}${found.by}`, ttlSeconds });
    const made = view(route);
    this.audit(actor, 'manual.extended', made, undefined, { seconds, expiresAt: made.expiresAt });
    return made;
  }

  private refuseTaken(speaker: Speaker, id: string, what: string): void {
    const holder = speaker.desiredRoutes().find((r) => r.id === id);
    if (holder !== undefined) throw new BreakwaterError('BW_ERR_MITIGATION_ROUTE_TAKEN', [what, holder.owner.startsWith(MANUAL_OWNER_PREFIX) ? `the manual mitigation ${id}` : `mitigation ${holder.owner}`]);
  }

  private requireSpeaker(what: string): Speaker {
    const speaker = this.options.speaker();
    if (speaker === undefined) throw new BreakwaterError('BW_ERR_MITIGATION_NO_SPEAKER', [what]);
    return speaker;
  }

  private audit(actor: string, action: string, m: ManualMitigation, reason: string | undefined, detail?: Record<string, unknown>): void {
    this.options.audit({
      at: this.options.clock(),
      actor,
      action,
      target: m.target,
      tier: m.kind,
      resource: m.id,
      ...(reason !== undefined ? { reason } : {}),
      ...(detail !== undefined ? { detail } : {}),
    });
  }
}

type ManualRoute = DesiredFlowRoute | DesiredRtbhRoute;

function view(route: ManualRoute): ManualMitigation {
  const base = { id: route.id, kind: route.kind, by: route.owner.slice(MANUAL_OWNER_PREFIX.length), createdAt: route.createdAt, expiresAt: route.expiresAt };
  return route.kind === 'rtbh'
    ? { ...base, target: route.prefix, communities: route.communities }
    : { ...base, target: route.rule.match.destination?.prefix ?? '', rule: route.rule };
}
