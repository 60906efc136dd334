// Reads FlowSpec rules that come from outside in their ordered RFC 8955 form and turns them into a
// FlowSpecMatch: raw NLRI bytes (what ExaBGP prints for a route, what a BGP peer sends) or the
// {type, op, value} component lists a speaker reports (GoBGP's JSON RIB). This is where the RFC's ordering
// rule is enforced: components in strictly increasing type order, each at most once; anything else is
// BW_ERR_FLOWSPEC_COMPONENT_ORDER. Operators the model has no word for (`true`, `false`, reserved bits) and
// unknown components are BW_ERR_FLOWSPEC_INVALID. The result is not validated against protected networks;
// run validateFlowSpecRule on it for that.
//
// IPv6 prefixes follow RFC 8956 §3.1: after the length and offset bytes come only the (length - offset)
// pattern bits, so the bits before the offset are not on the wire and decode as zero.
import { BreakwaterError } from '../errors.js';
import { flagsOfBits, modeFromOperatorBits } from './bitmask-match.js';
import { FRAGMENT_FLAG_BITS, TCP_FLAG_BITS, componentByType } from './components.js';
import { formatAddress } from './prefix.js';
import type { BitmaskCondition, FlowFamily, FlowPrefix, FlowSpecMatch, NumericCondition, NumericOperator } from './rule.js';

/** One component as it sits in an ordered list. */
export interface WireComponent {
  type: number;
  /** Prefix components (types 1 and 2). */
  prefix?: FlowPrefix;
  /** Operator components: the operator byte (EOL, AND, length, comparison bits) and the value. */
  ops?: { op: number; value: number }[];
}

const OP_EOL = 0x80;
const OP_AND = 0x40;
const OP_LENGTH = 0x30;
const NUMERIC_OPERATOR: Record<number, NumericOperator | undefined> = { 1: '=', 2: '>', 3: '>=', 4: '<', 5: '<=', 6: '!=' };

/**
 * Decodes one FlowSpec NLRI (RFC 8955 §4.1: a 1- or 2-byte length, then the components) from `bytes`.
 * Returns the components and how many bytes the NLRI took, so several NLRIs can be read in a row.
 */
export function decodeFlowSpecNlri(family: FlowFamily, bytes: Uint8Array): { components: WireComponent[]; bytesRead: number } {
  if (bytes.length < 1) throw invalid('nlri', 'empty');
  let pos = 0;
  let length = bytes[0]!;
  pos = 1;
  if (length >= 0xf0) {
    if (bytes.length < 2) throw invalid('nlri', 'truncated length');
    length = ((length & 0x0f) << 8) | bytes[1]!;
    pos = 2;
  }
  const end = pos + length;
  if (end > bytes.length) throw invalid('nlri', `length ${length} runs past the ${bytes.length} bytes given`);
  const components: WireComponent[] = [];
  while (pos < end) {
    const type = bytes[pos++]!;
    const where = `nlri component ${components.length} (type ${type})`;
    if (type === 1 || type === 2) {
      const prefixLength = need(bytes, pos++, end, where);
      const offset = family === 'ipv6' ? need(bytes, pos++, end, where) : 0;
      const maxLength = family === 'ipv4' ? 32 : 128;
      if (prefixLength > maxLength || offset > prefixLength) throw invalid(where, `prefix length ${prefixLength} / offset ${offset} out of range`);
      const patternBits = prefixLength - offset;
      const byteCount = Math.ceil(patternBits / 8);
      if (pos + byteCount > end) throw invalid(where, 'prefix runs past the end of the NLRI');
      let pattern = 0n;
      for (let i = 0; i < byteCount; i++) pattern = (pattern << 8n) | BigInt(bytes[pos + i]!);
      pos += byteCount;
      pattern >>= BigInt(byteCount * 8 - patternBits);
      const address = pattern << BigInt(maxLength - prefixLength);
      const prefix: FlowPrefix = { prefix: `${formatAddress(family, address)}/${prefixLength}` };
      if (offset > 0) prefix.offset = offset;
      components.push({ type, prefix });
      continue;
    }
    const ops: { op: number; value: number }[] = [];
    for (;;) {
      const op = need(bytes, pos++, end, where);
      const valueLength = 1 << ((op & OP_LENGTH) >> 4);
      if (valueLength > 4) throw invalid(where, `${valueLength}-byte values are not used by any component`);
      if (pos + valueLength > end) throw invalid(where, 'value runs past the end of the NLRI');
      let value = 0;
      for (let i = 0; i < valueLength; i++) value = value * 256 + bytes[pos + i]!;
      pos += valueLength;
      ops.push({ op, value });
      if (op & OP_EOL) break;
    }
    components.push({ type, ops });
  }
  return { components, bytesRead: end };
}

