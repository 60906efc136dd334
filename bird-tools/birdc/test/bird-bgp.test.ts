// Two real BIRD 2 daemons in their own network namespaces, peering over a veth pair
// (100.64.0.1 AS 65010 -> 100.64.0.2 AS 65000). The sender originates an RTBH route carrying
// 65535:666 plus an extended and a large community, and a FlowSpec discard rule; the client reads
// them back on the receiver with `show route all`, and watches a withdrawal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBirdClient, type BirdClient } from '../src/index.js';
import {
  birdUnavailableReason,
  createNetnsPair,
  deleteNetns,
  eventually,
  makeTempDir,
  netnsUnavailableReason,
  removeTempDir,
  startBird,
  type BirdDaemon,
  type NetnsPair,
} from './helpers/bird.js';
import { bgpReceiverConfig, bgpSenderConfig } from './helpers/configs.js';

const skip = birdUnavailableReason() ?? netnsUnavailableReason();

describe('birdc against two BIRDs peering over BGP in network namespaces', { skip }, () => {
  let dir: string | undefined;
  let pair: NetnsPair | undefined;
  const daemons: BirdDaemon[] = [];
  let sender: BirdClient | undefined;
  let receiver: BirdClient | undefined;

  before(async () => {
    dir = makeTempDir('bgp');
    pair = createNetnsPair('bgp');
    const a = await startBird({ dir, name: 'a', netns: pair.a, config: bgpSenderConfig(pair.addressA, pair.addressB) });
    daemons.push(a);
    const b = await startBird({ dir, name: 'b', netns: pair.b, config: bgpReceiverConfig(pair.addressB, pair.addressA) });
    daemons.push(b);
    sender = createBirdClient({ socketPath: a.socketPath, commandTimeoutMs: 5_000 });
    receiver = createBirdClient({ socketPath: b.socketPath, commandTimeoutMs: 5_000 });
    // Wait for the session and for both address families, not a fixed sleep.
    await eventually('BGP session Established', 15_000, async () =>
      (await receiver!.showProtocol('peer_a')).info === 'Established' ? true : undefined,
    );
    await eventually('routes in master4 and flowtab4', 5_000, async () => {
      const [unicast, flow] = await Promise.all([receiver!.countRoutes('master4'), receiver!.countRoutes('flowtab4')]);
      return unicast.routes === 3 && flow.routes === 1 ? true : undefined;
    });
  });

  after(async () => {
    // Each step runs even if an earlier one throws: namespaces and temp dirs must not leak.
    await Promise.allSettled([sender?.close(), receiver?.close()]);
    await Promise.allSettled(daemons.map((d) => d.stop()));
    if (pair) deleteNetns(pair.a, pair.b);
    if (dir) removeTempDir(dir);
  });

  it('shows the session Established with both channels', async () => {
    const peer = await receiver!.showProtocol('peer_a', { all: true });
    assert.equal(peer.proto, 'BGP');
    assert.equal(peer.details.fields['BGP state'], 'Established');
    assert.equal(peer.details.fields['Neighbor address'], pair!.addressA);
    assert.equal(peer.details.fields['Neighbor AS'], '65010');
    assert.deepEqual(
      peer.details.channels.map((c) => [c.name, c.table, c.state, c.routes?.imported]),
      [
        ['ipv4', 'master4', 'UP', 2],
        ['flow4', 'flowtab4', 'UP', 1],
      ],
    );
  });

  it('reads the RTBH route with 65535:666, the extended and the large community', async () => {
    const routes = await receiver!.showRoutes({ prefix: '203.0.113.10/32', all: true });
    assert.equal(routes.length, 1);
    const [route] = routes;
    assert.equal(route!.protocol, 'peer_a');
    assert.equal(route!.table, 'master4');
    // The receiver's import filter turns 65535:666 into a blackhole (RFC 7999).
    assert.equal(route!.dest, 'blackhole');
    assert.equal(route!.from, pair!.addressA);
    assert.equal(route!.type, 'BGP univ');
    assert.equal(route!.bgp?.origin, 'IGP');
    assert.deepEqual(route!.bgp?.asPath, [65010]);
    assert.deepEqual(route!.bgp?.nextHop, [pair!.addressA]);
    assert.deepEqual(route!.bgp?.communities, [[65535, 666]]);
    assert.deepEqual(
      route!.bgp?.extCommunities.map((c) => [c.kind, c.first, c.second]),
      [['rt', 65010, 100]],
    );
    assert.deepEqual(route!.bgp?.largeCommunities, [[65010, 1, 2]]);
    assert.equal(route!.attributes['BGP.community'], '(65535,666)');
  });

  it('shows a network with two routes: the static one primary, the BGP one via the veth', async () => {
    const routes = await receiver!.showRoutes({ table: 'master4', prefix: '198.51.100.0/24', all: true });
    assert.deepEqual(
      routes.map((r) => [r.network, r.protocol, r.dest, r.primary, r.preference]),
      [
        ['198.51.100.0/24', 'local4', 'unreachable', true, 200],
        ['198.51.100.0/24', 'peer_a', 'unicast', false, 100],
      ],
    );
    assert.deepEqual(routes[1]!.nextHops, [{ gateway: pair!.addressA, interface: pair!.interfaceB }]);
  });

  it('reads the FlowSpec discard rule received over BGP with its traffic-rate 0 community', async () => {
    const [flow] = await receiver!.showRoutes({ table: 'flowtab4', all: true });
    assert.equal(flow!.protocol, 'peer_a');
    assert.deepEqual(flow!.flow, { family: 'flow4', rule: 'dst 203.0.113.10/32; proto 17; sport 53; length 200..1500;' });
    assert.deepEqual(flow!.bgp?.extCommunities, [
      { kind: 'generic', first: 0x80060000, second: 0, text: '(generic, 0x80060000, 0x0)' },
    ]);
    assert.deepEqual(flow!.bgp?.asPath, [65010]);
  });

  it('sees the routes withdrawn when the sender disables its RTBH protocol, and back on enable', async () => {
    assert.deepEqual(await sender!.disable('rtbh4'), [{ protocol: 'rtbh4', result: 'disabled', code: 9 }]);
    await eventually('withdrawal at the receiver', 5_000, async () =>
      (await receiver!.showRoutes({ prefix: '203.0.113.10/32' })).length === 0 ? true : undefined,
    );
    await sender!.enable('rtbh4');
    const [back] = await eventually('re-announcement at the receiver', 5_000, async () => {
      const routes = await receiver!.showRoutes({ prefix: '203.0.113.10/32', all: true });
      return routes.length === 1 ? routes : undefined;
    });
    assert.deepEqual(back!.bgp?.communities, [[65535, 666]]);
  });
});
