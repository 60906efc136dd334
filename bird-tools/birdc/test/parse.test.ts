// The typed parsers on recorded BIRD 2.0.12 replies (fixtures/), one expectation per fact BIRD printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStatus } from '../src/parse/status.js';
import { parseProtocolActions, parseProtocols, parseProtocolsWithDetails } from '../src/parse/protocols.js';
import { parseRouteCount, parseRoutes } from '../src/parse/routes.js';
import { parseConfigureResult } from '../src/parse/configure.js';
import { parseConfigLocation } from '../src/parse/config-error.js';
import {
  parseAsPath,
  parseCommunities,
  parseExtCommunities,
  parseLargeCommunities,
} from '../src/parse/bgp-attributes.js';
import { BirdError, replyError } from '../src/errors.js';
import { reply } from './helpers/fixtures.js';

test('show status', () => {
  assert.deepEqual(parseStatus(reply('show-status')), {
    version: '2.0.12',
    routerId: '198.18.0.1',
    hostname: 'vm',
    serverTime: '2026-11-29 22:14:05.201',
    lastReboot: '2026-11-29 22:14:05.170',
    lastReconfiguration: '2026-11-29 22:14:05.170',
    message: 'Daemon is up and running',
    other: [],
  });
});

test('show status without the expected lines is BIRDC_ERR_UNEXPECTED_REPLY', () => {
  assert.throws(
    () => parseStatus([{ code: 13, text: 'Daemon is up and running' }]),
    (err: unknown) => err instanceof BirdError && err.code === 'BIRDC_ERR_UNEXPECTED_REPLY' && err.reply?.length === 1,
  );
});

test('show protocols', () => {
  const rows = parseProtocols(reply('show-protocols'));
  assert.deepEqual(
    rows.map((r) => [r.name, r.proto, r.table, r.state]),
    [
      ['device1', 'Device', '---', 'up'],
      ['st4', 'Static', 't4', 'up'],
      ['st6', 'Static', 't6', 'up'],
      ['bw_flow4', 'Static', 'flowtab4', 'up'],
      ['bw_flow6', 'Static', 'flowtab6', 'up'],
      ['bw_rtbh4', 'Static', 't4', 'up'],
    ],
  );
  assert.deepEqual(rows[0], { name: 'device1', proto: 'Device', table: '---', state: 'up', since: '22:14:05.170', info: '' });
  const bgp = parseProtocols(reply('bgp-show-protocols')).find((r) => r.name === 'peer_a');
  assert.deepEqual(bgp, { name: 'peer_a', proto: 'BGP', table: '---', state: 'up', since: '22:14:06.799', info: 'Established' });
});

test('protocol rows with a long name, a two-word time and a multi-word info', () => {
  const rows = parseProtocols([
    { code: 2002, text: 'Name       Proto      Table      State  Since         Info' },
    { code: 1002, text: 'a_very_long_protocol_name BGP        ---        start  2026-11-28 10:00:00  Active        Socket: Connection refused' },
    { code: 0, text: '' },
  ]);
  assert.deepEqual(rows, [
    {
      name: 'a_very_long_protocol_name',
      proto: 'BGP',
      table: '---',
      state: 'start',
      since: '2026-11-28 10:00:00',
      info: 'Active        Socket: Connection refused',
    },
  ]);
});

test('show protocols all: static channel', () => {
  const [st4] = parseProtocolsWithDetails(reply('show-protocols-all-st4'));
  assert.equal(st4!.name, 'st4');
  assert.deepEqual(st4!.details.fields, {});
  assert.equal(st4!.details.channels.length, 1);
  const channel = st4!.details.channels[0]!;
  assert.equal(channel.name, 'ipv4');
  assert.equal(channel.state, 'UP');
  assert.equal(channel.table, 't4');
  assert.equal(channel.preference, 200);
  assert.equal(channel.inputFilter, 'ACCEPT');
  assert.equal(channel.outputFilter, 'REJECT');
  assert.deepEqual(channel.routes, { imported: 3, exported: 0, preferred: 3 });
  assert.deepEqual(channel.routeChangeStats, {
    importUpdates: { received: 3, rejected: 0, filtered: 0, ignored: 0, accepted: 3 },
    importWithdraws: { received: 0, rejected: 0, filtered: null, ignored: 0, accepted: 0 },
    exportUpdates: { received: 0, rejected: 0, filtered: 0, ignored: null, accepted: 0 },
    exportWithdraws: { received: 0, rejected: null, filtered: null, ignored: null, accepted: 0 },
  });
});

