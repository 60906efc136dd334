// The rule model without a kernel: FlowSpec numeric matches as intervals, and the nft and iptables text each
// match becomes. The kernel accepting that text is nft-netns.test.ts's job (nft --check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FirewallRule } from '@breakwater/sdk';
import { isBreakwaterError } from '../../src/errors.js';
import { entryComment, parseEntryComment } from '../../src/firewall/filter-entry.js';
import { matchIntervals } from '../../src/firewall/numeric-intervals.js';
import { renderNft } from '../../src/firewall/render-nft.js';
import { renderIptables } from '../../src/firewall/render-iptables.js';

const intervalCases: [string, Parameters<typeof matchIntervals>[0], [number, number][]][] = [
  ['equal', [[{ op: '=', value: 53 }]], [[53, 53]]],
  ['range', [[{ op: '>=', value: 80 }, { op: '<=', value: 90 }]], [[80, 90]]],
  ['range or value', [[{ op: '>=', value: 80 }, { op: '<=', value: 90 }], [{ op: '=', value: 443 }]], [[80, 90], [443, 443]]],
  ['not equal', [[{ op: '!=', value: 53 }]], [[0, 52], [54, 65535]]],
  ['adjacent terms merge', [[{ op: '<', value: 10 }], [{ op: '>=', value: 10 }, { op: '<', value: 20 }]], [[0, 19]]],
  ['contradiction', [[{ op: '>', value: 10 }, { op: '<', value: 5 }]], []],
];
for (const [name, match, expected] of intervalCases) {
  test(`intervals: ${name}`, () => assert.deepEqual(matchIntervals(match, 65535), expected));
}

const dst = { prefix: '203.0.113.10/32' };
const nftCases: [string, FirewallRule, string[]][] = [
  ['udp from port 53', { match: { destination: dst, protocol: [[{ op: '=', value: 17 }]], sourcePort: [[{ op: '=', value: 53 }]] }, action: { type: 'drop' } }, ['ip daddr 203.0.113.10/32 meta l4proto 17 th sport 53 counter drop']],
  ['port is source or destination: two rules', { match: { destination: dst, port: [[{ op: '=', value: 123 }]] }, action: { type: 'drop' } }, [
    'ip daddr 203.0.113.10/32 meta l4proto { 6, 17, 33, 132, 136 } th sport 123 counter drop',
    'ip daddr 203.0.113.10/32 meta l4proto { 6, 17, 33, 132, 136 } th dport 123 counter drop',
  ]],
  ['rate-limit counts only what is over the rate', { match: { destination: { prefix: '2001:db8::/64' }, packetLength: [[{ op: '>', value: 1200 }]] }, action: { type: 'rate-limit', packetsPerSecond: 5000 } }, ['ip6 daddr 2001:db8::/64 ip6 length 1201-65535 limit rate over 5000/second counter drop']],
  ['SYN without ACK', { match: { destination: dst, tcpFlags: [[{ flags: ['syn'], mode: 'all' }, { flags: ['ack'], mode: 'none' }]] }, action: { type: 'drop' } }, ['ip daddr 203.0.113.10/32 meta l4proto 6 tcp flags & (syn) == syn tcp flags & (ack) == 0 counter drop']],
  ['fragments', { match: { destination: dst, fragment: [[{ flags: ['is-fragment'], mode: 'any' }]] }, action: { type: 'drop' } }, ['ip daddr 203.0.113.10/32 ip frag-off & 0x3fff != 0 counter drop']],
  ['an operator list accepting everything filters nothing', { match: { destination: dst, dscp: [[{ op: '>=', value: 0 }]] }, action: { type: 'drop' } }, ['ip daddr 203.0.113.10/32 counter drop']],
];
for (const [name, rule, bodies] of nftCases) {
  test(`nft: ${name}`, () => assert.deepEqual(renderNft(rule).bodies, bodies));
}

