// The BGP wire encoding sent to gobgpd: every FlowSpec fixture encodes to an NLRI that the independent
// decoder (flowspec/decode-components.ts) reads back to the same rule, and the path attributes carry the
// action communities byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionExtendedCommunity } from '../../src/flowspec/action-communities.js';
import { componentsToMatch, decodeFlowSpecNlri } from '../../src/flowspec/decode-components.js';
import { encodeFlowSpecNlri, encodeUnicastPrefix, wirePath } from '../../src/bgp/gobgp/bgp-wire.js';
import { canonicalMatchText } from '../../src/bgp/route-key.js';
import type { DesiredFlowRoute } from '../../src/bgp/speaker.js';
import { FIXTURES } from '../flowspec/fixtures.js';

// gobgpd reads IPv6 prefix offsets the pre-RFC 8956 way, so the GoBGP speaker refuses them (see gobgp-daemon.ts);
// the encoder still writes them per the RFC and is checked here for them too.
for (const fixture of FIXTURES) {
  test(`FlowSpec NLRI round trip: ${fixture.name}`, () => {
    const bytes = encodeFlowSpecNlri(fixture.rule);
    const { components, bytesRead } = decodeFlowSpecNlri(fixture.rule.family, bytes);
    assert.equal(bytesRead, bytes.length);
    const match = componentsToMatch(fixture.rule.family, components);
    assert.equal(canonicalMatchText(fixture.rule.family, match), canonicalMatchText(fixture.rule.family, fixture.rule.match));
  });
}

test('the protocols.md example encodes to the RFC 8955 bytes', () => {
  const rule = FIXTURES[0]!.rule; // dst 203.0.113.10/32, proto =17, sport =53, length >200&<1500
  assert.deepEqual(
    Buffer.from(encodeFlowSpecNlri(rule)).toString('hex'),
    // len, [1 /32 203.0.113.10] [3 eol|=17] [6 eol|=53] [10 >200(1 byte), eol|and|len2|< 1500]
    '12' + '0120cb00710a' + '038111' + '068135' + '0a' + '02c8' + 'd405dc',
  );
});

test('unicast prefixes keep only their significant bytes', () => {
  assert.equal(Buffer.from(encodeUnicastPrefix('203.0.113.10/32')).toString('hex'), '20cb00710a');
  assert.equal(Buffer.from(encodeUnicastPrefix('2001:db8::/32')).toString('hex'), '2020010db8');
});

test('path attributes: ORIGIN, MP_REACH with the NLRI and no next hop, every action as an extended community', () => {
  const fixture = FIXTURES.find((f) => f.rule.actions.some((a) => a.type === 'large-community'))!;
  const route: DesiredFlowRoute = { kind: 'flowspec', id: 'x', rule: fixture.rule, trimmed: [], owner: 'o', createdAt: 0, expiresAt: null };
  const path = wirePath(route);
  const byType = new Map(path.attributes.map((a) => [a[1]!, a]));
  assert.deepEqual([...byType.keys()].sort((a, b) => a - b), [1, 8, 14, 16, 32]);
  const mpReach = byType.get(14)!;
  assert.deepEqual([...mpReach.subarray(3, 8)], [0, 1, 133, 0, 0]);
  assert.deepEqual(Buffer.from(mpReach.subarray(8)), Buffer.from(path.nlri));
  const ext = byType.get(16)!;
  const expected = fixture.rule.actions.flatMap((a) => {
    const w = actionExtendedCommunity(a);
    if (w === undefined) return [];
    const b = Buffer.alloc(8);
    b.writeUInt32BE(w.high, 0);
    b.writeUInt32BE(w.low, 4);
    return [...b];
  });
  assert.deepEqual([...ext.subarray(3)], expected);
});

test('RTBH IPv6 carries its next hop in MP_REACH and the communities', () => {
  const path = wirePath({ kind: 'rtbh', id: 'r', prefix: '2001:db8::10/128', family: 'ipv6', communities: ['65535:666'], nextHop: '2001:db8::1', owner: 'o', createdAt: 0, expiresAt: null });
  const mpReach = path.attributes.find((a) => a[1] === 14)!;
  assert.deepEqual([...mpReach.subarray(3, 7)], [0, 2, 1, 16]);
  const communities = path.attributes.find((a) => a[1] === 8)!;
  assert.equal(Buffer.from(communities.subarray(3)).toString('hex'), 'ffff029a');
});
