// Host groups and thresholds: configuration checks with paths, longest-prefix group membership, inheritance
// (global default → parent → group, 0 switches off), and each threshold source (static, baseline, floor).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { validateConfig } from '../../src/config/load.js';
import { keyIndex } from '../../src/counting/vector.js';
import { HostGroups, Metric } from '../../src/detection/host-groups.js';
import { groupName, ResolvedThreshold, thresholdFor } from '../../src/detection/thresholds.js';
import { detectionConfig } from './helpers.js';

const HOST = 0;
const BLOCK = 1;

function groups(hostGroups: unknown[], detection: Record<string, unknown> = {}): HostGroups {
  return HostGroups.fromConfig(detectionConfig({ networks: ['198.51.100.0/22', '2001:db8::/32'], hostGroups, detection }));
}

const invalid: { name: string; doc: unknown; paths: string[] }[] = [
  { name: 'a malformed prefix', doc: { networks: ['198.51.100.0/33'] }, paths: ['/networks/0'] },
  { name: 'host bits set', doc: { networks: ['198.51.100.1/24'] }, paths: ['/networks/0'] },
  { name: 'an IPv6 prefix with host bits', doc: { hostGroups: [{ name: 'a', prefixes: ['2001:db8::1/64'] }] }, paths: ['/hostGroups/0/prefixes/0'] },
  { name: 'an unknown parent', doc: { hostGroups: [{ name: 'a', parent: 'nope', prefixes: ['192.0.2.0/24'] }] }, paths: ['/hostGroups/0/parent'] },
  {
    name: 'a parent cycle',
    doc: { hostGroups: [{ name: 'a', parent: 'b', prefixes: ['192.0.2.0/25'] }, { name: 'b', parent: 'a', prefixes: ['192.0.2.128/25'] }] },
    paths: ['/hostGroups/0/parent', '/hostGroups/1/parent'],
  },
  { name: 'a duplicate group name', doc: { hostGroups: [{ name: 'a', prefixes: ['192.0.2.0/25'] }, { name: 'a', prefixes: ['192.0.2.128/25'] }] }, paths: ['/hostGroups/1/name'] },
  { name: 'the reserved name global', doc: { hostGroups: [{ name: 'global', prefixes: ['192.0.2.0/25'] }] }, paths: ['/hostGroups/0/name'] },
  { name: 'one prefix in two groups', doc: { hostGroups: [{ name: 'a', prefixes: ['192.0.2.0/24'] }, { name: 'b', prefixes: ['192.0.2.0/24'] }] }, paths: ['/hostGroups/1/prefixes/0'] },
  { name: 'an unknown threshold key', doc: { detection: { thresholds: { sin: { pps: 1 } } } }, paths: ['/detection/thresholds/sin'] },
  { name: 'flows on a vector key', doc: { detection: { thresholds: { syn: { flows: 10 } } } }, paths: ['/detection/thresholds/syn/flows'] },
  { name: 'a negative threshold', doc: { hostGroups: [{ name: 'a', prefixes: ['192.0.2.0/24'], thresholds: { udp: { pps: -1 } } }] }, paths: ['/hostGroups/0/thresholds/udp/pps'] },
  { name: 'a window that is not whole ticks', doc: { detection: { windowMs: 1050 } }, paths: ['/detection/windowMs'] },
  { name: 'a fast window as long as the window', doc: { detection: { fastWindowMs: 1000 } }, paths: ['/detection/fastWindowMs'] },
  { name: 'a short window that is not whole ticks', doc: { detection: { shortWindowMs: 250 } }, paths: ['/detection/shortWindowMs'] },
  { name: 'flows on a vector key of a group aggregate', doc: { hostGroups: [{ name: 'a', prefixes: ['192.0.2.0/24'], groupThresholds: { udp: { flows: 10 } } }] }, paths: ['/hostGroups/0/groupThresholds/udp/flows'] },
  { name: 'a bad override agent', doc: { detection: { samplingOverrides: [{ agent: 'router1', rate: 1000 }] } }, paths: ['/detection/samplingOverrides/0/agent'] },
];

for (const c of invalid) {
  test(`configuration: rejects ${c.name}, naming the path`, () => {
    const r = validateConfig(c.doc);
    assert.equal(r.ok, false);
    if (r.ok) return;
    const paths = r.problems.map((p) => p.path);
    for (const p of c.paths) assert.ok(paths.some((x) => x === p || x.startsWith(`${p}`)), `expected ${p} among ${paths.join(', ')}`);
  });
}

test('configuration: the host-group example in docs/configuration.md is valid', () => {
  const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Protected networks, host groups and baselines'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  const r = validateConfig(parseYaml(yaml));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
});

