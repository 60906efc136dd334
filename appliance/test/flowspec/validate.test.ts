import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBreakwaterError, type ErrorCode } from '../../src/errors.js';
import { assertValidFlowSpecRule, validateFlowSpecRule } from '../../src/flowspec/validate.js';
import { condition as c, eq, range } from '../../src/flowspec/numeric-match.js';
import type { FlowSpecAction, FlowSpecRule } from '../../src/flowspec/rule.js';
import { FIXTURES, PROTECTED } from './fixtures.js';

const options = { protectedPrefixes: PROTECTED };

function v4(match: Record<string, unknown> = {}, actions: unknown[] = [{ type: 'discard' }]): FlowSpecRule {
  return { family: 'ipv4', match: { destination: { prefix: '203.0.113.10/32' }, ...match }, actions } as unknown as FlowSpecRule;
}
function v6(match: Record<string, unknown> = {}, actions: unknown[] = [{ type: 'discard' }]): FlowSpecRule {
  return { family: 'ipv6', match: { destination: { prefix: '2001:db8::10/128' }, ...match }, actions } as unknown as FlowSpecRule;
}
const act = (...actions: unknown[]): unknown[] => actions;

interface Case {
  name: string;
  rule: FlowSpecRule;
  code: ErrorCode;
  field: string;
  /** Text the message must contain (the field is always checked). */
  says?: string;
}

