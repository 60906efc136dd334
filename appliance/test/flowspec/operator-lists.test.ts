import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  allOf, anyOf, closedRangeOf, condition as c, describeNumericMatch, either, eq, ge, gt, le, lt, ne, numericTermIsSatisfiable, range, singleValueOf,
} from '../../src/flowspec/numeric-match.js';
import { bitmask, bitmaskTermIsSatisfiable, flagsOfBits, modeFromOperatorBits, modeOperatorBits, TCP_FLAG_BITS, FRAGMENT_FLAG_BITS } from '../../src/flowspec/bitmask-match.js';
import { actionExtendedCommunity, extendedCommunityHex, float32Bits } from '../../src/flowspec/action-communities.js';
import type { BitmaskMode, FlowSpecAction, NumericTerm } from '../../src/flowspec/rule.js';

test('numeric builders produce the RFC operator-list shape', () => {
  assert.deepEqual(eq(53), [[{ op: '=', value: 53 }]]);
  assert.deepEqual(anyOf(53, 123), [[{ op: '=', value: 53 }], [{ op: '=', value: 123 }]]);
  assert.deepEqual(range(200, 1500), [[{ op: '>=', value: 200 }, { op: '<=', value: 1500 }]]);
  assert.deepEqual(either(range(1, 5), eq(80)), [[c('>=', 1), c('<=', 5)], [c('=', 80)]]);
  assert.deepEqual([gt(1), ge(2), lt(3), le(4), ne(5)].map((m) => m[0]![0]!.op), ['>', '>=', '<', '<=', '!=']);
  assert.equal(describeNumericMatch(either(range(200, 1500), eq(9000))), '>=200&<=1500 | =9000');
});

const satisfiable: [string, NumericTerm, number, boolean][] = [
  ['>1000 & <500', [c('>', 1000), c('<', 500)], 65535, false],
  ['>1000 & <1002', [c('>', 1000), c('<', 1002)], 65535, true],
  ['>1000 & <1001', [c('>', 1000), c('<', 1001)], 65535, false],
  ['=80 & !=80', [c('=', 80), c('!=', 80)], 65535, false],
  ['>=62 & !=62 & !=63 (max 63)', [c('>=', 62), c('!=', 62), c('!=', 63)], 63, false],
  ['>=62 & !=62 (max 63)', [c('>=', 62), c('!=', 62)], 63, true],
  ['>255 (max 255)', [c('>', 255)], 255, false],
  ['<0', [c('<', 0)], 255, false],
  ['<=0', [c('<=', 0)], 255, true],
  ['!=5 alone', [c('!=', 5)], 65535, true],
];
for (const [name, term, max, expected] of satisfiable) {
  test(`numeric term ${name} satisfiable: ${expected}`, () => assert.equal(numericTermIsSatisfiable(term, max), expected));
}

test('single values and closed ranges are recognised (BIRD short form)', () => {
  assert.equal(singleValueOf([c('=', 7)]), 7);
  assert.equal(singleValueOf([c('>=', 7)]), undefined);
  assert.deepEqual(closedRangeOf([c('<=', 9), c('>=', 3)]), [3, 9]);
  assert.equal(closedRangeOf([c('>', 3), c('<=', 9)]), undefined);
  assert.equal(closedRangeOf([c('>=', 9), c('<=', 3)]), undefined);
});

test('bitmask modes are the RFC not/m bit pairs, both ways', () => {
  const modes: [BitmaskMode, number][] = [['any', 0], ['all', 1], ['none', 2], ['not-all', 3]];
  for (const [mode, bits] of modes) {
    assert.equal(modeOperatorBits(mode), bits);
    assert.equal(modeFromOperatorBits(bits | 0x80 | 0x40), mode);
  }
  assert.deepEqual(bitmask(['syn'], 'all'), [[{ flags: ['syn'], mode: 'all' }]]);
  assert.deepEqual(flagsOfBits(0x12 | 0x100, TCP_FLAG_BITS), { flags: ['syn', 'ack'], unknown: 0x100 });
});

test('bitmask satisfiability', () => {
  assert.equal(bitmaskTermIsSatisfiable([{ flags: ['syn'], mode: 'all' }, { flags: ['ack'], mode: 'none' }], TCP_FLAG_BITS), true);
  assert.equal(bitmaskTermIsSatisfiable([{ flags: ['syn'], mode: 'all' }, { flags: ['syn'], mode: 'none' }], TCP_FLAG_BITS), false);
  assert.equal(bitmaskTermIsSatisfiable([{ flags: ['syn', 'ack'], mode: 'any' }, { flags: ['syn'], mode: 'none' }], TCP_FLAG_BITS), true);
  assert.equal(bitmaskTermIsSatisfiable([{ flags: ['syn', 'ack'], mode: 'any' }, { flags: ['syn', 'ack'], mode: 'none' }], TCP_FLAG_BITS), false);
  assert.equal(bitmaskTermIsSatisfiable([{ flags: ['is-fragment'], mode: 'not-all' }, { flags: ['is-fragment'], mode: 'all' }], FRAGMENT_FLAG_BITS), false);
});

test('action extended communities (RFC 8955 §7, RFC 4360)', () => {
  const cases: [FlowSpecAction, string][] = [
    [{ type: 'discard' }, '0x8006000000000000'],
    [{ type: 'rate-limit', bytesPerSecond: 1000000 }, '0x8006000049742400'],
    [{ type: 'rate-limit-packets', packetsPerSecond: 1000 }, '0x800c0000447a0000'],
    [{ type: 'redirect', target: { format: 'as2', asn: 65000, local: 100 } }, '0x8008fde800000064'],
    [{ type: 'redirect', target: { format: 'as4', asn: 4200000000, local: 100 } }, '0x8208fa56ea000064'],
    [{ type: 'redirect', target: { format: 'ip', address: '192.0.2.1', local: 100 } }, '0x8108c00002010064'],
    [{ type: 'mark-dscp', dscp: 46 }, '0x800900000000002e'],
    [{ type: 'traffic-action', sample: true, terminal: true }, '0x8007000000000003'],
    [{ type: 'extended-community', kind: 'route-target', value: { format: 'as2', asn: 65000, local: 1 } }, '0x0002fde800000001'],
    [{ type: 'extended-community', kind: 'route-origin', value: { format: 'as4', asn: 4200000000, local: 7 } }, '0x0203fa56ea000007'],
    [{ type: 'extended-community', kind: 'route-target', value: { format: 'ip', address: '192.0.2.7', local: 9 } }, '0x0102c00002070009'],
  ];
  for (const [action, expected] of cases) assert.equal(extendedCommunityHex(actionExtendedCommunity(action)!), expected, action.type);
  assert.equal(actionExtendedCommunity({ type: 'community', asn: 1, value: 2 }), undefined);
  assert.equal(float32Bits(0), 0);
  assert.equal(float32Bits(1e12), 0x5368d4a5);
});

test('allOf ANDs matches, distributing over their terms', () => {
  assert.deepEqual(allOf(gt(1000), lt(2000)), [[c('>', 1000), c('<', 2000)]]);
  assert.deepEqual(allOf(anyOf(80, 443), ne(0)), [[c('=', 80), c('!=', 0)], [c('=', 443), c('!=', 0)]]);
});
