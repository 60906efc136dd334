// Diversion routes below the daemons: what a diversion may be (prefix lengths, host bits, standard and large
// communities), how each daemon's syntax renders one (ExaBGP API lines, BIRD's routes file and export filter —
// parsed by the real `bird -p` — and GoBGP's binary path attributes), the bgp.diversion next-hop checks, and
// BgpSpeaker's own rules: one unicast route per prefix, FRR's refusal, a changed next hop applied at start.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BgpSpeaker } from '../../src/bgp/bgp-speaker.js';
import { renderBirdConfig, unicastExport } from '../../src/bgp/bird/bird-config.js';
import { birdRouteStatement, renderRoutesFile } from '../../src/bgp/bird/routes-file.js';
import { DesiredStateStore } from '../../src/bgp/desired-state.js';
import { checkDiversionCommunities, diversionCommunitiesKey, diversionPrefix } from '../../src/bgp/diversion-route.js';
import { exabgpAnnounceLine, exabgpWithdrawLine } from '../../src/bgp/exabgp/exabgp-daemon.js';
import { FrrDaemon } from '../../src/bgp/frr/frr-daemon.js';
import { wirePath } from '../../src/bgp/gobgp/bgp-wire.js';
import { checkBgpConfig } from '../../src/bgp/peers.js';
import { diversionRouteId } from '../../src/bgp/route-key.js';
import type { DesiredBgpRoute, DesiredDiversionRoute } from '../../src/bgp/speaker.js';
import type { SpeakerDaemon } from '../../src/bgp/speaker-daemon.js';
import type { BgpConfig } from '../../src/config/schema.js';
import { validateConfig } from '../../src/config/load.js';
import { isBreakwaterError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { canDivert } from '../../src/mitigation/facades.js';
import { cleanUpEverything, commandMissing, makeTempDir } from '../support/netns.js';

after(() => cleanUpEverything());

function bgpConfig(bgp: Record<string, unknown> = {}): BgpConfig {
  const result = validateConfig({ bgp: { speaker: 'bird', localAddress: '192.0.2.10', peers: [{ name: 'r1', address: '192.0.2.1', asn: 65000, families: ['ipv4-unicast', 'ipv6-unicast'] }], ...bgp } });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config.bgp;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isBreakwaterError(err) ? err.code : `not coded: ${(err as Error).message}`;
  }
}

const diversion = (prefix: string, communities: string[], nextHop = ''): DesiredDiversionRoute => {
  const { family } = diversionPrefix(prefix);
  return { kind: 'diversion', id: diversionRouteId(prefix), prefix, family, communities, nextHop, owner: 'attack-1', createdAt: 1, expiresAt: 2 };
};

test('diversion prefixes: IPv4 /8../32 and IPv6 /16../128, canonical, no host bits', () => {
  const ok: [string, string][] = [
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['203.0.113.10', '203.0.113.10/32'],
    ['2001:DB8:66:0::/48', '2001:db8:66::/48'],
    ['2001::/16', '2001::/16'],
    ['2001:db8::10', '2001:db8::10/128'],
  ];
  for (const [input, canonical] of ok) assert.equal(diversionPrefix(input).prefix, canonical, input);
  assert.equal(diversionPrefix('2001:db8::/32').family, 'ipv6');
  for (const bad of ['10.0.0.0/7', '0.0.0.0/0', '2001::/15', '203.0.113.1/24', '2001:db8::1/48', 'not-a-prefix', '203.0.113.0/33', '']) {
    assert.equal(codeOf(() => diversionPrefix(bad)), 'BW_ERR_BGP_DIVERSION_PREFIX', bad);
  }
  assert.throws(() => diversionPrefix('203.0.113.1/24'), /did you mean 203\.0\.113\.0\/24/);
});

test('diversion communities: standard ASN:VALUE and large GLOBAL:LOCAL1:LOCAL2, 1..16 of them', () => {
  checkDiversionCommunities(['65000:666', '0:0', '65535:65535', '4294967295:0:4294967295', '65010:1:2']);
  const bad: string[][] = [[], ['65536:1'], ['1:65536'], ['4294967296:1:1'], ['1:2:3:4'], ['abc'], ['65000'], ['-1:5'], ['65000: 1'], Array.from({ length: 17 }, (_, i) => `65000:${i}`)];
  for (const communities of bad) assert.equal(codeOf(() => checkDiversionCommunities(communities)), 'BW_ERR_BGP_COMMUNITY', JSON.stringify(communities));
  assert.equal(diversionCommunitiesKey(['65010:99', '65010:1:2', '65000:666']), '65000:666,65010:99,65010:1:2');
});

