// BGP and firewall facades for unit tests: they record every call, keep the set of mitigations in place, and
// answer like the appliance does (a receipt with an id and an expiry). A test can replace any method to make it
// reject, e.g. to check how a tier handles a speaker that is down.
import type { BgpFacade } from '../bgp-facade.js';
import type { FirewallFacade } from '../firewall-facade.js';
import type { MitigationOptions, MitigationReceipt } from '../mitigation-options.js';

export interface FacadeCall {
  facade: 'bgp' | 'firewall';
  method: string;
  args: unknown[];
}

export interface ActiveMitigation {
  id: string;
  facade: 'bgp' | 'firewall';
  /** announceFlow, announceBlackhole, announceDiversion or apply. */
  method: string;
  /** The rule or prefix. */
  what: unknown;
  options: MitigationOptions;
  expiresAt: number;
}

export interface RecordingFacades {
  bgp: BgpFacade;
  firewall: FirewallFacade;
  calls: FacadeCall[];
  active: Map<string, ActiveMitigation>;
}

/** The appliance's bounds on MitigationOptions, so a test fails where the appliance would refuse. */
const MAX_TTL_SECONDS = 604_800;

export function createRecordingFacades(overrides: { bgp?: Partial<BgpFacade>; firewall?: Partial<FirewallFacade>; now?: () => number } = {}): RecordingFacades {
  const calls: FacadeCall[] = [];
  const active = new Map<string, ActiveMitigation>();
  const now = overrides.now ?? Date.now;
  let next = 1;

  const install = (facade: 'bgp' | 'firewall', method: string, prefix: string, what: unknown, options: MitigationOptions): MitigationReceipt => {
    checkOptions(options);
    const id = `${prefix}-${next++}`;
    const expiresAt = now() + options.ttlSeconds * 1000;
    active.set(id, { id, facade, method, what: structuredClone(what), options: { ...options }, expiresAt });
    return { id, expiresAt };
  };
  const remove = (id: string): boolean => active.delete(id);

  // Each method records first, then runs the override (which may reject) or the default behaviour.
  function wrap<F extends (...args: never[]) => Promise<unknown>>(facade: 'bgp' | 'firewall', method: string, override: F | undefined, fallback: F): F {
    return (async (...args: Parameters<F>) => {
      calls.push({ facade, method, args: structuredClone(args) as unknown[] });
      return override !== undefined ? override(...args) : fallback(...args);
    }) as F;
  }

  const bgp: BgpFacade = {
    announceFlow: wrap('bgp', 'announceFlow', overrides.bgp?.announceFlow, async (rule, options) => install('bgp', 'announceFlow', 'flow', rule, options)),
    withdrawFlow: wrap('bgp', 'withdrawFlow', overrides.bgp?.withdrawFlow, async (id) => remove(id)),
    announceBlackhole: wrap('bgp', 'announceBlackhole', overrides.bgp?.announceBlackhole, async (prefix, options) => install('bgp', 'announceBlackhole', 'rtbh', prefix, options)),
    withdrawBlackhole: wrap('bgp', 'withdrawBlackhole', overrides.bgp?.withdrawBlackhole, async (id) => remove(id)),
    announceDiversion: wrap('bgp', 'announceDiversion', overrides.bgp?.announceDiversion, async (prefix, options) => install('bgp', 'announceDiversion', 'divert', prefix, options)),
    withdrawDiversion: wrap('bgp', 'withdrawDiversion', overrides.bgp?.withdrawDiversion, async (id) => remove(id)),
  };
  const firewall: FirewallFacade = {
    apply: wrap('firewall', 'apply', overrides.firewall?.apply, async (rule, options) => install('firewall', 'apply', 'fw', rule, options)),
    remove: wrap('firewall', 'remove', overrides.firewall?.remove, async (id) => remove(id)),
    // An installed rule that nothing has hit yet; a test overrides it to play a filter that drops.
    counters: wrap('firewall', 'counters', overrides.firewall?.counters, async (id) => (active.has(id) ? { packets: 0, bytes: 0, readAt: now() } : undefined)),
  };
  return { bgp, firewall, calls, active };
}

function checkOptions(options: MitigationOptions): void {
  if (typeof options?.attackId !== 'string' || options.attackId === '') throw new TypeError('MitigationOptions.attackId must be the attack id');
  if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds < 1 || options.ttlSeconds > MAX_TTL_SECONDS) {
    throw new TypeError(`MitigationOptions.ttlSeconds must be an integer 1..${MAX_TTL_SECONDS}`);
  }
}
