import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBreakwaterError } from '../../src/errors.js';
import { componentsToMatch, type WireComponent } from '../../src/flowspec/decode-components.js';
import { renderGobgpAdd, renderGobgpDel, renderGobgpMatch, renderGobgpThen, ribArgs } from '../../src/flowspec/render-gobgp.js';
import { assertValidFlowSpecRule } from '../../src/flowspec/validate.js';
import { condition as c, eq, range } from '../../src/flowspec/numeric-match.js';
import type { FlowSpecAction, FlowSpecMatch, FlowSpecRule } from '../../src/flowspec/rule.js';
import { fixturesFor, PROTECTED } from './fixtures.js';
import { freePort, hasCommand, normaliseMatch, run } from './helpers.js';

const valid = (rule: FlowSpecRule): FlowSpecRule => assertValidFlowSpecRule(rule, { protectedPrefixes: PROTECTED });
const v4 = (match: Partial<FlowSpecMatch>, actions: FlowSpecAction[] = [{ type: 'discard' }]): FlowSpecRule =>
  valid({ family: 'ipv4', match: { destination: { prefix: '203.0.113.1/32' }, ...match }, actions });
const v6 = (match: Partial<FlowSpecMatch>, actions: FlowSpecAction[] = [{ type: 'discard' }]): FlowSpecRule =>
  valid({ family: 'ipv6', match: { destination: { prefix: '2001:db8::1/128' }, ...match }, actions });

test('the protocols.md example renders to the documented GoBGP arguments', () => {
  const rule = v4({ protocol: eq(17), sourcePort: eq(53) });
  assert.deepEqual(renderGobgpAdd(rule), [
    'global', 'rib', '-a', 'ipv4-flowspec', 'add', 'match',
    'destination', '203.0.113.1/32', 'protocol', '==17', 'source-port', '==53', 'then', 'discard',
  ]);
  assert.deepEqual(renderGobgpDel(rule), ['global', 'rib', '-a', 'ipv4-flowspec', 'del', 'match', 'destination', '203.0.113.1/32', 'protocol', '==17', 'source-port', '==53']);
  assert.deepEqual(ribArgs(v6({})), ['global', 'rib', '-a', 'ipv6-flowspec']);
});

