// Fits a validated FlowSpecRule to a router profile: either the rule (possibly trimmed, with a list of what
// was removed and why) or a refusal with a BW_ERR_FLOWSPEC_* code. The result is plain data so it can go to
// the audit trail as is. Trimming only ever happens where the profile says `trim`; see router-profiles.ts for
// why trimming a match component widens the rule.
import { BreakwaterError } from '../errors.js';
import { componentInfo, FRAGMENT_FLAG_BITS } from './components.js';
import type { ProfileComponentName, RouterProfile } from './router-profiles.js';
import { TRAFFIC_ACTION_TYPES, type BitmaskMatch, type FlowSpecMatch, type FlowSpecRule, type NumericMatch } from './rule.js';

export interface TrimmedPart {
  /** "match.packetLength" or "actions[2]". */
  field: string;
  reason: string;
}

export type ProfileFit =
  | { outcome: 'accepted'; profile: string; rule: FlowSpecRule; trimmed: TrimmedPart[] }
  | {
      outcome: 'refused';
      profile: string;
      code: 'BW_ERR_FLOWSPEC_PROFILE_REFUSED' | 'BW_ERR_FLOWSPEC_PROFILE_LIMIT';
      field: string;
      reason: string;
      message: string;
      /** The message template's arguments, for profileRefusalError. */
      args: string[];
    };

export interface ApplyProfileOptions {
  /** Rules the router already holds from Breakwater, for maxRules. */
  installedRules?: number;
  /** Set false to refuse instead of trimming even where the profile allows trimming. */
  allowTrim?: boolean;
}

const PORT_COMPONENTS: readonly ProfileComponentName[] = ['port', 'destinationPort', 'sourcePort'];

export function applyRouterProfile(profile: RouterProfile, rule: FlowSpecRule, options: ApplyProfileOptions = {}): ProfileFit {
  const allowTrim = options.allowTrim ?? true;
  const refuse = (field: string, reason: string): ProfileFit => {
    const args = [profile.name, `${field}: ${reason}`];
    const message = new BreakwaterError('BW_ERR_FLOWSPEC_PROFILE_REFUSED', args).message;
    return { outcome: 'refused', profile: profile.name, code: 'BW_ERR_FLOWSPEC_PROFILE_REFUSED', field, reason, message, args };
  };

  if (!profile.families.includes(rule.family)) {
    return refuse('family', profile.families.length === 0 ? 'it takes no FlowSpec rules at all' : `it takes no ${rule.family} FlowSpec rules`);
  }
  const installed = options.installedRules ?? 0;
  if (profile.maxRules !== undefined && installed >= profile.maxRules) {
    const args = [profile.name, String(profile.maxRules), String(installed)];
    const message = new BreakwaterError('BW_ERR_FLOWSPEC_PROFILE_LIMIT', args).message;
    const reason = `${installed} of ${profile.maxRules} rules in use`;
    return { outcome: 'refused', profile: profile.name, code: 'BW_ERR_FLOWSPEC_PROFILE_LIMIT', field: '(rule count)', reason, message, args };
  }

  const match: FlowSpecMatch = { ...rule.match };
  const trimmed: TrimmedPart[] = [];
  for (const name of Object.keys(profile.components) as ProfileComponentName[]) {
    if (match[name] === undefined) continue;
    const why = unsupportedBecause(profile, name, match);
    if (why === undefined) continue;
    const field = `match.${name}`;
    if (profile.components[name].onUnsupported === 'trim' && allowTrim) {
      delete match[name];
      trimmed.push({ field, reason: `${why}; trimmed, so the rule now matches any ${componentInfo(name).title[rule.family]}` });
    } else {
      return refuse(field, why);
    }
  }
  if (profile.onePortComponent && PORT_COMPONENTS.filter((p) => match[p] !== undefined).length > 1) {
    return refuse('match.port/destinationPort/sourcePort', 'it matches at most one of port, destination port and source port per rule');
  }

  const actions = [];
  for (const [i, action] of rule.actions.entries()) {
    const support = profile.actions[action.type];
    if (support === 'supported') {
      actions.push(action);
    } else if (support === 'trim' && allowTrim) {
      trimmed.push({ field: `actions[${i}]`, reason: `${action.type} is not supported; dropped from the rule` });
    } else {
      return refuse(`actions[${i}]`, `${action.type} is not supported`);
    }
  }
  if (!actions.some((a) => TRAFFIC_ACTION_TYPES.includes(a.type))) {
    return refuse('actions', 'no traffic action is left after trimming the unsupported ones');
  }

  return { outcome: 'accepted', profile: profile.name, rule: { family: rule.family, match, actions }, trimmed };
}

/** The refusal as a throwable error, for callers that prefer exceptions. */
export function profileRefusalError(fit: Extract<ProfileFit, { outcome: 'refused' }>): BreakwaterError {
  return new BreakwaterError(fit.code, fit.args, { details: { profile: fit.profile, field: fit.field, reason: fit.reason } });
}

function unsupportedBecause(profile: RouterProfile, name: ProfileComponentName, match: FlowSpecMatch): string | undefined {
  if (!profile.components[name].supported) return `${name} is not supported`;
  if (name === 'source' && (match.source?.offset ?? 0) > 0 && !profile.prefixOffset) {
    return 'IPv6 prefix offsets are not supported';
  }
  if (name === 'tcpFlags' && profile.tcpFlags !== undefined) {
    const allowed = profile.tcpFlags;
    const used = (match.tcpFlags as BitmaskMatch<string>).flatMap((t) => t.flatMap((c) => c.flags));
    const extra = [...new Set(used.filter((f) => !allowed.includes(f as never)))];
    if (extra.length > 0) return `only ${allowed.join(', ')} can be matched in TCP flags, not ${extra.join(', ')}`;
  }
  if (name === 'fragment' && profile.fragmentFlags !== undefined) {
    const allowed = profile.fragmentFlags;
    const used = (match.fragment as BitmaskMatch<string>).flatMap((t) => t.flatMap((c) => c.flags));
    const extra = [...new Set(used.filter((f) => !allowed.includes(f as keyof typeof FRAGMENT_FLAG_BITS)))];
    if (extra.length > 0) return `only ${allowed.join(', ')} can be matched in fragment, not ${extra.join(', ')}`;
  }
  if (profile.singleTermNumeric && componentInfo(name).kind === 'numeric' && (match[name] as NumericMatch).length > 1) {
    return 'only one value or one range can be matched, not a list';
  }
  return undefined;
}