test('show protocols all: BGP session facts and both channels', () => {
  const [peer] = parseProtocolsWithDetails(reply('bgp-show-protocols-all-peer_a'));
  assert.equal(peer!.info, 'Established');
  const { fields, channels, lines } = peer!.details;
  assert.equal(fields['BGP state'], 'Established');
  assert.equal(fields['Neighbor address'], '100.64.0.1');
  assert.equal(fields['Neighbor AS'], '65010');
  assert.equal(fields['Local AS'], '65000');
  assert.equal(fields['Session'], 'external AS4');
  assert.equal(fields['AF announced'], undefined, 'capability lists are not top-level fields');
  assert.ok(lines.some((l) => l.trim() === 'AF announced: ipv4 flow4'), 'but stay in lines');
  assert.deepEqual(
    channels.map((c) => [c.name, c.table, c.routes?.imported, c.fields['BGP Next hop']]),
    [
      ['ipv4', 'master4', 2, '100.64.0.2'],
      ['flow4', 'flowtab4', 1, '100.64.0.2'],
    ],
  );
  assert.equal(channels[0]!.inputFilter, '(unnamed)');
  assert.deepEqual(channels[0]!.routeChangeStats?.exportUpdates, {
    received: 2,
    rejected: 1,
    filtered: 1,
    ignored: null,
    accepted: 0,
  });
});

test('show route: static IPv4 blackhole/unreachable routes', () => {
  const routes = parseRoutes(reply('show-route-t4'));
  assert.deepEqual(
    routes.map((r) => [r.network, r.dest, r.protocol, r.primary, r.preference, r.table]),
    [
      ['198.51.100.0/24', 'blackhole', 'st4', true, 200, 't4'],
      ['192.0.2.66/32', 'blackhole', 'bw_rtbh4', true, 200, 't4'],
      ['203.0.113.10/32', 'blackhole', 'st4', true, 200, 't4'],
      ['203.0.113.0/24', 'unreachable', 'st4', true, 200, 't4'],
    ],
  );
  assert.deepEqual(routes[0], {
    table: 't4',
    network: '198.51.100.0/24',
    dest: 'blackhole',
    protocol: 'st4',
    since: '22:14:05.170',
    primary: true,
    preference: 200,
    info: '(200)',
    nextHops: [],
    attributes: {},
  });
});

test('show route all: type and communities of static routes', () => {
  const routes = parseRoutes(reply('show-route-t4-all'));
  assert.equal(routes.length, 4);
  assert.ok(routes.every((r) => r.type === 'static univ'));
  const rtbh = routes.find((r) => r.network === '203.0.113.10/32')!;
  assert.deepEqual(rtbh.attributes, { 'BGP.community': '(65535,666)' });
  assert.deepEqual(rtbh.bgp?.communities, [[65535, 666]]);
  assert.equal(routes.find((r) => r.network === '198.51.100.0/24')!.bgp, undefined);
});

test('show route all: IPv6', () => {
  const [route] = parseRoutes(reply('show-route-t6-all'));
  assert.equal(route!.network, '2001:db8:66::/48');
  assert.equal(route!.dest, 'blackhole');
  assert.equal(route!.table, 't6');
});

test('show route all: FlowSpec rules (flow4 and flow6) with the traffic-rate 0 extended community', () => {
  const [flow4] = parseRoutes(reply('show-route-flowtab4-all'));
  assert.equal(flow4!.network, 'flow4 { dst 203.0.113.10/32; proto 17; sport 53; length 200..1500; }');
  assert.deepEqual(flow4!.flow, { family: 'flow4', rule: 'dst 203.0.113.10/32; proto 17; sport 53; length 200..1500;' });
  assert.equal(flow4!.dest, 'none');
  assert.equal(flow4!.protocol, 'bw_flow4');
  assert.equal(flow4!.primary, true);
  assert.deepEqual(flow4!.bgp?.extCommunities, [
    { kind: 'generic', first: 0x80060000, second: 0, text: '(generic, 0x80060000, 0x0)' },
  ]);
  const [flow6] = parseRoutes(reply('show-route-flowtab6-all'));
  assert.deepEqual(flow6!.flow, { family: 'flow6', rule: 'dst 2001:db8:66::1/128; next header 17; dport 53;' });
  assert.equal(flow6!.table, 'flowtab6');
});