test('membership: the longest matching prefix decides the group; networks outside every group belong to global', () => {
  const g = groups([
    { name: 'customers', prefixes: ['198.51.100.0/24'] },
    { name: 'resolvers', parent: 'customers', prefixes: ['198.51.100.53/32', '2001:db8:53::/48'] },
  ]);
  const byAddress = (text: string) => {
    const p = g.networks.find((n) => n.text === text);
    return p ? g.groups[p.group]!.name : undefined;
  };
  assert.equal(byAddress('198.51.100.0/24'), 'customers');
  assert.equal(byAddress('198.51.100.53/32'), 'resolvers');
  assert.equal(byAddress('2001:db8:53::/48'), 'resolvers');
  assert.equal(byAddress('198.51.100.0/22'), 'global');
  assert.deepEqual(g.protectedPrefixes().sort(), ['198.51.100.0/22', '198.51.100.0/24', '198.51.100.53/32', '2001:db8:53::/48', '2001:db8::/32'].sort());
});

test('threshold sources: global default, the group\'s own, inherited from the parent, switched off with 0', () => {
  const g = groups(
    [
      { name: 'customers', prefixes: ['198.51.100.0/24'], thresholds: { syn: { pps: 5000 } }, blockThresholds: { total: { pps: 300_000 } } },
      { name: 'premium', parent: 'customers', prefixes: ['198.51.100.128/25'], thresholds: { udp: { pps: 30_000 }, icmp: { pps: 0 } } },
    ],
    { baseline: { enabled: false } },
  );
  const out = new ResolvedThreshold();
  const resolve = (group: string, kind: number, key: Parameters<typeof keyIndex>[0], metric: number) => {
    const ok = thresholdFor(g.group(group) ?? g.groups[0]!, kind, keyIndex(key), metric, 0, true, out);
    return ok ? { value: out.value, source: out.source, from: groupName(g, out.group) } : undefined;
  };
  assert.deepEqual(resolve('global', HOST, 'syn', Metric.pps), { value: 20_000, source: 'static', from: 'global' });
  assert.deepEqual(resolve('customers', HOST, 'syn', Metric.pps), { value: 5000, source: 'static', from: 'customers' });
  assert.deepEqual(resolve('premium', HOST, 'syn', Metric.pps), { value: 5000, source: 'static', from: 'customers' }, 'inherited from the parent');
  assert.deepEqual(resolve('premium', HOST, 'udp', Metric.pps), { value: 30_000, source: 'static', from: 'premium' });
  assert.deepEqual(resolve('premium', HOST, 'udp', Metric.bps), { value: 1e9, source: 'static', from: 'global' }, 'bps of the same key still global');
  assert.equal(resolve('premium', HOST, 'icmp', Metric.pps), undefined, '0 switches the inherited ICMP limit off');
  assert.deepEqual(resolve('premium', BLOCK, 'total', Metric.pps), { value: 300_000, source: 'static', from: 'customers' });
  assert.equal(resolve('global', HOST, 'dns', Metric.pps), undefined, 'no dns key limit by default (amplification covers it)');
});

test('threshold sources: baseline after the warm-up — max(floor, k × baseline) — static before it', () => {
  const g = groups([{ name: 'web', prefixes: ['198.51.100.0/24'], thresholds: { total: { flows: 30_000 } }, baseline: { k: 4, floor: { total: { pps: 50_000 } } } }]);
  const web = g.group('web')!;
  const out = new ResolvedThreshold();
  const total = keyIndex('total');
  assert.equal(thresholdFor(web, HOST, total, Metric.pps, 30_000, false, out), true);
  assert.deepEqual([out.value, out.source], [200_000, 'static'], 'warm-up: the static threshold');
  thresholdFor(web, HOST, total, Metric.pps, 30_000, true, out);
  assert.deepEqual([out.value, out.source, groupName(g, out.group)], [120_000, 'baseline', 'web']);
  thresholdFor(web, HOST, total, Metric.pps, 5000, true, out);
  assert.deepEqual([out.value, out.source], [50_000, 'floor'], 'k × 5000 = 20000 is below the floor');
  thresholdFor(web, HOST, total, Metric.flows, 5000, true, out);
  assert.deepEqual([out.value, out.source], [30_000, 'static'], 'flows have no baseline');
  assert.equal(thresholdFor(web, HOST, keyIndex('gre'), Metric.pps, 1e9, true, out), true);
  assert.deepEqual([out.value, out.source], [50_000, 'static'], 'a key without a floor keeps its static threshold');
});
