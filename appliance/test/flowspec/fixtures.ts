// A varied set of valid FlowSpec rules for the renderer and daemon tests: together they use every component,
// every operator, every bitmask mode and every action, in IPv4 and IPv6. Each has its own destination so a
// daemon's output can be matched back to the fixture. `speakers` lists the renderers that can express it.
import { range, eq, anyOf, either, condition as c } from '../../src/flowspec/numeric-match.js';
import type { FlowSpecRule } from '../../src/flowspec/rule.js';

export const PROTECTED = ['203.0.113.0/24', '2001:db8::/32'];

export type Speaker = 'exabgp' | 'bird' | 'gobgp';
const all: Speaker[] = ['exabgp', 'bird', 'gobgp'];

export interface Fixture {
  name: string;
  rule: FlowSpecRule;
  speakers: Speaker[];
}

export const FIXTURES: Fixture[] = [
  {
    name: 'dns amplification (the protocols.md example)',
    speakers: all,
    rule: {
      family: 'ipv4',
      match: { destination: { prefix: '203.0.113.10/32' }, protocol: eq(17), sourcePort: eq(53), packetLength: [[c('>', 200), c('<', 1500)]] },
      actions: [{ type: 'discard' }],
    },
  },
  {
    name: 'every IPv4 component, rate-limit, mark, traffic-action, communities',
    speakers: all,
    rule: {
      family: 'ipv4',
      match: {
        destination: { prefix: '203.0.113.0/28' },
        source: { prefix: '198.51.100.0/24' },
        protocol: anyOf(6, 17),
        port: [[c('!=', 22)]],
        destinationPort: either([[c('>', 1000), c('<', 2000)]], eq(80)),
        sourcePort: [[c('>=', 1024)]],
        icmpType: [[c('<=', 3)]],
        icmpCode: [[c('<', 5)]],
        tcpFlags: [
          [{ flags: ['syn'], mode: 'all' }, { flags: ['rst'], mode: 'none' }],
          [{ flags: ['ack'], mode: 'any' }],
          [{ flags: ['syn', 'ack'], mode: 'not-all' }],
          [{ flags: ['fin', 'psh', 'urg', 'ece', 'cwr'], mode: 'any' }],
        ],
        packetLength: range(64, 1500),
        dscp: anyOf(10, 46),
        fragment: [[{ flags: ['is-fragment'], mode: 'all' }, { flags: ['dont-fragment'], mode: 'none' }], [{ flags: ['first-fragment'], mode: 'all' }]],
      },
      actions: [
        { type: 'rate-limit', bytesPerSecond: 1000000 },
        { type: 'mark-dscp', dscp: 8 },
        { type: 'traffic-action', sample: true, terminal: true },
        { type: 'community', asn: 65000, value: 666 },
        { type: 'community', asn: 65000, value: 1 },
        { type: 'large-community', global: 4200000000, local1: 1, local2: 2 },
      ],
    },
  },
  {
    name: 'icmp echo, redirect AS2',
    speakers: all,
    rule: {
      family: 'ipv4',
      match: { destination: { prefix: '203.0.113.16/32' }, protocol: eq(1), icmpType: eq(8), icmpCode: eq(0) },
      actions: [{ type: 'redirect', target: { format: 'as2', asn: 65000, local: 100000 } }, { type: 'traffic-action', sample: true, terminal: false }],
    },
  },
  {
    name: 'ntp, redirect AS4',
    speakers: all,
    rule: {
      family: 'ipv4',
      match: { destination: { prefix: '203.0.113.17/32' }, protocol: eq(17), sourcePort: eq(123), packetLength: [[c('>=', 400)]] },
      actions: [{ type: 'redirect', target: { format: 'as4', asn: 4200000000, local: 100 } }, { type: 'traffic-action', sample: false, terminal: true }],
    },
  },
  {
    name: 'redirect AS4 with a small AS number (ExaBGP 4.2 has no working form for it)',
    speakers: ['bird', 'gobgp'],
    rule: {
      family: 'ipv4',
      match: { destination: { prefix: '203.0.113.18/32' }, protocol: eq(6), destinationPort: eq(443) },
      actions: [{ type: 'redirect', target: { format: 'as4', asn: 100, local: 5 } }],
    },
  },
  {
    name: 'redirect IPv4:N',
    speakers: all,
    rule: {
      family: 'ipv4',
      match: { destination: { prefix: '203.0.113.19/32' }, protocol: eq(17), destinationPort: range(27015, 27030) },
      actions: [{ type: 'redirect', target: { format: 'ip', address: '192.0.2.1', local: 100 } }],
    },
  },
  {
    name: 'packet-rate limit (no GoBGP syntax for it)',
    speakers: ['exabgp', 'bird'],
    rule: {
      family: 'ipv4',
      match: { destination: { prefix: '203.0.113.20/32' }, packetLength: either([[c('<', 64)]], [[c('>', 1400)]]) },
      actions: [{ type: 'rate-limit-packets', packetsPerSecond: 1000 }],
    },
  },
  {
    name: 'route-target and route-origin communities (no GoBGP syntax for them)',
    speakers: ['exabgp', 'bird'],
    rule: {
      family: 'ipv4',
      match: { destination: { prefix: '203.0.113.21/32' }, protocol: eq(47) },
      actions: [
        { type: 'discard' },
        { type: 'extended-community', kind: 'route-target', value: { format: 'as2', asn: 65000, local: 1 } },
        { type: 'extended-community', kind: 'route-origin', value: { format: 'as4', asn: 4200000000, local: 7 } },
        { type: 'extended-community', kind: 'route-target', value: { format: 'ip', address: '192.0.2.7', local: 9 } },
        { type: 'extended-community', kind: 'route-target', value: { format: 'as4', asn: 64512, local: 3 } },
      ],
    },
  },
  {
    name: 'fragments with several bits per condition',
    speakers: all,
    rule: {
      family: 'ipv4',
      match: {
        destination: { prefix: '203.0.113.22/32' },
        fragment: [
          [{ flags: ['is-fragment', 'first-fragment'], mode: 'any' }, { flags: ['dont-fragment'], mode: 'none' }],
          [{ flags: ['first-fragment', 'last-fragment'], mode: 'not-all' }, { flags: ['is-fragment'], mode: 'all' }],
        ],
      },
      actions: [{ type: 'discard' }],
    },
  },
  {
    name: 'IPv6: every IPv6 component',
    speakers: all,
    rule: {
      family: 'ipv6',
      match: {
        destination: { prefix: '2001:db8::1/128' },
        source: { prefix: '2001:db8:ffff::/48' },
        protocol: eq(58),
        icmpType: eq(128),
        icmpCode: eq(0),
        packetLength: [[c('>', 1000)]],
        dscp: eq(46),
        flowLabel: either(range(1000, 2000), eq(0xfffff)),
      },
      actions: [{ type: 'discard' }],
    },
  },
  {
    name: 'IPv6: ports, TCP flags, fragment, rate-limit, large community',
    speakers: all,
    rule: {
      family: 'ipv6',
      match: {
        destination: { prefix: '2001:db8:1::/48' },
        protocol: eq(6),
        port: [[c('!=', 179)]],
        destinationPort: anyOf(80, 443),
        sourcePort: [[c('>', 1023)]],
        tcpFlags: [[{ flags: ['syn'], mode: 'all' }, { flags: ['ack'], mode: 'none' }]],
        fragment: [[{ flags: ['is-fragment'], mode: 'none' }]],
      },
      actions: [{ type: 'rate-limit', bytesPerSecond: 125000 }, { type: 'large-community', global: 65000, local1: 0, local2: 7 }],
    },
  },
  {
    name: 'IPv6: source with a prefix offset (only BIRD encodes offsets per RFC 8956)',
    speakers: ['bird'],
    rule: {
      family: 'ipv6',
      match: { destination: { prefix: '2001:db8:2::/64' }, source: { prefix: '2001:db8:aaaa::/48', offset: 16 }, protocol: eq(17) },
      actions: [{ type: 'discard' }],
    },
  },
];

export function fixturesFor(speaker: Speaker): Fixture[] {
  return FIXTURES.filter((f) => f.speakers.includes(speaker));
}
