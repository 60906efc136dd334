// Checks a FlowSpec rule against what routers reject and what is unsafe for Breakwater to announce, and
// returns it in canonical form (canonical prefix text) when it passes. Every problem carries a stable
// BW_ERR_FLOWSPEC_* code and the path of the field it is about ("match.sourcePort[0][1].value").
//
// Unsafe, beyond what RFC 8955 forbids: a destination outside the networks Breakwater protects (it would
// filter someone else's traffic), and an IPv6 destination with an offset (its first bits are wildcards, so
// it reaches other networks too). Validation does not know about routers; router-profiles.ts does that.
import { BreakwaterError, type ErrorCode } from '../errors.js';
import { bitmaskTermIsSatisfiable, describeBitmaskMatch } from './bitmask-match.js';
import { FLOW_COMPONENTS, FRAGMENT_FLAG_BITS, TCP_FLAG_BITS, type ComponentInfo } from './components.js';
import { describeNumericMatch, numericTermIsSatisfiable } from './numeric-match.js';
import { parseIPv4Address, parsePrefix, prefixInside, type ParsedPrefix } from './prefix.js';
import {
  TRAFFIC_ACTION_TYPES,
  type BitmaskMode,
  type FlowFamily,
  type FlowPrefix,
  type FlowSpecAction,
  type FlowSpecMatch,
  type FlowSpecRule,
  type NumericOperator,
  type RouteTargetValue,
} from './rule.js';

export interface FlowSpecProblem {
  code: ErrorCode;
  /** Path of the offending field, e.g. "match.destination" or "actions[1].target.asn". */
  field: string;
  message: string;
  /** The message template's arguments, so the problem can be re-raised as a BreakwaterError. */
  args: string[];
}

export interface FlowSpecValidationOptions {
  /** Networks Breakwater protects; a rule's destination must lie inside one of them. Both families mixed. */
  protectedPrefixes: readonly string[];
}

export type FlowSpecValidation = { ok: true; rule: FlowSpecRule } | { ok: false; problems: FlowSpecProblem[] };

const NUMERIC_OPERATORS: readonly NumericOperator[] = ['=', '!=', '<', '<=', '>', '>='];
const BITMASK_MODES: readonly BitmaskMode[] = ['any', 'all', 'none', 'not-all'];
const U32 = 0xffffffff;
const MAX_RATE = 1e12; // ExaBGP 4.2 clamps rates above this; 8 Tbit/s is no limit in practice.

export function validateFlowSpecRule(rule: FlowSpecRule, options: FlowSpecValidationOptions): FlowSpecValidation {
  const protectedNetworks = parseProtectedPrefixes(options.protectedPrefixes);
  const problems: FlowSpecProblem[] = [];
  const report = (code: ErrorCode, field: string, ...args: unknown[]): void => {
    const texts = args.map(String);
    problems.push({ code, field, message: new BreakwaterError(code, texts).message, args: texts });
  };

  if (!isObject(rule)) {
    report('BW_ERR_FLOWSPEC_INVALID', '(rule)', '(rule)', 'a rule is an object with family, match and actions');
    return { ok: false, problems };
  }
  const family = rule.family;
  if (family !== 'ipv4' && family !== 'ipv6') {
    report('BW_ERR_FLOWSPEC_INVALID', 'family', 'family', `must be "ipv4" or "ipv6", not ${JSON.stringify(family)}`);
    return { ok: false, problems };
  }
  if (!isObject(rule.match)) {
    report('BW_ERR_FLOWSPEC_INVALID', 'match', 'match', 'must be an object of components');
    return { ok: false, problems };
  }

  const canonical: Partial<Record<'destination' | 'source', FlowPrefix>> = {};
  const match = rule.match;
  for (const info of FLOW_COMPONENTS) {
    const value = match[info.name];
    const field = `match.${info.name}`;
    if (value === undefined) {
      if (info.name === 'destination') report('BW_ERR_FLOWSPEC_NO_DESTINATION', field, field);
      continue;
    }
    if (!info.families.includes(family)) {
      report('BW_ERR_FLOWSPEC_WRONG_FAMILY', field, field, family, `the ${info.title[family]} component exists only in ${info.families.join('/')} rules`);
      continue;
    }
    if (info.kind === 'prefix') {
      const checked = checkPrefix(report, field, value as FlowPrefix, family);
      if (checked === undefined) continue;
      canonical[info.name as 'destination' | 'source'] = checked.offset > 0 ? { prefix: checked.parsed.canonical, offset: checked.offset } : { prefix: checked.parsed.canonical };
      if (info.name === 'destination') checkProtected(report, field, checked.parsed, checked.offset, protectedNetworks);
    } else if (info.kind === 'numeric') {
      checkNumeric(report, field, info, value, family);
    } else {
      checkBitmask(report, field, info, value, family);
    }
  }
  for (const key of Object.keys(match)) {
    if (!FLOW_COMPONENTS.some((c) => c.name === key)) report('BW_ERR_FLOWSPEC_INVALID', `match.${key}`, `match.${key}`, 'not a FlowSpec component');
  }

  checkActions(report, rule.actions);

  if (problems.length > 0) return { ok: false, problems };
  const normalised: FlowSpecMatch = { ...match, destination: canonical.destination! };
  if (canonical.source !== undefined) normalised.source = canonical.source;
  return { ok: true, rule: { family, match: normalised, actions: rule.actions } };
}