const matchCases: [string, FlowSpecRule, string[]][] = [
  ['source', v4({ source: { prefix: '198.51.100.0/24' } }), ['source', '198.51.100.0/24']],
  ['OR of terms, AND inside a term', v4({ destinationPort: [[c('>', 1000), c('<', 2000)], [c('=', 80)]] }), ['destination-port', '>1000', '&<2000', '==80']],
  ['port !=', v4({ port: [[c('!=', 22)]] }), ['port', '!=22']],
  ['source port <=', v4({ sourcePort: [[c('<=', 1023)]] }), ['source-port', '<=1023']],
  ['icmp', v4({ icmpType: eq(8), icmpCode: [[c('>=', 1)]] }), ['icmp-type', '==8', 'icmp-code', '>=1']],
  ['tcp flags, four modes', v4({ tcpFlags: [[{ flags: ['syn'], mode: 'all' }, { flags: ['rst'], mode: 'none' }], [{ flags: ['ack'], mode: 'any' }], [{ flags: ['syn', 'ack'], mode: 'not-all' }]] }), ['tcp-flags', '=S', '&!R', 'A', '!=SA']],
  ['every TCP flag letter', v4({ tcpFlags: [[{ flags: ['fin', 'syn', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'], mode: 'any' }]] }), ['tcp-flags', 'FSRPAUEC']],
  ['packet length range', v4({ packetLength: range(64, 128) }), ['packet-length', '>=64', '&<=128']],
  ['dscp', v4({ dscp: eq(46) }), ['dscp', '==46']],
  ['fragment', v4({ fragment: [[{ flags: ['is-fragment', 'first-fragment'], mode: 'any' }, { flags: ['dont-fragment'], mode: 'none' }]] }), ['fragment', 'is-fragment+first-fragment', '&!dont-fragment']],
  ['IPv6 protocol and label', v6({ protocol: eq(58), flowLabel: eq(5) }), ['protocol', '==58', 'label', '==5']],
];
for (const [name, rule, expected] of matchCases) {
  test(`GoBGP match: ${name}`, () => {
    const args = renderGobgpMatch(rule);
    const at = args.indexOf(expected[0]!);
    assert.deepEqual(args.slice(at, at + expected.length), expected, args.join(' '));
  });
}

const thenCases: [string, FlowSpecAction[], string[]][] = [
  ['discard', [{ type: 'discard' }], ['discard']],
  ['rate-limit', [{ type: 'rate-limit', bytesPerSecond: 1000000 }], ['rate-limit', '1000000']],
  ['redirect AS2', [{ type: 'redirect', target: { format: 'as2', asn: 65000, local: 100000 } }], ['redirect', '65000:100000']],
  ['redirect AS4 as-dot', [{ type: 'redirect', target: { format: 'as4', asn: 4200000000, local: 100 } }], ['redirect', '64086.59904:100']],
  ['redirect IP', [{ type: 'redirect', target: { format: 'ip', address: '192.0.2.1', local: 100 } }], ['redirect', '192.0.2.1:100']],
  ['mark', [{ type: 'mark-dscp', dscp: 10 }], ['mark', '10']],
  ['action sample', [{ type: 'traffic-action', sample: true, terminal: false }], ['action', 'sample']],
  ['communities gathered', [{ type: 'discard' }, { type: 'community', asn: 65535, value: 666 }, { type: 'community', asn: 65000, value: 1 }, { type: 'large-community', global: 1, local1: 2, local2: 3 }], ['discard', 'community', '65535:666,65000:1', 'large-community', '1:2:3']],
];
for (const [name, actions, expected] of thenCases) {
  test(`GoBGP then: ${name}`, () => assert.deepEqual(renderGobgpThen(v4({}, actions)), expected));
}

test('what GoBGP cannot express is refused, not half-sent', () => {
  const refused: FlowSpecRule[] = [
    v4({}, [{ type: 'rate-limit-packets', packetsPerSecond: 10 }]),
    v4({}, [{ type: 'discard' }, { type: 'extended-community', kind: 'route-target', value: { format: 'as2', asn: 65000, local: 1 } }]),
    v6({ source: { prefix: '2001:db8:aaaa::/48', offset: 16 } }),
  ];
  for (const rule of refused) assert.throws(() => renderGobgpAdd(rule), (err: unknown) => isBreakwaterError(err, 'BW_ERR_FLOWSPEC_UNRENDERABLE'));
});

/** GoBGP's JSON for one path: its NLRI component list and its attributes. */
interface GobgpPath {
  nlri: { value: { type: number; value: unknown; offset?: number }[] };
  attrs: { type: number; value?: unknown; communities?: number[] }[];
}

function toWireComponents(nlri: GobgpPath['nlri']): WireComponent[] {
  return nlri.value.map((component) => {
    if (component.type === 1 || component.type === 2) {
      const prefix = (component.value as { prefix: string }).prefix;
      return { type: component.type, prefix: component.offset ? { prefix, offset: component.offset } : { prefix } };
    }
    return { type: component.type, ops: component.value as { op: number; value: number }[] };
  });
}

/** The actions as GoBGP shows them back in its JSON attributes (extended communities decoded). */
function expectedGobgpAttributes(rule: FlowSpecRule): { extended: unknown[]; communities: number[]; large: unknown[] } {
  const extended = rule.actions.flatMap((a): unknown[] => {
    switch (a.type) {
      case 'discard':
        return [{ type: 128, subtype: 6, as: 0, rate: 0 }];
      case 'rate-limit':
        return [{ type: 128, subtype: 6, as: 0, rate: a.bytesPerSecond }];
      case 'redirect': {
        const t = a.target;
        if (t.format === 'as2') return [{ type: 128, subtype: 8, value: `${t.asn}:${t.local}` }];
        if (t.format === 'as4') return [{ type: 130, subtype: 8, value: `${t.asn >>> 16}.${t.asn & 0xffff}:${t.local}` }];
        return [{ type: 129, subtype: 8, value: `${t.address}:${t.local}` }];
      }
      case 'mark-dscp':
        return [{ type: 128, subtype: 9, value: a.dscp }];
      case 'traffic-action':
        return [{ type: 128, subtype: 7, terminal: a.terminal, sample: a.sample }];
      default:
        return [];
    }
  });
  const communities = rule.actions.flatMap((a) => (a.type === 'community' ? [((a.asn << 16) | a.value) >>> 0] : []));
  const large = rule.actions.flatMap((a) => (a.type === 'large-community' ? [{ ASN: a.global, LocalData1: a.local1, LocalData2: a.local2 }] : []));
  return { extended, communities, large };
}

const sortJson = (values: unknown[]): string[] => values.map((v) => JSON.stringify(v, Object.keys(v as object).sort())).sort();

describe('gobgpd 3 takes the rendered rules and reads them back as the model says', { skip: !hasCommand('gobgpd') && 'gobgpd is not installed' }, () => {
  let dir = '';
  let port = 0;
  let gobgpd: ChildProcess | undefined;
  const gobgp = (args: string[]) => run('gobgp', ['-p', String(port), ...args], { timeoutMs: 10000 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bw-flowspec-gobgp-'));
    port = await freePort();
    // No neighbors and `port = -1`: gobgpd listens for BGP nowhere; the gRPC API is on loopback only.
    await writeFile(join(dir, 'gobgpd.toml'), '[global.config]\n  as = 65010\n  router-id = "192.0.2.10"\n  port = -1\n');
    gobgpd = spawn('gobgpd', ['-f', join(dir, 'gobgpd.toml'), '--api-hosts', `127.0.0.1:${port}`, '--pprof-disable', '--disable-stdlog'], { stdio: 'ignore' });
    const deadline = Date.now() + 10000;
    while ((await gobgp(['global'])).code !== 0) {
      if (Date.now() > deadline || gobgpd.exitCode !== null) throw new Error('gobgpd did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    if (gobgpd !== undefined && gobgpd.exitCode === null) {
      const exited = new Promise((resolve) => gobgpd!.once('exit', resolve));
      gobgpd.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (gobgpd.exitCode === null) gobgpd.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  });

  async function listRib(family: 'ipv4' | 'ipv6'): Promise<GobgpPath[]> {
    const result = await gobgp([...ribArgs({ family }), '-j']);
    assert.equal(result.code, 0, result.stderr);
    const text = result.stdout.trim();
    if (text === '' || text === 'null') return [];
    const byNetwork = JSON.parse(text) as Record<string, GobgpPath[]> | null;
    return Object.values(byNetwork ?? {}).flat();
  }

  const rules = fixturesFor('gobgp').map((f) => valid(f.rule));

  test('add: every GoBGP fixture is accepted', async () => {
    for (const rule of rules) {
      const result = await gobgp(renderGobgpAdd(rule));
      assert.equal(result.code, 0, `${renderGobgpAdd(rule).join(' ')}\n${result.stdout}${result.stderr}`);
    }
  });

  test('list: each rule reads back with the same match, operators and actions', async () => {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const paths = await listRib(family);
      const expected = rules.filter((r) => r.family === family);
      assert.equal(paths.length, expected.length);
      for (const rule of expected) {
        const path = paths.find((p) => componentsToMatch(family, toWireComponents(p.nlri)).destination.prefix === rule.match.destination.prefix);
        assert.ok(path, `${rule.match.destination.prefix} is not in gobgpd's ${family} RIB`);
        assert.deepEqual(normaliseMatch(componentsToMatch(family, toWireComponents(path.nlri))), normaliseMatch(rule.match));

        const want = expectedGobgpAttributes(rule);
        const extended = (path.attrs.find((a) => a.type === 16)?.value as unknown[] | undefined) ?? [];
        assert.deepEqual(sortJson(extended), sortJson(want.extended), `extended communities of ${rule.match.destination.prefix}`);
        assert.deepEqual([...(path.attrs.find((a) => a.type === 8)?.communities ?? [])].sort(), want.communities.sort());
        assert.deepEqual(sortJson((path.attrs.find((a) => a.type === 32)?.value as unknown[] | undefined) ?? []), sortJson(want.large));
      }
    }
  });

  test('del: deleting by the rendered match empties the RIB', async () => {
    for (const rule of rules) {
      const result = await gobgp(renderGobgpDel(rule));
      assert.equal(result.code, 0, result.stderr);
    }
    assert.deepEqual(await listRib('ipv4'), []);
    assert.deepEqual(await listRib('ipv6'), []);
  });
});
