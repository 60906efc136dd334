import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBreakwaterError } from '../../src/errors.js';
import { parseFlowSpecRule } from '../../src/flowspec/parse-rule.js';
import { FIXTURES } from './fixtures.js';

test('every fixture survives a JSON round trip (a rule is a plain message)', () => {
  for (const f of FIXTURES) {
    assert.deepEqual(parseFlowSpecRule(JSON.stringify(f.rule)), f.rule, f.name);
    assert.deepEqual(parseFlowSpecRule(JSON.parse(JSON.stringify(f.rule))), f.rule, f.name);
  }
});

const base = () => ({ family: 'ipv4', match: { destination: { prefix: '203.0.113.10/32' } }, actions: [{ type: 'discard' }] }) as Record<string, any>;

const invalid: [string, (r: Record<string, any>) => unknown, string][] = [
  ['unknown top-level key', (r) => ({ ...r, priority: 1 }), 'priority: unknown key'],
  ['unknown component', (r) => ({ ...r, match: { ...r.match, ttl: [[{ op: '=', value: 1 }]] } }), 'match.ttl: unknown key'],
  ['unknown key in a prefix', (r) => ({ ...r, match: { destination: { prefix: '203.0.113.10/32', mask: 32 } } }), 'match.destination.mask: unknown key'],
  ['unknown key in a condition', (r) => ({ ...r, match: { ...r.match, port: [[{ op: '=', value: 1, and: true }]] } }), 'match.port[0][0].and: unknown key'],
  ['unknown key in an action', (r) => ({ ...r, actions: [{ type: 'discard', rate: 0 }] }), 'actions[0].rate: unknown key'],
  ['bad operator', (r) => ({ ...r, match: { ...r.match, port: [[{ op: '==', value: 80 }]] } }), 'match.port[0][0].op: expected one of "=", "!=", "<", "<=", ">", ">="'],
  ['value as text', (r) => ({ ...r, match: { ...r.match, port: [[{ op: '=', value: '80' }]] } }), 'match.port[0][0].value'],
  ['unknown TCP flag', (r) => ({ ...r, match: { ...r.match, tcpFlags: [[{ flags: ['syn', 'ns'], mode: 'all' }]] } }), 'match.tcpFlags[0][0].flags[1]'],
  ['unknown action type', (r) => ({ ...r, actions: [{ type: 'blackhole' }] }), 'actions[0].type: "blackhole" is not one of'],
  ['route target missing a field', (r) => ({ ...r, actions: [{ type: 'redirect', target: { format: 'as2', asn: 65000 } }] }), 'actions[0].target.local'],
  ['unknown family', (r) => ({ ...r, family: 'inet' }), 'family: expected one of "ipv4", "ipv6"'],
  ['actions missing', (r) => ({ family: r.family, match: r.match }), 'actions'],
  ['not an object', () => [1, 2], '(rule)'],
  ['not JSON', () => '{"family": "ipv4",', '(text): not JSON'],
];
for (const [name, make, says] of invalid) {
  test(`parse refuses: ${name}`, () => {
    assert.throws(
      () => parseFlowSpecRule(make(base())),
      (err: unknown) => isBreakwaterError(err, 'BW_ERR_FLOWSPEC_INVALID') && err.message.includes(says) && err.status === 400,
    );
  });
}

test('a missing destination has its own code even at the JSON boundary', () => {
  assert.throws(
    () => parseFlowSpecRule({ family: 'ipv4', match: { protocol: [[{ op: '=', value: 17 }]] }, actions: [{ type: 'discard' }] }),
    (err: unknown) => isBreakwaterError(err, 'BW_ERR_FLOWSPEC_NO_DESTINATION') && err.message.includes('match.destination'),
  );
});

test('the parser checks shape only: ranges are left to validation', () => {
  const rule = parseFlowSpecRule({ ...base(), match: { destination: { prefix: '203.0.113.10/32' }, destinationPort: [[{ op: '=', value: 70000 }]] } });
  assert.deepEqual(rule.match.destinationPort, [[{ op: '=', value: 70000 }]]);
});
