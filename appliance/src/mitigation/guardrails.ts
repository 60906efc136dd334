// The guardrails every mitigation passes, whatever runbook or plugin asks for it: protected prefixes that are
// never blackholed or diverted, host-route-only RTBH unless the runbook allows wider, the target scope (a
// plugin acts on its attack's target and nothing else), mandatory lifetimes, and flap damping of routes
// announced and withdrawn over and over. Pure checks and one small damping table; facades.ts and the engine
// apply them and turn a refusal into a log line, an audit entry and an alert. Quotas need the speaker's
// current routes, so they are counted in facades.ts.
import { BreakwaterError } from '../errors.js';
import { parsePrefix, prefixInside, type ParsedPrefix } from '../flowspec/prefix.js';
import { asPrefix } from './runbook.js';
import type { GuardrailsConfig, Runbook } from './runbook-schema.js';

/** A refusal: which guardrail, and the coded error that says why. */
export class GuardrailRefusal extends BreakwaterError {
  constructor(
    readonly guardrail: 'stop-all' | 'protected-prefix' | 'rtbh-prefix-length' | 'quota' | 'ttl' | 'flap-damping' | 'scope' | 'not-engaging',
    code: ConstructorParameters<typeof BreakwaterError>[0],
    args: readonly unknown[],
  ) {
    super(code, args, { details: { guardrail } });
  }
}

export function isGuardrailRefusal(err: unknown): err is GuardrailRefusal {
  return err instanceof GuardrailRefusal;
}

function parse(text: string): ParsedPrefix | undefined {
  const p = parsePrefix(asPrefix(text));
  return p.ok ? p.prefix : undefined;
}

/** The protected prefix that `prefix` overlaps (either contains the other), or undefined. */
export function protectedOverlap(prefix: string, guardrails: Pick<GuardrailsConfig, 'protectedPrefixes'>): string | undefined {
  const p = parse(prefix);
  if (p === undefined) return undefined;
  return guardrails.protectedPrefixes.find((text) => {
    const q = parse(text);
    return q !== undefined && (prefixInside(p, q) || prefixInside(q, p));
  });
}

export function checkNotProtected(what: string, prefix: string, guardrails: Pick<GuardrailsConfig, 'protectedPrefixes'>): void {
  const hit = protectedOverlap(prefix, guardrails);
  if (hit !== undefined) throw new GuardrailRefusal('protected-prefix', 'BW_ERR_MITIGATION_PROTECTED', [what, asPrefix(prefix), hit]);
}

/** RTBH is for host routes (RFC 7999 §3.2) unless the runbook allows a shorter prefix. */
export function checkRtbhPrefixLength(prefix: string, runbook: Pick<Runbook, 'name' | 'rtbh'>): void {
  const p = parse(prefix);
  if (p === undefined) return; // the speaker refuses what is not an address, with its own code
  const min = p.family === 'ipv4' ? runbook.rtbh.minPrefixLengthIpv4 : runbook.rtbh.minPrefixLengthIpv6;
  if (p.length < min) throw new GuardrailRefusal('rtbh-prefix-length', 'BW_ERR_MITIGATION_RTBH_PREFIX', [p.canonical, runbook.name, min]);
}

/** A plugin acts on its attack's target only: the prefix must lie inside it (or, for a diversion, contain it). */
export function checkScope(what: string, prefix: string, target: string, direction: 'inside' | 'covering'): void {
  const p = parse(prefix);
  const t = parse(target);
  if (p === undefined || t === undefined) return;
  const ok = direction === 'inside' ? prefixInside(p, t) : prefixInside(t, p);
  if (!ok) throw new GuardrailRefusal('scope', 'BW_ERR_MITIGATION_SCOPE', [what, p.canonical, target]);
}

export function checkTtl(what: string, ttlSeconds: number, allowedSeconds: number, where: string): void {
  if (ttlSeconds > allowedSeconds) throw new GuardrailRefusal('ttl', 'BW_ERR_MITIGATION_TTL', [what, ttlSeconds, allowedSeconds, where]);
}