test('ExaBGP: announce and withdraw lines, next hop self or configured, large communities apart', () => {
  const both = diversion('203.0.113.0/24', ['65010:99', '65000:666', '65010:1:2']);
  assert.equal(exabgpAnnounceLine(both), 'announce route 203.0.113.0/24 next-hop self community [ 65010:99 65000:666 ] large-community [ 65010:1:2 ]');
  assert.equal(exabgpWithdrawLine(both), 'withdraw route 203.0.113.0/24 next-hop self');
  const largeOnly = diversion('2001:db8:66::/48', ['65010:7:8'], '2001:db8:64:1::2');
  assert.equal(exabgpAnnounceLine(largeOnly), 'announce route 2001:db8:66::/48 next-hop 2001:db8:64:1::2 large-community [ 65010:7:8 ]');
  assert.equal(exabgpWithdrawLine(largeOnly), 'withdraw route 2001:db8:66::/48 next-hop 2001:db8:64:1::2');
});

test('BIRD: diversions are static routes of bw_divert4/6 with their communities; the export filter sets each kind\'s next hop', () => {
  const v4 = diversion('203.0.113.0/24', ['65010:99', '65010:1:2']);
  assert.equal(birdRouteStatement(v4), 'route 203.0.113.0/24 blackhole { bgp_community.add((65010, 99)); bgp_large_community.add((65010, 1, 2)); };');
  const file = renderRoutesFile([v4, diversion('2001:db8:66::/48', ['65010:99'])]);
  assert.match(file, /protocol static bw_divert4 \{\n {2}ipv4 \{ table master4; \};\n {2}route 203\.0\.113\.0\/24 blackhole/);
  assert.match(file, /protocol static bw_divert6 \{\n {2}ipv6 \{ table master6; \};\n {2}route 2001:db8:66::\/48 blackhole \{ bgp_community\.add\(\(65010, 99\)\); \};/);
  assert.equal(
    unicastExport('bw_rtbh4', '192.0.2.1', 'bw_divert4', ''),
    'filter { if proto = "bw_rtbh4" then { bgp_next_hop = 192.0.2.1; accept; } if proto = "bw_divert4" then accept; reject; }',
  );
  assert.equal(
    unicastExport('bw_rtbh6', '100::1', 'bw_divert6', '2001:db8::9'),
    'filter { if proto = "bw_rtbh6" then { bgp_next_hop = 100::1; accept; } if proto = "bw_divert6" then { bgp_next_hop = 2001:db8::9; accept; } reject; }',
  );
  const config = renderBirdConfig(bgpConfig({ diversion: { nextHopIpv6: '2001:db8::9' } }), '/x/routes.conf');
  assert.ok(!config.includes('next hop address'), 'no channel-wide next hop: it would apply to diversions too');
});

test('BIRD: the generated configuration with RTBH and diversion routes parses (bird -p)', { skip: commandMissing('/usr/sbin/bird') }, () => {
  const dir = makeTempDir('div-birdp');
  const routes = join(dir, 'routes.conf');
  const rtbh: DesiredBgpRoute = { kind: 'rtbh', id: 'rtbh-198.51.100.7/32', prefix: '198.51.100.7/32', family: 'ipv4', communities: ['65535:666'], nextHop: '192.0.2.1', owner: 'a', createdAt: 1, expiresAt: null };
  writeFileSync(routes, renderRoutesFile([rtbh, diversion('203.0.113.0/24', ['65010:99', '4200000000:1:2']), diversion('2001:db8:66::/48', ['65010:1:2'])]));
  for (const [name, nextHops] of [['self', {}], ['configured', { nextHopIpv4: '192.0.2.77', nextHopIpv6: '2001:db8::9' }]] as const) {
    const conf = join(dir, `bird-${name}.conf`);
    writeFileSync(conf, renderBirdConfig(bgpConfig({ diversion: nextHops }), routes));
    const r = spawnSync('/usr/sbin/bird', ['-p', '-c', conf], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  }
});

test('GoBGP: NEXT_HOP unspecified (gobgpd sends its own) or configured, COMMUNITIES and LARGE_COMMUNITY byte for byte', () => {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const v4 = wirePath(diversion('203.0.113.0/24', ['65010:99', '65010:1:2']));
  assert.deepEqual([v4.afi, v4.safi], [1, 1]);
  assert.equal(hex(v4.nlri), '18cb0071');
  assert.deepEqual(v4.attributes.map(hex), [
    '40010100', // ORIGIN IGP
    '40030400000000', // NEXT_HOP 0.0.0.0
    'c00804fdf20063', // COMMUNITIES 65010:99
    'c0200c0000fdf20000000100000002', // LARGE_COMMUNITY 65010:1:2
  ]);
  const v6 = wirePath(diversion('2001:db8:66::/48', ['65010:7:8'], '2001:db8:64:1::2'));
  assert.deepEqual([v6.afi, v6.safi], [2, 1]);
  assert.deepEqual(v6.attributes.map(hex), [
    '40010100',
    // MP_REACH_NLRI: AFI 2, SAFI 1, next hop (16), reserved, the /48
    '800e1c000201' + '10' + '20010db8006400010000000000000002' + '00' + '3020010db80066',
    'c0200c0000fdf20000000700000008',
  ]);
});

test('bgp.diversion next hops: empty (self) or an address of the family', () => {
  assert.deepEqual(checkBgpConfig(bgpConfig()), []);
  assert.deepEqual(checkBgpConfig(bgpConfig({ diversion: { nextHopIpv4: '192.0.2.77', nextHopIpv6: '2001:db8::9' } })), []);
  const swapped = { ...bgpConfig(), diversion: { nextHopIpv4: '2001:db8::9', nextHopIpv6: '192.0.2.77' } };
  assert.deepEqual(checkBgpConfig(swapped).map((p) => p.path), ['/bgp/diversion/nextHopIpv4', '/bgp/diversion/nextHopIpv6']);
  assert.equal(validateConfig({ bgp: { diversion: { nextHopIpv4: 'nope' } } }).ok, false, 'the configuration check reports it');
});

/** A daemon that takes every change and remembers it: BgpSpeaker's own rules are what is tested here. */
class RecordingDaemon implements SpeakerDaemon {
  readonly kind = 'bird' as const;
  readonly originatesFlowSpec = true;
  readonly originatesDiversion = true;
  readonly announced: DesiredBgpRoute[] = [];
  check(): void {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async announce(routes: readonly DesiredBgpRoute[]): Promise<void> {
    this.announced.push(...routes);
  }
  async withdraw(): Promise<void> {}
  async sync() {
    return { added: 0, removed: 0, inSync: true };
  }
  async peers() {
    return [];
  }
}

test('BgpSpeaker: RTBH and diversion of one prefix exclude each other; a diversion needs a lifetime; the configured next hop is stamped, also on routes held across a restart', async () => {
  const dir = makeTempDir('div-speaker');
  const file = join(dir, 'desired-routes.json');
  const make = (config: BgpConfig) => new BgpSpeaker({ config, store: new DesiredStateStore(file), daemon: new RecordingDaemon(), log: silentLogger() });
  const speaker = make(bgpConfig());
  assert.equal(canDivert(speaker), true);
  await speaker.start();
  try {
    const host = await speaker.announceDiversion({ prefix: '203.0.113.10/32', communities: ['65010:99'], owner: 'a1', ttlSeconds: 60 });
    assert.equal(host.id, 'divert-203.0.113.10/32');
    await assert.rejects(speaker.announceRtbh({ prefix: '203.0.113.10', owner: 'a2' }), { code: 'BW_ERR_BGP_ROUTE_CONFLICT' });
    await speaker.announceRtbh({ prefix: '203.0.113.11', owner: 'a2' });
    await assert.rejects(speaker.announceDiversion({ prefix: '203.0.113.11/32', communities: ['65010:99'], owner: 'a1', ttlSeconds: 60 }), { code: 'BW_ERR_BGP_ROUTE_CONFLICT' });
    await assert.rejects(speaker.announceDiversion({ prefix: '198.51.100.0/24', communities: ['65010:99'], owner: 'a1', ttlSeconds: 0 }), { code: 'BW_ERR_BGP_DIVERSION_PREFIX' });
    // Announcing the same prefix again updates one route (same id), it does not add a second.
    await speaker.announceDiversion({ prefix: '203.0.113.10/32', communities: ['65010:98'], owner: 'a1', ttlSeconds: 60 });
    assert.deepEqual(speaker.diversionRoutes().map((r) => `${r.id} ${r.communities.join(',')} ${r.nextHop || 'self'}`), ['divert-203.0.113.10/32 65010:98 self']);
    assert.deepEqual(speaker.desiredRoutes().map((r) => r.id), ['rtbh-203.0.113.11/32']);
    assert.deepEqual(speaker.report().routes, { flowspec: 0, rtbh: 1, diversion: 1 });
  } finally {
    await speaker.stop();
  }
  const restarted = make(bgpConfig({ diversion: { nextHopIpv4: '192.0.2.77' } }));
  await restarted.start();
  try {
    assert.deepEqual(restarted.diversionRoutes().map((r) => `${r.id} ${r.nextHop}`), ['divert-203.0.113.10/32 192.0.2.77']);
  } finally {
    await restarted.stop();
  }
});

test('FRR: the speaker refuses diversions (BW_ERR_SPEAKER_NO_DIVERSION) and the facade sees it cannot divert', async () => {
  const dir = makeTempDir('div-frr');
  const config = bgpConfig({ speaker: 'frr' });
  const daemon = new FrrDaemon({ config, dir, desired: () => [], log: silentLogger() });
  const speaker = new BgpSpeaker({ config, store: new DesiredStateStore(join(dir, 'desired-routes.json')), daemon, log: silentLogger() });
  assert.equal(canDivert(speaker), false);
  await assert.rejects(speaker.announceDiversion({ prefix: '203.0.113.0/24', communities: ['65010:99'], owner: 'a', ttlSeconds: 60 }), { code: 'BW_ERR_SPEAKER_NO_DIVERSION' });
  assert.equal(codeOf(() => daemon.check(diversion('203.0.113.0/24', ['65010:99']))), 'BW_ERR_SPEAKER_NO_DIVERSION');
});