const cases: Case[] = [
  // --- destination ---
  { name: 'no destination', rule: { family: 'ipv4', match: { protocol: eq(17) }, actions: [{ type: 'discard' }] } as unknown as FlowSpecRule, code: 'BW_ERR_FLOWSPEC_NO_DESTINATION', field: 'match.destination' },
  { name: 'destination outside the protected networks', rule: v4({ destination: { prefix: '198.51.100.1/32' } }), code: 'BW_ERR_FLOWSPEC_DESTINATION_NOT_PROTECTED', field: 'match.destination', says: '203.0.113.0/24' },
  { name: 'destination wider than the protected network', rule: v4({ destination: { prefix: '203.0.112.0/23' } }), code: 'BW_ERR_FLOWSPEC_DESTINATION_NOT_PROTECTED', field: 'match.destination' },
  { name: 'IPv6 destination outside', rule: v6({ destination: { prefix: '2001:db9::/48' } }), code: 'BW_ERR_FLOWSPEC_DESTINATION_NOT_PROTECTED', field: 'match.destination', says: '2001:db8::/32' },
  { name: 'IPv6 destination with an offset', rule: v6({ destination: { prefix: '2001:db8::/48', offset: 8 } }), code: 'BW_ERR_FLOWSPEC_DESTINATION_NOT_PROTECTED', field: 'match.destination', says: 'offset 8' },
  // --- prefixes ---
  { name: 'address without a length', rule: v4({ destination: { prefix: '203.0.113.10' } }), code: 'BW_ERR_FLOWSPEC_BAD_PREFIX', field: 'match.destination.prefix' },
  { name: 'IPv4 length 33', rule: v4({ source: { prefix: '198.51.100.0/33' } }), code: 'BW_ERR_FLOWSPEC_BAD_PREFIX', field: 'match.source.prefix' },
  { name: 'IPv6 length 129', rule: v6({ source: { prefix: '2001:db8::/129' } }), code: 'BW_ERR_FLOWSPEC_BAD_PREFIX', field: 'match.source.prefix' },
  { name: 'prefix text that is not an address', rule: v4({ source: { prefix: 'example.net/24' } }), code: 'BW_ERR_FLOWSPEC_BAD_PREFIX', field: 'match.source.prefix' },
  { name: 'octet above 255', rule: v4({ source: { prefix: '198.51.300.0/24' } }), code: 'BW_ERR_FLOWSPEC_BAD_PREFIX', field: 'match.source.prefix' },
  { name: 'offset not below the length', rule: v6({ source: { prefix: '2001:db8:1::/48', offset: 48 } }), code: 'BW_ERR_FLOWSPEC_BAD_PREFIX', field: 'match.source.offset' },
  { name: 'offset not a whole number', rule: v6({ source: { prefix: '2001:db8:1::/48', offset: 1.5 } }), code: 'BW_ERR_FLOWSPEC_BAD_PREFIX', field: 'match.source.offset' },
  { name: 'host bits in the destination', rule: v4({ destination: { prefix: '203.0.113.10/24' } }), code: 'BW_ERR_FLOWSPEC_HOST_BITS', field: 'match.destination.prefix', says: 'did you mean 203.0.113.0/24' },
  { name: 'host bits in an IPv6 source', rule: v6({ source: { prefix: '2001:db8:1::1/48' } }), code: 'BW_ERR_FLOWSPEC_HOST_BITS', field: 'match.source.prefix', says: '2001:db8:1::/48' },
  // --- family ---
  { name: 'flow label in IPv4', rule: v4({ flowLabel: eq(5) }), code: 'BW_ERR_FLOWSPEC_WRONG_FAMILY', field: 'match.flowLabel' },
  { name: 'DF fragment bit in IPv6', rule: v6({ fragment: [[{ flags: ['dont-fragment'], mode: 'all' }]] }), code: 'BW_ERR_FLOWSPEC_WRONG_FAMILY', field: 'match.fragment[0][0].flags', says: 'ipv6' },
  { name: 'IPv6 prefix in an IPv4 rule', rule: v4({ source: { prefix: '2001:db8::/32' } }), code: 'BW_ERR_FLOWSPEC_WRONG_FAMILY', field: 'match.source.prefix' },
  { name: 'IPv4 prefix in an IPv6 rule', rule: v6({ destination: { prefix: '203.0.113.10/32' } }), code: 'BW_ERR_FLOWSPEC_WRONG_FAMILY', field: 'match.destination.prefix' },
  { name: 'offset on an IPv4 prefix', rule: v4({ source: { prefix: '198.51.100.0/24', offset: 8 } }), code: 'BW_ERR_FLOWSPEC_WRONG_FAMILY', field: 'match.source.offset' },
  // --- values ---
  { name: 'port above 65535', rule: v4({ destinationPort: eq(65536) }), code: 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', field: 'match.destinationPort[0][0].value', says: '0..65535' },
  { name: 'any-port above 65535', rule: v4({ port: [[c('<', 70000)]] }), code: 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', field: 'match.port[0][0].value' },
  { name: 'source port negative', rule: v4({ sourcePort: eq(-1) }), code: 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', field: 'match.sourcePort[0][0].value' },
  { name: 'DSCP above 63', rule: v4({ dscp: eq(64) }), code: 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', field: 'match.dscp[0][0].value', says: '0..63' },
  { name: 'ICMP type above 255', rule: v4({ icmpType: eq(256) }), code: 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', field: 'match.icmpType[0][0].value', says: '0..255' },
  { name: 'ICMP code above 255', rule: v4({ icmpCode: eq(300) }), code: 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', field: 'match.icmpCode[0][0].value' },
  { name: 'packet length above 65535', rule: v4({ packetLength: [[c('<=', 65536)]] }), code: 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', field: 'match.packetLength[0][0].value' },
  { name: 'protocol above 255', rule: v4({ protocol: eq(256) }), code: 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', field: 'match.protocol[0][0].value' },
  { name: 'flow label above 20 bits', rule: v6({ flowLabel: eq(0x100000) }), code: 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', field: 'match.flowLabel[0][0].value' },
  { name: 'fractional value', rule: v4({ packetLength: [[c('>', 1.5)]] }), code: 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', field: 'match.packetLength[0][0].value' },
  { name: 'unknown TCP flag', rule: v4({ tcpFlags: [[{ flags: ['syn', 'ns'], mode: 'all' }]] }), code: 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', field: 'match.tcpFlags[0][0].flags' },
  { name: 'unknown fragment flag', rule: v4({ fragment: [[{ flags: ['not-a-fragment'], mode: 'all' }]] }), code: 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', field: 'match.fragment[0][0].flags' },
  // --- impossible ---
  { name: '>1000 and <500', rule: v4({ packetLength: [[c('>', 1000), c('<', 500)]] }), code: 'BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', field: 'match.packetLength[0]', says: '>1000&<500' },
  { name: 'reversed range in a second term', rule: v4({ destinationPort: [...eq(80), ...range(2000, 1000)] }), code: 'BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', field: 'match.destinationPort[1]' },
  { name: '=80 and !=80', rule: v4({ port: [[c('=', 80), c('!=', 80)]] }), code: 'BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', field: 'match.port[0]' },
  { name: 'DSCP above the top of its range', rule: v4({ dscp: [[c('>', 63)]] }), code: 'BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', field: 'match.dscp[0]' },
  { name: 'every value excluded', rule: v4({ dscp: [[c('>=', 62), c('!=', 62), c('!=', 63)]] }), code: 'BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', field: 'match.dscp[0]' },
  { name: 'below zero', rule: v4({ icmpType: [[c('<', 0)]] }), code: 'BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', field: 'match.icmpType[0]' },
  { name: 'component with no terms', rule: v4({ protocol: [] }), code: 'BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', field: 'match.protocol' },
  { name: 'SYN set and clear', rule: v4({ tcpFlags: [[{ flags: ['syn'], mode: 'all' }, { flags: ['syn', 'ack'], mode: 'none' }]] }), code: 'BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', field: 'match.tcpFlags[0]' },
  { name: 'any of bits that must be clear', rule: v4({ fragment: [[{ flags: ['is-fragment'], mode: 'any' }, { flags: ['is-fragment'], mode: 'none' }]] }), code: 'BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', field: 'match.fragment[0]' },
  { name: 'not-all of bits that must be set', rule: v4({ tcpFlags: [[{ flags: ['syn', 'ack'], mode: 'all' }, { flags: ['ack'], mode: 'not-all' }]] }), code: 'BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH', field: 'match.tcpFlags[0]' },
  // --- actions ---
  { name: 'empty action list', rule: v4({}, []), code: 'BW_ERR_FLOWSPEC_NO_ACTIONS', field: 'actions' },
  { name: 'communities only', rule: v4({}, act({ type: 'community', asn: 65000, value: 1 })), code: 'BW_ERR_FLOWSPEC_NO_ACTIONS', field: 'actions', says: 'communities only' },
  { name: 'discard and rate-limit', rule: v4({}, act({ type: 'discard' }, { type: 'rate-limit', bytesPerSecond: 1000 })), code: 'BW_ERR_FLOWSPEC_ACTION_CONFLICT', field: 'actions' },
  { name: 'rate-limit and rate-limit-packets', rule: v4({}, act({ type: 'rate-limit', bytesPerSecond: 1000 }, { type: 'rate-limit-packets', packetsPerSecond: 10 })), code: 'BW_ERR_FLOWSPEC_ACTION_CONFLICT', field: 'actions' },
  { name: 'discard and redirect', rule: v4({}, act({ type: 'discard' }, { type: 'redirect', target: { format: 'as2', asn: 65000, local: 1 } })), code: 'BW_ERR_FLOWSPEC_ACTION_CONFLICT', field: 'actions' },
  { name: 'discard and mark', rule: v4({}, act({ type: 'discard' }, { type: 'mark-dscp', dscp: 0 })), code: 'BW_ERR_FLOWSPEC_ACTION_CONFLICT', field: 'actions' },
  { name: 'two redirects', rule: v4({}, act({ type: 'redirect', target: { format: 'as2', asn: 65000, local: 1 } }, { type: 'redirect', target: { format: 'as2', asn: 65000, local: 2 } })), code: 'BW_ERR_FLOWSPEC_ACTION_CONFLICT', field: 'actions' },
  { name: 'rate 0', rule: v4({}, act({ type: 'rate-limit', bytesPerSecond: 0 })), code: 'BW_ERR_FLOWSPEC_BAD_ACTION', field: 'actions[0].bytesPerSecond', says: 'use discard' },
  { name: 'fractional rate', rule: v4({}, act({ type: 'rate-limit', bytesPerSecond: 12.5 })), code: 'BW_ERR_FLOWSPEC_BAD_ACTION', field: 'actions[0].bytesPerSecond' },
  { name: 'rate above 10^12', rule: v4({}, act({ type: 'rate-limit-packets', packetsPerSecond: 2e12 })), code: 'BW_ERR_FLOWSPEC_BAD_ACTION', field: 'actions[0].packetsPerSecond' },
  { name: 'AS2 redirect with a 4-octet AS', rule: v4({}, act({ type: 'redirect', target: { format: 'as2', asn: 70000, local: 1 } })), code: 'BW_ERR_FLOWSPEC_BAD_ACTION', field: 'actions[0].target.asn', says: 'as4' },
  { name: 'redirect to AS 0', rule: v4({}, act({ type: 'redirect', target: { format: 'as4', asn: 0, local: 1 } })), code: 'BW_ERR_FLOWSPEC_BAD_ACTION', field: 'actions[0].target.asn' },
  { name: 'AS4 redirect with a 4-octet value', rule: v4({}, act({ type: 'redirect', target: { format: 'as4', asn: 4200000000, local: 70000 } })), code: 'BW_ERR_FLOWSPEC_BAD_ACTION', field: 'actions[0].target.local' },
  { name: 'IP redirect to a bad address', rule: v4({}, act({ type: 'redirect', target: { format: 'ip', address: '300.1.1.1', local: 1 } })), code: 'BW_ERR_FLOWSPEC_BAD_ACTION', field: 'actions[0].target.address' },
  { name: 'mark DSCP 64', rule: v4({}, act({ type: 'mark-dscp', dscp: 64 })), code: 'BW_ERR_FLOWSPEC_BAD_ACTION', field: 'actions[0].dscp' },
  { name: 'traffic-action with no bit', rule: v4({}, act({ type: 'traffic-action', sample: false, terminal: false })), code: 'BW_ERR_FLOWSPEC_BAD_ACTION', field: 'actions[0].sample' },
  { name: 'community value above 65535', rule: v4({}, act({ type: 'discard' }, { type: 'community', asn: 65000, value: 70000 })), code: 'BW_ERR_FLOWSPEC_BAD_ACTION', field: 'actions[1].value' },
  { name: 'large community negative part', rule: v4({}, act({ type: 'discard' }, { type: 'large-community', global: 1, local1: -1, local2: 0 })), code: 'BW_ERR_FLOWSPEC_BAD_ACTION', field: 'actions[1].local1' },
  { name: 'route target value too large', rule: v4({}, act({ type: 'discard' }, { type: 'extended-community', kind: 'route-target', value: { format: 'as2', asn: 65000, local: 2 ** 32 } })), code: 'BW_ERR_FLOWSPEC_BAD_ACTION', field: 'actions[1].value.local' },
  // --- shape (rules built in code can be wrong too) ---
  { name: 'empty term', rule: v4({ port: [[]] }), code: 'BW_ERR_FLOWSPEC_INVALID', field: 'match.port[0]' },
  { name: 'unknown operator', rule: v4({ port: [[{ op: '==', value: 80 }]] }), code: 'BW_ERR_FLOWSPEC_INVALID', field: 'match.port[0][0]' },
  { name: 'bitmask condition without flags', rule: v4({ tcpFlags: [[{ flags: [], mode: 'all' }]] }), code: 'BW_ERR_FLOWSPEC_INVALID', field: 'match.tcpFlags[0][0]' },
  { name: 'unknown component', rule: v4({ ttl: eq(1) }), code: 'BW_ERR_FLOWSPEC_INVALID', field: 'match.ttl' },
  { name: 'unknown action', rule: v4({}, act({ type: 'discard' }, { type: 'blackhole' })), code: 'BW_ERR_FLOWSPEC_INVALID', field: 'actions[1].type' },
  { name: 'not an object', rule: 'discard everything' as unknown as FlowSpecRule, code: 'BW_ERR_FLOWSPEC_INVALID', field: '(rule)' },
  { name: 'match not an object', rule: { family: 'ipv4', match: [], actions: [{ type: 'discard' }] } as unknown as FlowSpecRule, code: 'BW_ERR_FLOWSPEC_INVALID', field: 'match' },
  { name: 'unknown family', rule: { family: 'ipv5', match: { destination: { prefix: '203.0.113.10/32' } }, actions: [{ type: 'discard' }] } as unknown as FlowSpecRule, code: 'BW_ERR_FLOWSPEC_INVALID', field: 'family' },
];

for (const k of cases) {
  test(`validate refuses: ${k.name} -> ${k.code}`, () => {
    const result = validateFlowSpecRule(k.rule, options);
    assert.equal(result.ok, false);
    if (result.ok) return;
    const problem = result.problems.find((p) => p.code === k.code && p.field === k.field);
    assert.ok(problem, `expected ${k.code} at ${k.field}, got ${JSON.stringify(result.problems.map((p) => [p.code, p.field]))}`);
    assert.ok(problem.message.includes(k.field.replace(/\.(prefix|flags)$/, '')), `message names the field: ${problem.message}`);
    assert.ok(!problem.message.includes('%s'), `every placeholder is filled: ${problem.message}`);
    if (k.says !== undefined) assert.ok(problem.message.includes(k.says), `message says "${k.says}": ${problem.message}`);
  });
}

test('every code the validator can give is covered by the table above', () => {
  const emitted: ErrorCode[] = [
    'BW_ERR_FLOWSPEC_INVALID', 'BW_ERR_FLOWSPEC_NO_DESTINATION', 'BW_ERR_FLOWSPEC_DESTINATION_NOT_PROTECTED', 'BW_ERR_FLOWSPEC_BAD_PREFIX',
    'BW_ERR_FLOWSPEC_HOST_BITS', 'BW_ERR_FLOWSPEC_WRONG_FAMILY', 'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE', 'BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH',
    'BW_ERR_FLOWSPEC_NO_ACTIONS', 'BW_ERR_FLOWSPEC_ACTION_CONFLICT', 'BW_ERR_FLOWSPEC_BAD_ACTION',
  ];
  assert.deepEqual(emitted.filter((code) => !cases.some((k) => k.code === code)), []);
});

test('every fixture is valid, and validation returns canonical prefix text', () => {
  for (const f of FIXTURES) {
    const result = validateFlowSpecRule(f.rule, options);
    assert.ok(result.ok, `${f.name}: ${JSON.stringify(!result.ok && result.problems)}`);
  }
  const result = validateFlowSpecRule(v6({ destination: { prefix: '2001:DB8:0:0::10/128' }, source: { prefix: '2001:db8:0001::/48', offset: 0 } }), options);
  assert.ok(result.ok);
  assert.deepEqual(result.rule.match.destination, { prefix: '2001:db8::10/128' });
  assert.deepEqual(result.rule.match.source, { prefix: '2001:db8:1::/48' });
});

test('validation reports every problem, not just the first', () => {
  const result = validateFlowSpecRule(v4({ destination: { prefix: '198.51.100.1/32' }, dscp: eq(99), flowLabel: eq(1) }, []), options);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.problems.map((p) => p.code).sort(), [
    'BW_ERR_FLOWSPEC_DESTINATION_NOT_PROTECTED',
    'BW_ERR_FLOWSPEC_NO_ACTIONS',
    'BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE',
    'BW_ERR_FLOWSPEC_WRONG_FAMILY',
  ]);
});

test('assertValidFlowSpecRule throws a BreakwaterError carrying the field and all problems', () => {
  assert.throws(
    () => assertValidFlowSpecRule(v4({ packetLength: [[c('>', 1000), c('<', 500)]] }), options),
    (err: unknown) => {
      assert.ok(isBreakwaterError(err, 'BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH'));
      assert.equal(err.status, 400);
      assert.match(err.message, /match\.packetLength\[0\] can never match a packet/);
      assert.equal((err.details as { field: string }).field, 'match.packetLength[0]');
      return true;
    },
  );
  const ok = assertValidFlowSpecRule(v4({ protocol: eq(17) }, [{ type: 'rate-limit', bytesPerSecond: 9600 } satisfies FlowSpecAction]), options);
  assert.deepEqual(ok.match.protocol, eq(17));
});

test('a bad protected-prefix list is a configuration error, not a rule problem', () => {
  assert.throws(() => validateFlowSpecRule(v4(), { protectedPrefixes: ['203.0.113.1/24'] }), (err: unknown) => isBreakwaterError(err, 'BW_ERR_FLOWSPEC_HOST_BITS') && err.message.includes('protectedPrefixes[0]'));
  assert.throws(() => validateFlowSpecRule(v4(), { protectedPrefixes: ['nonsense'] }), (err: unknown) => isBreakwaterError(err, 'BW_ERR_FLOWSPEC_BAD_PREFIX'));
});

test('a destination equal to a protected network, or inside either family, is accepted', () => {
  assert.ok(validateFlowSpecRule(v4({ destination: { prefix: '203.0.113.0/24' } }), options).ok);
  assert.ok(validateFlowSpecRule(v6({ destination: { prefix: '2001:db8:ffff:1::/64' } }), options).ok);
  assert.equal(validateFlowSpecRule(v6(), { protectedPrefixes: ['203.0.113.0/24'] }).ok, false);
});