/** The covering prefix a diversion of `target` moves, at the configured length. */
export function coveringPrefix(target: string, lengths: GuardrailsConfig['diversionPrefixLength']): string {
  const p = parse(target);
  if (p === undefined) return target;
  const width = p.family === 'ipv4' ? 32 : 128;
  const length = Math.min(p.length, p.family === 'ipv4' ? lengths.ipv4 : lengths.ipv6);
  const mask = ((1n << BigInt(length)) - 1n) << BigInt(width - length);
  const network = p.value & mask;
  const parsed = parsePrefix(`${formatNetwork(p.family, network)}/${length}`);
  return parsed.ok ? parsed.prefix.canonical : target;
}

function formatNetwork(family: 'ipv4' | 'ipv6', value: bigint): string {
  if (family === 'ipv4') return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':');
}

export interface FlapEntry {
  /** Penalty as of `at`. */
  penalty: number;
  at: number;
  /** Withdrawn since the last announcement: the next announcement is a flap. */
  withdrawn: boolean;
  /** Suppressed until the penalty decays below reuseBelow (hysteresis, RFC 2439). */
  suppressed: boolean;
}

/**
 * RFC 2439-style damping per route key: each announcement that follows a withdrawal adds a penalty, which
 * halves every half-life; above `suppressAbove` announcements are refused until it has decayed below
 * `reuseBelow`. Re-announcing a route that is still up (a refresh) is no flap.
 */
export class FlapDamping {
  private readonly entries = new Map<string, FlapEntry>();

  constructor(
    private config: GuardrailsConfig['flapDamping'],
    private readonly onChange: (key: string, entry: FlapEntry) => void = () => {},
  ) {}

  configure(config: GuardrailsConfig['flapDamping']): void {
    this.config = config;
  }

  load(key: string, entry: FlapEntry): void {
    this.entries.set(key, entry);
  }

  penalty(key: string, now: number): number {
    const e = this.entries.get(key);
    return e === undefined ? 0 : this.decayed(e, now);
  }

  /** Throws a GuardrailRefusal when `key` is suppressed; otherwise records the announcement. */
  announce(what: string, key: string, now: number): void {
    if (!this.config.enabled) return;
    const e = this.entries.get(key) ?? { penalty: 0, at: now, withdrawn: false, suppressed: false };
    let penalty = this.decayed(e, now);
    let suppressed = e.suppressed && penalty >= this.config.reuseBelow;
    if (e.withdrawn && !suppressed) {
      penalty += this.config.penalty;
      suppressed = penalty > this.config.suppressAbove;
    }
    if (suppressed) {
      const next = { penalty, at: now, withdrawn: e.withdrawn, suppressed: true };
      this.entries.set(key, next);
      this.onChange(key, next);
      const seconds = Math.ceil(this.config.halfLifeSeconds * Math.log2(penalty / Math.max(this.config.reuseBelow, 1)));
      throw new GuardrailRefusal('flap-damping', 'BW_ERR_MITIGATION_FLAP', [what, key, Math.round(penalty), this.config.suppressAbove, Math.max(seconds, 1)]);
    }
    const next = { penalty, at: now, withdrawn: false, suppressed: false };
    this.entries.set(key, next);
    this.onChange(key, next);
  }

  withdraw(key: string, now: number): void {
    if (!this.config.enabled) return;
    const e = this.entries.get(key) ?? { penalty: 0, at: now, withdrawn: false, suppressed: false };
    const next = { penalty: this.decayed(e, now), at: now, withdrawn: true, suppressed: e.suppressed };
    this.entries.set(key, next);
    this.onChange(key, next);
  }

  private decayed(e: FlapEntry, now: number): number {
    const halfLives = Math.max(0, now - e.at) / (this.config.halfLifeSeconds * 1000);
    return e.penalty * 2 ** -halfLives;
  }
}