/** validateFlowSpecRule, throwing the first problem as a BreakwaterError (all problems in `details`). */
export function assertValidFlowSpecRule(rule: FlowSpecRule, options: FlowSpecValidationOptions): FlowSpecRule {
  const result = validateFlowSpecRule(rule, options);
  if (result.ok) return result.rule;
  throw problemError(result.problems);
}

export function problemError(problems: readonly FlowSpecProblem[]): BreakwaterError {
  const first = problems[0]!;
  return new BreakwaterError(first.code, first.args, { details: { field: first.field, problems } });
}

type Report = (code: ErrorCode, field: string, ...args: unknown[]) => void;

function parseProtectedPrefixes(prefixes: readonly string[]): ParsedPrefix[] {
  return prefixes.map((text, i) => {
    const parsed = parsePrefix(text);
    if (parsed.ok) return parsed.prefix;
    const field = `protectedPrefixes[${i}]`;
    if (parsed.reason === 'host-bits') throw new BreakwaterError('BW_ERR_FLOWSPEC_HOST_BITS', [field, text, parsed.suggestion]);
    throw new BreakwaterError('BW_ERR_FLOWSPEC_BAD_PREFIX', [field, parsed.message]);
  });
}

function checkPrefix(report: Report, field: string, value: FlowPrefix, family: FlowFamily): { parsed: ParsedPrefix; offset: number } | undefined {
  if (!isObject(value) || typeof value.prefix !== 'string') {
    report('BW_ERR_FLOWSPEC_INVALID', field, field, 'a prefix component is { prefix: "address/length", offset? }');
    return undefined;
  }
  const parsed = parsePrefix(value.prefix);
  if (!parsed.ok) {
    if (parsed.reason === 'host-bits') report('BW_ERR_FLOWSPEC_HOST_BITS', `${field}.prefix`, `${field}.prefix`, value.prefix, parsed.suggestion);
    else report('BW_ERR_FLOWSPEC_BAD_PREFIX', `${field}.prefix`, `${field}.prefix`, parsed.message);
    return undefined;
  }
  if (parsed.prefix.family !== family) {
    report('BW_ERR_FLOWSPEC_WRONG_FAMILY', `${field}.prefix`, `${field}.prefix ${value.prefix}`, family, `it is an ${parsed.prefix.family === 'ipv4' ? 'IPv4' : 'IPv6'} prefix`);
    return undefined;
  }
  const offset = value.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) {
    report('BW_ERR_FLOWSPEC_BAD_PREFIX', `${field}.offset`, `${field}.offset`, `offset must be a whole number of bits, not ${JSON.stringify(value.offset)}`);
    return undefined;
  }
  if (offset > 0 && family === 'ipv4') {
    report('BW_ERR_FLOWSPEC_WRONG_FAMILY', `${field}.offset`, `${field}.offset`, family, 'prefix offsets exist only in IPv6 rules (RFC 8956)');
    return undefined;
  }
  if (offset > 0 && offset >= parsed.prefix.length) {
    report('BW_ERR_FLOWSPEC_BAD_PREFIX', `${field}.offset`, `${field}.offset`, `offset ${offset} must be below the prefix length ${parsed.prefix.length}, or nothing is left to compare`);
    return undefined;
  }
  return { parsed: parsed.prefix, offset };
}

function checkProtected(report: Report, field: string, destination: ParsedPrefix, offset: number, networks: readonly ParsedPrefix[]): void {
  const sameFamily = networks.filter((n) => n.family === destination.family);
  const list = sameFamily.length > 0 ? sameFamily.map((n) => n.canonical).join(', ') : `none are configured for ${destination.family}`;
  if (offset > 0) {
    report('BW_ERR_FLOWSPEC_DESTINATION_NOT_PROTECTED', field, field, `${destination.canonical} offset ${offset}`, `${list}; with an offset the first ${offset} bits are not compared, so the rule reaches other networks`);
    return;
  }
  if (!sameFamily.some((n) => prefixInside(destination, n))) {
    report('BW_ERR_FLOWSPEC_DESTINATION_NOT_PROTECTED', field, field, destination.canonical, list);
  }
}

