import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderBirdFlowNet, renderBirdRoute, renderBirdRouteAttributes } from '../../src/flowspec/render-bird.js';
import { assertValidFlowSpecRule } from '../../src/flowspec/validate.js';
import { condition as c, eq, range } from '../../src/flowspec/numeric-match.js';
import type { FlowSpecAction, FlowSpecRule } from '../../src/flowspec/rule.js';
import { fixturesFor, FIXTURES, PROTECTED } from './fixtures.js';
import { hasCommand, run } from './helpers.js';

const valid = (rule: FlowSpecRule): FlowSpecRule => assertValidFlowSpecRule(rule, { protectedPrefixes: PROTECTED });
const v4 = (match: Partial<FlowSpecRule['match']>, actions: FlowSpecAction[] = [{ type: 'discard' }]): FlowSpecRule =>
  valid({ family: 'ipv4', match: { destination: { prefix: '203.0.113.10/32' }, ...match }, actions });
const v6 = (match: Partial<FlowSpecRule['match']>, actions: FlowSpecAction[] = [{ type: 'discard' }]): FlowSpecRule =>
  valid({ family: 'ipv6', match: { destination: { prefix: '2001:db8::1/128' }, ...match }, actions });

test('the protocols.md example renders to the documented BIRD route', () => {
  const rule = v4({ protocol: eq(17), sourcePort: eq(53), packetLength: range(200, 1500) });
  assert.equal(
    renderBirdRoute(rule),
    'route flow4 { dst 203.0.113.10/32; proto 17; sport 53; length 200..1500; } { bgp_ext_community.add((generic, 0x80060000, 0x00000000)); };',
  );
});

const componentCases: [string, FlowSpecRule, string][] = [
  ['source prefix', v4({ source: { prefix: '198.51.100.0/24' } }), 'src 198.51.100.0/24;'],
  ['protocol list', v4({ protocol: [[c('=', 6)], [c('=', 17)]] }), 'proto 6, 17;'],
  ['any-port !=', v4({ port: [[c('!=', 22)]] }), 'port != 22;'],
  ['destination port, range and value', v4({ destinationPort: [[c('>=', 1000), c('<=', 2000)], [c('=', 80)]] }), 'dport 1000..2000, 80;'],
  ['destination port, open range OR value', v4({ destinationPort: [[c('>', 1000), c('<', 2000)], [c('=', 80)]] }), 'dport > 1000 && < 2000 || = 80;'],
  ['source port >=', v4({ sourcePort: [[c('>=', 1024)]] }), 'sport >= 1024;'],
  ['ICMP type and code', v4({ icmpType: eq(3), icmpCode: [[c('<=', 4)]] }), 'icmp type 3; icmp code <= 4;'],
  ['TCP flags, all four modes', v4({ tcpFlags: [[{ flags: ['syn'], mode: 'all' }, { flags: ['ack', 'rst'], mode: 'none' }], [{ flags: ['fin'], mode: 'any' }], [{ flags: ['syn', 'ack'], mode: 'not-all' }]] }), 'tcp flags 0x2/0x2 && 0x0/0x14 || !0x0/0x1 || !0x12/0x12;'],
  ['packet length <', v4({ packetLength: [[c('<', 64)]] }), 'length < 64;'],
  ['DSCP', v4({ dscp: eq(46) }), 'dscp 46;'],
  ['fragment, single bits', v4({ fragment: [[{ flags: ['is-fragment'], mode: 'all' }, { flags: ['dont-fragment'], mode: 'none' }]] }), 'fragment is_fragment && !dont_fragment;'],
  ['fragment, several bits spelled out', v4({ fragment: [[{ flags: ['first-fragment', 'last-fragment'], mode: 'any' }]] }), 'fragment first_fragment || last_fragment;'],
  ['IPv6 next header and flow label', v6({ protocol: eq(58), flowLabel: range(1, 5) }), 'next header 58; label 1..5;'],
  ['IPv6 source with offset', v6({ source: { prefix: '2001:db8:aaaa::/48', offset: 16 } }), 'src 2001:db8:aaaa::/48 offset 16;'],
];
for (const [name, rule, expected] of componentCases) {
  test(`BIRD component: ${name}`, () => {
    assert.ok(renderBirdFlowNet(rule).includes(expected), renderBirdFlowNet(rule));
  });
}