/** Turns an ordered component list into a FlowSpecMatch, enforcing the RFC 8955 order. */
export function componentsToMatch(family: FlowFamily, components: readonly WireComponent[]): FlowSpecMatch {
  const match: Partial<FlowSpecMatch> = {};
  let previousType = 0;
  components.forEach((component, i) => {
    const where = `components[${i}]`;
    if (component.type <= previousType) {
      throw new BreakwaterError('BW_ERR_FLOWSPEC_COMPONENT_ORDER', [
        where,
        component.type === previousType ? `type ${component.type} appears twice` : `type ${component.type} follows type ${previousType}`,
      ]);
    }
    previousType = component.type;
    const info = componentByType(component.type);
    if (info === undefined) throw invalid(where, `component type ${component.type} is not one Breakwater models (RFC 8955/8956 types 1-13)`);
    if (!info.families.includes(family)) {
      throw new BreakwaterError('BW_ERR_FLOWSPEC_WRONG_FAMILY', [`${where} (${info.title.ipv6})`, family, `type ${component.type} exists only in ${info.families.join('/')} rules`]);
    }
    if (info.kind === 'prefix') {
      if (component.prefix === undefined) throw invalid(where, 'a prefix component without a prefix');
      (match as Record<string, unknown>)[info.name] = component.prefix;
      return;
    }
    const ops = component.ops;
    if (ops === undefined || ops.length === 0) throw invalid(where, 'an operator component without operators');
    const terms: unknown[][] = [];
    ops.forEach(({ op, value }, j) => {
      const condition = info.kind === 'numeric' ? numericCondition(op, value, `${where}.ops[${j}]`) : bitmaskCondition(info.name, op, value, `${where}.ops[${j}]`);
      if (j > 0 && op & OP_AND) terms[terms.length - 1]!.push(condition);
      else if (j === 0 && op & OP_AND) throw invalid(`${where}.ops[0]`, 'the first operator of a list must not have the AND bit');
      else terms.push([condition]);
    });
    (match as Record<string, unknown>)[info.name] = terms;
  });
  if (match.destination === undefined) throw new BreakwaterError('BW_ERR_FLOWSPEC_NO_DESTINATION', ['components (no type 1)']);
  return match as FlowSpecMatch;
}

function numericCondition(op: number, value: number, where: string): NumericCondition {
  if (op & 0x08) throw invalid(where, 'reserved operator bit 0x08 is set');
  const operator = NUMERIC_OPERATOR[op & 0x07];
  if (operator === undefined) throw invalid(where, `operator ${(op & 0x07) === 0 ? 'false' : 'true'} (ignores the value) has no equivalent in the rule model`);
  return { op: operator, value };
}

function bitmaskCondition(name: string, op: number, value: number, where: string): BitmaskCondition<string> {
  if (op & 0x0c) throw invalid(where, 'reserved bitmask operator bits 0x0c are set');
  const table: Readonly<Record<string, number>> = name === 'tcpFlags' ? TCP_FLAG_BITS : FRAGMENT_FLAG_BITS;
  const { flags, unknown } = flagsOfBits(value, table);
  if (unknown !== 0) throw invalid(where, `bits 0x${unknown.toString(16)} have no flag name in the rule model`);
  if (flags.length === 0) throw invalid(where, 'a bitmask operator with no bits set');
  return { flags, mode: modeFromOperatorBits(op) };
}

function need(bytes: Uint8Array, pos: number, end: number, where: string): number {
  if (pos >= end) throw invalid(where, 'truncated');
  return bytes[pos]!;
}

function invalid(where: string, why: string): BreakwaterError {
  return new BreakwaterError('BW_ERR_FLOWSPEC_INVALID', [where, why]);
}