function checkNumeric(report: Report, field: string, info: ComponentInfo, value: unknown, family: FlowFamily): void {
  if (!Array.isArray(value) || value.length === 0) {
    report('BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', field, field, 'it has no terms; leave the component out to match any value');
    return;
  }
  value.forEach((term: unknown, i) => {
    const termField = `${field}[${i}]`;
    if (!Array.isArray(term) || term.length === 0) {
      report('BW_ERR_FLOWSPEC_INVALID', termField, termField, 'a term is a non-empty list of { op, value } conditions');
      return;
    }
    let termValid = true;
    term.forEach((c: unknown, j) => {
      const condField = `${termField}[${j}]`;
      if (!isObject(c) || !NUMERIC_OPERATORS.includes(c.op as NumericOperator)) {
        report('BW_ERR_FLOWSPEC_INVALID', condField, condField, `a condition is { op, value } with op one of ${NUMERIC_OPERATORS.join(' ')}`);
        termValid = false;
        return;
      }
      const v = c.value;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > info.max) {
        report('BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', `${condField}.value`, `${condField}.value`, `${JSON.stringify(v)} is not a whole ${info.title[family]} value in 0..${info.max}`);
        termValid = false;
      }
    });
    if (termValid && !numericTermIsSatisfiable(term, info.max)) {
      report('BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', termField, termField, `${describeNumericMatch([term])} has no value in 0..${info.max}`);
    }
  });
}

function checkBitmask(report: Report, field: string, info: ComponentInfo, value: unknown, family: FlowFamily): void {
  const table: Readonly<Record<string, number>> = info.name === 'tcpFlags' ? TCP_FLAG_BITS : FRAGMENT_FLAG_BITS;
  if (!Array.isArray(value) || value.length === 0) {
    report('BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', field, field, 'it has no terms; leave the component out to match any value');
    return;
  }
  value.forEach((term: unknown, i) => {
    const termField = `${field}[${i}]`;
    if (!Array.isArray(term) || term.length === 0) {
      report('BW_ERR_FLOWSPEC_INVALID', termField, termField, 'a term is a non-empty list of { flags, mode } conditions');
      return;
    }
    let termValid = true;
    term.forEach((c: unknown, j) => {
      const condField = `${termField}[${j}]`;
      if (!isObject(c) || !BITMASK_MODES.includes(c.mode as BitmaskMode) || !Array.isArray(c.flags) || c.flags.length === 0) {
        report('BW_ERR_FLOWSPEC_INVALID', condField, condField, `a condition is { flags: [at least one], mode } with mode one of ${BITMASK_MODES.join(' ')}`);
        termValid = false;
        return;
      }
      for (const flag of c.flags as unknown[]) {
        if (typeof flag !== 'string' || !(flag in table)) {
          report('BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', `${condField}.flags`, `${condField}.flags`, `${JSON.stringify(flag)} is not one of ${Object.keys(table).join(', ')}`);
          termValid = false;
        } else if (flag === 'dont-fragment' && family === 'ipv6') {
          report('BW_ERR_FLOWSPEC_WRONG_FAMILY', `${condField}.flags`, `${condField}.flags dont-fragment`, family, 'IPv6 has no DF bit (RFC 8956 §3.6)');
          termValid = false;
        }
      }
    });
    if (termValid && !bitmaskTermIsSatisfiable(term, table)) {
      report('BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', termField, termField, `${describeBitmaskMatch([term])} contradicts itself`);
    }
  });
}

function checkActions(report: Report, actions: unknown): void {
  if (!Array.isArray(actions)) {
    report('BW_ERR_FLOWSPEC_INVALID', 'actions', 'actions', 'actions must be a list');
    return;
  }
  const count = new Map<string, number>();
  actions.forEach((action: unknown, i) => {
    const field = `actions[${i}]`;
    if (!isObject(action) || typeof action.type !== 'string') {
      report('BW_ERR_FLOWSPEC_INVALID', field, field, 'an action is an object with a type');
      return;
    }
    count.set(action.type, (count.get(action.type) ?? 0) + 1);
    checkAction(report, field, action as unknown as FlowSpecAction);
  });

  if (!actions.some((a: unknown) => isObject(a) && TRAFFIC_ACTION_TYPES.includes(a.type as FlowSpecAction['type']))) {
    report('BW_ERR_FLOWSPEC_NO_ACTIONS', 'actions', actions.length === 0 ? 'actions (empty)' : 'actions (communities only)');
    return;
  }
  const n = (type: FlowSpecAction['type']): number => count.get(type) ?? 0;
  const rateActions = n('discard') + n('rate-limit') + n('rate-limit-packets');
  if (rateActions > 1) {
    report('BW_ERR_FLOWSPEC_ACTION_CONFLICT', 'actions', 'actions', 'discard, rate-limit and rate-limit-packets each set the traffic rate; keep exactly one');
  }
  if (n('discard') > 0 && (n('redirect') > 0 || n('mark-dscp') > 0)) {
    report('BW_ERR_FLOWSPEC_ACTION_CONFLICT', 'actions', 'actions', 'discarded traffic cannot also be redirected or re-marked');
  }
  for (const type of ['redirect', 'mark-dscp', 'traffic-action'] as const) {
    if (n(type) > 1) report('BW_ERR_FLOWSPEC_ACTION_CONFLICT', 'actions', 'actions', `${type} appears ${n(type)} times; routers apply only one`);
  }
}