test('show route all on the BGP receiver: next hop, from, non-primary route, every community kind', () => {
  const routes = parseRoutes(reply('bgp-show-route-master4-all'));
  assert.equal(routes.length, 3);
  const [local, learned, rtbh] = routes;
  assert.equal(local!.network, '198.51.100.0/24');
  assert.equal(local!.protocol, 'local4');
  assert.equal(local!.primary, true);
  // BIRD leaves the network column blank for the second route of the same network.
  assert.equal(learned!.network, '198.51.100.0/24');
  assert.equal(learned!.protocol, 'peer_a');
  assert.equal(learned!.dest, 'unicast');
  assert.equal(learned!.primary, false);
  assert.equal(learned!.preference, 100);
  assert.equal(learned!.info, '(100) [AS65010i]');
  assert.deepEqual(learned!.nextHops, [{ gateway: '100.64.0.1', interface: 'bwb0' }]);
  assert.equal(learned!.type, 'BGP univ');
  assert.deepEqual(learned!.bgp, {
    origin: 'IGP',
    asPath: [65010],
    nextHop: ['100.64.0.1'],
    localPref: 100,
    communities: [],
    extCommunities: [],
    largeCommunities: [],
  });
  assert.equal(rtbh!.network, '203.0.113.10/32');
  assert.equal(rtbh!.dest, 'blackhole');
  assert.equal(rtbh!.from, '100.64.0.1');
  assert.equal(rtbh!.since, '22:14:06.885');
  assert.deepEqual(rtbh!.nextHops, []);
  assert.deepEqual(rtbh!.bgp?.communities, [[65535, 666]]);
  assert.deepEqual(rtbh!.bgp?.extCommunities, [{ kind: 'rt', first: 65010, second: 100, text: '(rt, 65010, 100)' }]);
  assert.deepEqual(rtbh!.bgp?.largeCommunities, [[65010, 1, 2]]);
});

test('show route all across tables keeps each route in its table', () => {
  const routes = parseRoutes(reply('bgp-show-route-all'));
  assert.deepEqual(
    routes.map((r) => [r.table, r.network.slice(0, 15)]),
    [
      ['master4', '198.51.100.0/24'],
      ['master4', '198.51.100.0/24'],
      ['master4', '203.0.113.10/32'],
      ['flowtab4', 'flow4 { dst 203'],
    ],
  );
  assert.equal(routes[3]!.from, '100.64.0.1');
  assert.equal(routes[3]!.bgp?.extCommunities[0]?.first, 0x80060000);
});

test('route lines with metrics, sync error, mpls and multipath next hops', () => {
  const routes = parseRoutes([
    { code: 1007, text: 'Table master4:' },
    { code: 1007, text: '10.0.0.0/8           unicast [ospf1 10:00:00.000] ! E2 (150/10/20) [192.0.2.1]' },
    { code: 1007, text: '\tvia 192.0.2.1 on eth0 mpls 100/200 weight 1' },
    { code: 1007, text: '\tvia 192.0.2.2 on eth1 onlink weight 2' },
    { code: 1007, text: '\tdev eth2' },
    { code: 1008, text: '\tType: OSPF-E2 univ' },
    { code: 1012, text: '\tBGP.community: (65000,1) (65000,2)' },
    { code: 1012, text: '\t\t(65000,3)' },
    { code: 0, text: '' },
  ]);
  assert.equal(routes.length, 1);
  const [r] = routes;
  assert.equal(r!.primary, true);
  assert.equal(r!.syncError, true);
  assert.equal(r!.preference, 150);
  assert.deepEqual(r!.metrics, [10, 20]);
  assert.deepEqual(r!.nextHops, [
    { gateway: '192.0.2.1', interface: 'eth0', mpls: [100, 200], weight: 1 },
    { gateway: '192.0.2.2', interface: 'eth1', onlink: true, weight: 2 },
    { interface: 'eth2' },
  ]);
  assert.equal(r!.type, 'OSPF-E2 univ');
  assert.deepEqual(r!.bgp?.communities, [
    [65000, 1],
    [65000, 2],
    [65000, 3],
  ]);
});

test('an unreadable route line is BIRDC_ERR_UNEXPECTED_REPLY', () => {
  assert.throws(
    () => parseRoutes([{ code: 1007, text: 'something else entirely' }]),
    (err: unknown) => err instanceof BirdError && err.code === 'BIRDC_ERR_UNEXPECTED_REPLY',
  );
});