// Fragment bits become the fewest rules of exact tests (fragment-match.ts); detection's later-fragments
// signature (is-fragment and not first-fragment) is one test in IPv4 and in iptables.
const later = [[{ flags: ['is-fragment' as const], mode: 'all' as const }, { flags: ['first-fragment' as const], mode: 'none' as const }]];
const v6dst = { prefix: '2001:db8::1/128' };
const fragmentCases: [string, FirewallRule['match'], string[], string[][] | 'refused'][] = [
  ['later fragments, IPv4', { destination: dst, fragment: later }, ['ip frag-off & 0x1fff != 0'], [['-f']]],
  ['later fragments, IPv6: offset non-zero, or the last (an atomic fragment is not a first one)', { destination: v6dst, fragment: later }, ['frag frag-off != 0', 'frag more-fragments 0'], 'refused'],
  ['not a later fragment, IPv4', { destination: dst, fragment: [[{ flags: ['is-fragment'], mode: 'none' }], [{ flags: ['first-fragment'], mode: 'all' }]] }, ['ip frag-off & 0x1fff == 0'], [['!', '-f']]],
  ['is-fragment, IPv6', { destination: v6dst, fragment: [[{ flags: ['is-fragment'], mode: 'all' }]] }, ['exthdr frag exists'], [['-m', 'frag']]],
  ['first fragment, IPv6', { destination: v6dst, fragment: [[{ flags: ['first-fragment'], mode: 'all' }]] }, ['frag frag-off 0 frag more-fragments 1'], [['-m', 'frag', '--fragfirst', '--fragmore']]],
  ['not first fragment, IPv4', { destination: dst, fragment: [[{ flags: ['first-fragment'], mode: 'none' }]] }, ['ip frag-off & 0x3fff != 0x2000'], 'refused'],
  ['last fragment, IPv4', { destination: dst, fragment: [[{ flags: ['last-fragment'], mode: 'all' }]] }, ['ip frag-off & 0x1fff != 0 ip frag-off & 0x2000 == 0'], 'refused'],
  ['DF or a fragment, IPv4: two rules', { destination: dst, fragment: [[{ flags: ['is-fragment', 'dont-fragment'], mode: 'any' }]] }, ['ip frag-off & 0x3fff != 0', 'ip frag-off & 0x4000 != 0'], 'refused'],
];
for (const [name, match, nft, iptables] of fragmentCases) {
  test(`fragments: ${name}`, () => {
    const prefix = match.destination.prefix;
    const ip = prefix.includes(':') ? 'ip6' : 'ip';
    assert.deepEqual(renderNft({ match, action: { type: 'drop' } }).bodies, nft.map((e) => `${ip} daddr ${prefix} ${e} counter drop`));
    if (iptables === 'refused') {
      assert.throws(() => renderIptables({ match, action: { type: 'drop' } }), (err) => isBreakwaterError(err, 'BW_ERR_FIREWALL_UNSUPPORTED') && /fragment match/.test(String(err)));
    } else {
      assert.deepEqual(renderIptables({ match, action: { type: 'drop' } }).specs, iptables.map((a) => ['-d', prefix, ...a]));
    }
  });
}

test('fragments: a match no packet satisfies, and dont-fragment in IPv6, are refused by both renderers', () => {
  const refused: FirewallRule['match'][] = [
    { destination: dst, fragment: [[{ flags: ['first-fragment', 'last-fragment'], mode: 'all' }]] },
    { destination: v6dst, fragment: [[{ flags: ['dont-fragment'], mode: 'all' }]] },
  ];
  for (const match of refused) {
    for (const render of [renderNft, renderIptables]) {
      assert.throws(() => render({ match, action: { type: 'drop' } }), (err) => isBreakwaterError(err, 'BW_ERR_FIREWALL_UNSUPPORTED'), JSON.stringify(match));
    }
  }
});

test('iptables: IPv6 packet length counts the 40-byte header; port as --ports for tcp and udp', () => {
  const { specs } = renderIptables({ match: { destination: { prefix: '2001:db8::1/128' }, port: [[{ op: '=', value: 53 }]], packetLength: [[{ op: '=', value: 100 }]] }, action: { type: 'drop' } });
  assert.deepEqual(specs, [
    ['-d', '2001:db8::1/128', '-p', 'tcp', '-m', 'multiport', '--ports', '53', '-m', 'length', '--length', '140'],
    ['-d', '2001:db8::1/128', '-p', 'udp', '-m', 'multiport', '--ports', '53', '-m', 'length', '--length', '140'],
  ]);
});

test('rule comments round-trip and foreign comments are not ours', () => {
  const comment = entryComment({ id: 'fw-abc123', expiresAt: 1_764_460_800_500 });
  assert.equal(comment, 'bw:fw-abc123:1764460801');
  assert.deepEqual(parseEntryComment(comment), { id: 'fw-abc123', expiresAt: 1_764_460_801_000 });
  assert.equal(parseEntryComment('operator rule'), undefined);
  assert.equal(parseEntryComment(undefined), undefined);
});