function checkAction(report: Report, field: string, action: FlowSpecAction): void {
  const bad = (sub: string, why: string): void => report('BW_ERR_FLOWSPEC_BAD_ACTION', `${field}.${sub}`, `${field}.${sub}`, why);
  switch (action.type) {
    case 'discard':
      return;
    case 'rate-limit':
      if (!isWhole(action.bytesPerSecond, 1, MAX_RATE)) bad('bytesPerSecond', `${JSON.stringify(action.bytesPerSecond)} must be a whole number of bytes per second in 1..${MAX_RATE} (use discard for 0)`);
      return;
    case 'rate-limit-packets':
      if (!isWhole(action.packetsPerSecond, 1, MAX_RATE)) bad('packetsPerSecond', `${JSON.stringify(action.packetsPerSecond)} must be a whole number of packets per second in 1..${MAX_RATE} (use discard for 0)`);
      return;
    case 'redirect':
      checkRouteTarget(report, `${field}.target`, action.target);
      return;
    case 'mark-dscp':
      if (!isWhole(action.dscp, 0, 63)) bad('dscp', `${JSON.stringify(action.dscp)} is not a DSCP value in 0..63`);
      return;
    case 'traffic-action':
      if (typeof action.sample !== 'boolean' || typeof action.terminal !== 'boolean') bad('sample', 'sample and terminal must both be true or false');
      else if (!action.sample && !action.terminal) bad('sample', 'a traffic-action with neither sample nor terminal set does nothing');
      return;
    case 'community':
      if (!isWhole(action.asn, 0, 0xffff)) bad('asn', `${JSON.stringify(action.asn)} is not in 0..65535`);
      if (!isWhole(action.value, 0, 0xffff)) bad('value', `${JSON.stringify(action.value)} is not in 0..65535`);
      return;
    case 'large-community':
      for (const part of ['global', 'local1', 'local2'] as const) {
        if (!isWhole(action[part], 0, U32)) bad(part, `${JSON.stringify(action[part])} is not in 0..${U32}`);
      }
      return;
    case 'extended-community':
      if (action.kind !== 'route-target' && action.kind !== 'route-origin') {
        report('BW_ERR_FLOWSPEC_INVALID', `${field}.kind`, `${field}.kind`, 'kind must be "route-target" or "route-origin"');
        return;
      }
      checkRouteTarget(report, `${field}.value`, action.value);
      return;
    default:
      report('BW_ERR_FLOWSPEC_INVALID', `${field}.type`, `${field}.type`, `${JSON.stringify((action as { type: unknown }).type)} is not a FlowSpec action`);
  }
}

function checkRouteTarget(report: Report, field: string, target: RouteTargetValue): void {
  const bad = (sub: string, why: string): void => report('BW_ERR_FLOWSPEC_BAD_ACTION', `${field}.${sub}`, `${field}.${sub}`, why);
  if (!isObject(target)) {
    report('BW_ERR_FLOWSPEC_INVALID', field, field, 'a route target is { format: "as2" | "as4" | "ip", asn | address, local }');
    return;
  }
  switch (target.format) {
    case 'as2':
      if (!isWhole(target.asn, 1, 0xffff)) bad('asn', `${JSON.stringify(target.asn)} is not a 2-octet AS in 1..65535 (use format "as4" for larger)`);
      if (!isWhole(target.local, 0, U32)) bad('local', `${JSON.stringify(target.local)} is not in 0..${U32}`);
      return;
    case 'as4':
      if (!isWhole(target.asn, 1, U32)) bad('asn', `${JSON.stringify(target.asn)} is not an AS number in 1..${U32}`);
      if (!isWhole(target.local, 0, 0xffff)) bad('local', `${JSON.stringify(target.local)} is not in 0..65535 (a 4-octet AS leaves 2 octets)`);
      return;
    case 'ip':
      if (typeof target.address !== 'string' || parseIPv4Address(target.address) === undefined) bad('address', `${JSON.stringify(target.address)} is not an IPv4 address`);
      if (!isWhole(target.local, 0, 0xffff)) bad('local', `${JSON.stringify(target.local)} is not in 0..65535`);
      return;
    default:
      report('BW_ERR_FLOWSPEC_INVALID', `${field}.format`, `${field}.format`, 'format must be "as2", "as4" or "ip"');
  }
}

function isWhole(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