const actionCases: [string, FlowSpecAction, string][] = [
  ['discard', { type: 'discard' }, '(generic, 0x80060000, 0x00000000)'],
  ['rate-limit 1 MB/s (float32 0x49742400)', { type: 'rate-limit', bytesPerSecond: 1000000 }, '(generic, 0x80060000, 0x49742400)'],
  ['rate-limit-packets 1000 (float32 0x447a0000)', { type: 'rate-limit-packets', packetsPerSecond: 1000 }, '(generic, 0x800c0000, 0x447a0000)'],
  ['redirect AS2', { type: 'redirect', target: { format: 'as2', asn: 65000, local: 100 } }, '(generic, 0x8008fde8, 0x00000064)'],
  ['redirect AS4', { type: 'redirect', target: { format: 'as4', asn: 4200000000, local: 100 } }, '(generic, 0x8208fa56, 0xea000064)'],
  ['redirect IP', { type: 'redirect', target: { format: 'ip', address: '192.0.2.1', local: 100 } }, '(generic, 0x8108c000, 0x02010064)'],
  ['mark DSCP', { type: 'mark-dscp', dscp: 10 }, '(generic, 0x80090000, 0x0000000a)'],
  ['traffic-action sample', { type: 'traffic-action', sample: true, terminal: false }, '(generic, 0x80070000, 0x00000002)'],
  ['traffic-action terminal', { type: 'traffic-action', sample: false, terminal: true }, '(generic, 0x80070000, 0x00000001)'],
  ['community', { type: 'community', asn: 65535, value: 666 }, 'bgp_community.add((65535, 666));'],
  ['large community', { type: 'large-community', global: 4200000000, local1: 1, local2: 2 }, 'bgp_large_community.add((4200000000, 1, 2));'],
  ['route target AS2', { type: 'extended-community', kind: 'route-target', value: { format: 'as2', asn: 65000, local: 1 } }, '(rt, 65000, 1)'],
  ['route origin IP', { type: 'extended-community', kind: 'route-origin', value: { format: 'ip', address: '192.0.2.7', local: 9 } }, '(ro, 192.0.2.7, 9)'],
  ['route target AS4 with a small AS', { type: 'extended-community', kind: 'route-target', value: { format: 'as4', asn: 64512, local: 3 } }, '(generic, 0x02020000, 0xfc000003)'],
];
for (const [name, action, expected] of actionCases) {
  test(`BIRD action: ${name}`, () => {
    const actions: FlowSpecAction[] = action.type === 'community' || action.type === 'large-community' || action.type === 'extended-community' ? [{ type: 'discard' }, action] : [action];
    const text = renderBirdRouteAttributes(v4({}, actions)).join(' ');
    assert.ok(text.includes(expected), text);
  });
}

// The real check: BIRD 2's own parser (`bird -p`) must accept every rendered route.
describe('bird -p accepts the rendered routes', { skip: !hasCommand('bird') && 'bird is not installed' }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bw-flowspec-bird-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function parseWithBird(routes4: string[], routes6: string[]): Promise<{ code: number; output: string }> {
    const config = [
      'router id 192.0.2.10;',
      'flow4 table flowtab4;',
      'flow6 table flowtab6;',
      'protocol static bw_flow4 {',
      '  flow4 { table flowtab4; };',
      ...routes4.map((r) => `  ${r}`),
      '}',
      'protocol static bw_flow6 {',
      '  flow6 { table flowtab6; };',
      ...routes6.map((r) => `  ${r}`),
      '}',
      '',
    ].join('\n');
    const file = join(dir, `bird-${Math.random().toString(36).slice(2)}.conf`);
    await writeFile(file, config);
    const result = await run('bird', ['-p', '-c', file]);
    return { code: result.code, output: result.stdout + result.stderr };
  }

  for (const f of fixturesFor('bird')) {
    test(f.name, async () => {
      const route = renderBirdRoute(valid(f.rule));
      const { code, output } = await parseWithBird(f.rule.family === 'ipv4' ? [route] : [], f.rule.family === 'ipv6' ? [route] : []);
      assert.equal(code, 0, `bird -p failed:\n${output}\n${route}`);
    });
  }

  test('all fixtures together, with the component tables above', async () => {
    const rules = [...FIXTURES.filter((f) => f.speakers.includes('bird')).map((f) => f.rule), ...componentCases.map(([, r]) => r)].map(valid);
    const { code, output } = await parseWithBird(
      rules.filter((r) => r.family === 'ipv4').map(renderBirdRoute),
      rules.filter((r) => r.family === 'ipv6').map(renderBirdRoute),
    );
    assert.equal(code, 0, output);
  });

  test('the check has teeth: bird -p rejects what BIRD would reject', async () => {
    const broken = [
      'route flow4 { dst 203.0.113.10/32; label 5; } { bgp_ext_community.add((generic, 0x80060000, 0x00000000)); };',
      'route flow4 { dst 203.0.113.10/24; } { bgp_ext_community.add((generic, 0x80060000, 0x00000000)); };',
      'route flow4 { dst 203.0.113.10/32; dscp 64; } { bgp_ext_community.add((generic, 0x80060000, 0x00000000)); };',
    ];
    for (const route of broken) assert.notEqual((await parseWithBird([route], [])).code, 0, route);
    const df6 = 'route flow6 { dst 2001:db8::/32; fragment dont_fragment; } { bgp_ext_community.add((generic, 0x80060000, 0x00000000)); };';
    assert.notEqual((await parseWithBird([], [df6])).code, 0);
  });
});