test('route counts: one table, and all tables with the Total line', () => {
  assert.deepEqual(parseRouteCount(reply('show-route-t4-count')), {
    matched: 4,
    routes: 4,
    networks: 4,
    tables: [{ table: 't4', matched: 4, routes: 4, networks: 4 }],
  });
  const all = parseRouteCount(reply('show-route-count'));
  assert.deepEqual(
    { matched: all.matched, routes: all.routes, networks: all.networks },
    { matched: 2, routes: 2, networks: 2 },
  );
  assert.deepEqual(
    all.tables.map((t) => [t.table, t.routes]),
    [
      ['master4', 0],
      ['master6', 0],
      ['flowtab4', 1],
      ['flowtab6', 1],
    ],
  );
});

test('configure results', () => {
  const cases: Array<[string, object]> = [
    ['configure-check', { status: 'ok', code: 20, message: 'Configuration OK' }],
    ['configure-soft', { status: 'reconfigured', code: 3, message: 'Reconfigured' }],
    ['configure-timeout', { status: 'reconfigured', code: 3, undoInSeconds: 30 }],
    ['configure-confirm', { status: 'confirmed', code: 18, message: 'Reconfiguration confirmed' }],
    ['configure-undo', { status: 'reconfigured', code: 3, undoRequested: true }],
  ];
  for (const [name, expected] of cases) {
    const result = parseConfigureResult(reply(name));
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(result[key as keyof typeof result], value, `${name}.${key}`);
    }
  }
  assert.match(parseConfigureResult(reply('configure-check')).file ?? '', /\/static\.conf$/);
});

test('a bad config: 8002 with file, line and column', () => {
  const lines = reply('configure-check-bad');
  const err = replyError('configure check', lines);
  assert.equal(err.code, 'BIRDC_ERR_REPLY');
  assert.equal(err.birdCode, 8002);
  assert.match(err.location?.file ?? '', /\/bad\.conf$/);
  assert.equal(err.location?.line, 33);
  assert.equal(err.location?.column, 25);
  assert.match(err.location?.message ?? '', /^syntax error, unexpected ';'/);
  assert.match(err.message, /bad\.conf line 33/);
});

test('config locations in every format BIRD prints', () => {
  const cases: Array<[string, ReturnType<typeof parseConfigLocation>]> = [
    ['/etc/bird.conf:12:3 syntax error', { file: '/etc/bird.conf', line: 12, column: 3, message: 'syntax error' }],
    ['/etc/bird.conf, line 12: syntax error', { file: '/etc/bird.conf', line: 12, message: 'syntax error' }],
    ['/nonexistent: No such file or directory', { file: '/nonexistent', message: 'No such file or directory' }],
    ['nothing to see', undefined],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseConfigLocation(text), expected, text);
});

test('protocol action results', () => {
  const cases: Array<[string, Array<[string, string, number]>]> = [
    ['disable-st4', [['st4', 'disabled', 9]]],
    ['disable-st4-again', [['st4', 'already disabled', 8]]],
    ['enable-st4', [['st4', 'enabled', 11]]],
    ['reload-st4', [['st4', 'reloading', 15]]],
    [
      'restart-all',
      ['device1', 'st4', 'st6', 'bw_flow4', 'bw_flow6', 'bw_rtbh4'].map((p): [string, string, number] => [p, 'restarted', 12]),
    ],
  ];
  for (const [name, expected] of cases) {
    assert.deepEqual(
      parseProtocolActions(reply(name)).map((r) => [r.protocol, r.result, r.code]),
      expected,
      name,
    );
  }
});

test('BGP attribute value parsers', () => {
  assert.deepEqual(parseCommunities('(65535,666) (65010,1)'), [
    [65535, 666],
    [65010, 1],
  ]);
  assert.deepEqual(parseLargeCommunities('(65010, 1, 2) (4200000000, 3, 4)'), [
    [65010, 1, 2],
    [4200000000, 3, 4],
  ]);
  assert.deepEqual(parseExtCommunities('(ro, 192.0.2.1, 5) (generic, 0x80090000, 0x2e)'), [
    { kind: 'ro', first: '192.0.2.1', second: 5, text: '(ro, 192.0.2.1, 5)' },
    { kind: 'generic', first: 0x80090000, second: 46, text: '(generic, 0x80090000, 0x2e)' },
  ]);
  assert.deepEqual(parseAsPath('65010 65020 {65030 65040}'), [65010, 65020, 65030, 65040]);
});
