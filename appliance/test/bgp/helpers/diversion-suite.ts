// Diversion routes (Tier 4, BGP diversion community) through one real speaker (ExaBGP, BIRD or GoBGP) to a
// router BIRD: the router must hold exactly the covering prefixes with exactly the configured standard and
// large communities and next hop, next to an RTBH route of another prefix (whose next hop stays the RTBH one);
// refusals leave the router untouched; a kill -9 of the controller and a restart keep the diversion, and so
// does a kill -9 of the daemon; a withdrawal and an expiry remove it; a withdrawing shutdown leaves nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Route } from '@bird-tools/birdc';
import type { DesiredDiversionRoute } from '../../../src/bgp/speaker.js';
import { cleanUpEverything, eventually } from '../../support/netns.js';
import { Controller, ControllerError } from './controller.js';
import { createLab, labBgpConfig, type Lab, type Router } from './lab.js';

/** One router route as comparable text: prefix, next hop, communities, large communities (each sorted). */
function unicastText(r: Route): string {
  const communities = (r.bgp?.communities ?? []).map(([a, b]) => `${a}:${b}`).sort();
  const large = (r.bgp?.largeCommunities ?? []).map((c) => c.join(':')).sort();
  return `${r.network} nh ${r.bgp?.nextHop?.[0] ?? '?'} c ${communities.join(',') || '-'} lc ${large.join(',') || '-'}`;
}

export async function unicastView(router: Router): Promise<string[]> {
  const bgpOnly = (routes: Route[]) => routes.filter((r) => r.type?.startsWith('BGP') ?? true);
  return [...bgpOnly(await router.unicast('ipv4')), ...bgpOnly(await router.unicast('ipv6'))].map(unicastText).sort();
}

export interface DiversionSuiteOptions {
  kind: 'exabgp' | 'bird' | 'gobgp';
  /** Daemon pid file (in DATADIR/bgp/KIND) to kill -9 for the daemon-crash case. */
  daemonPidFile: string;
  sessionTimeoutMs: number;
}

export function diversionSuite(options: DiversionSuiteOptions): void {
  const { kind } = options;
  let lab: Lab;
  let controller: Controller | undefined;
  let dataDir: string;

  // IPv4 goes out with next hop self (bgp.diversion.nextHopIpv4 empty), IPv6 with a configured next hop.
  const config = () => labBgpConfig(lab, kind, { diversion: { nextHopIpv6: lab.link.b.ipv6 } });
  const start = async (): Promise<Controller> => {
    controller = await Controller.start({ netns: lab.speakerNs, dataDir, bgp: config() as never });
    return controller;
  };
  const converge = async (what: string, expected: string[], withinMs = options.sessionTimeoutMs): Promise<void> => {
    const want = [...expected].sort();
    let last: string[] | undefined;
    try {
      await eventually(what, withinMs, async () => {
        last = await unicastView(lab.router);
        return JSON.stringify(last) === JSON.stringify(want) ? true : undefined;
      });
    } catch (err) {
      assert.deepEqual(last, want, `${what}: ${(err as Error).message}`);
    }
  };
  const announce = (prefix: string, communities: string[], owner = 'attack-d1', ttlSeconds = 600) =>
    controller!.call<DesiredDiversionRoute>('announceDiversion', { prefix, communities, owner, ttlSeconds });
  const refusal = async (promise: Promise<unknown>): Promise<string | undefined> => {
    try {
      await promise;
      return undefined;
    } catch (err) {
      return (err as ControllerError).code;
    }
  };

  const v4 = () => `203.0.113.0/24 nh ${lab.link.b.ipv4} c 65000:666,65010:99 lc 65010:1:2`;
  const v6 = () => `2001:db8:66::/48 nh ${lab.link.b.ipv6} c 65010:99 lc -`;
  const rtbh = () => `198.51.100.7/32 nh ${lab.link.b.ipv4} c 65535:666 lc -`;

  before(async () => {
    lab = await createLab(`div-${kind}`);
    dataDir = join(lab.dir, 'data');
  });
  after(async () => {
    await controller?.stop().catch(() => undefined);
    await lab?.router.stop().catch(() => undefined);
    cleanUpEverything();
  });

  test(`${kind}: diversions (IPv4 /24 with standard and large communities, IPv6 /48) reach the router exactly, next to an RTBH route`, async () => {
    const c = await start();
    await eventually('router session established', options.sessionTimeoutMs, async () => ((await lab.router.sessionUp('speaker')) ? true : undefined));
    const route = await announce('203.0.113.0/24', ['65010:99', '65000:666', '65010:1:2']);
    assert.equal(route.id, 'divert-203.0.113.0/24');
    assert.equal(route.kind, 'diversion');
    assert.equal(route.nextHop, '', 'IPv4: next hop self');
    assert.ok(route.expiresAt !== null && route.expiresAt > Date.now());
    const route6 = await announce('2001:DB8:66:0::/48', ['65010:99'], 'attack-d2');
    assert.equal(route6.prefix, '2001:db8:66::/48');
    assert.equal(route6.nextHop, lab.link.b.ipv6);
    await c.announceRtbh({ prefix: '198.51.100.7', owner: 'attack-r1' });
    await converge('both diversions and the RTBH route at the router', [v4(), v6(), rtbh()]);
    const held = await c.call<DesiredDiversionRoute[]>('diversionRoutes');
    assert.deepEqual(held.map((r) => r.id).sort(), ['divert-2001:db8:66::/48', 'divert-203.0.113.0/24']);
    assert.deepEqual((await c.desiredRoutes()).map((r) => r.id), ['rtbh-198.51.100.7/32'], 'desiredRoutes() stays FlowSpec and RTBH');
    const report = await c.reconcile();
    assert.deepEqual({ added: report.added, removed: report.removed, inSync: report.inSync }, { added: 0, removed: 0, inSync: true });
  });

  test(`${kind}: refusals (prefix length, host bits, communities, RTBH on the same prefix) change nothing`, async () => {
    assert.equal(await refusal(announce('10.0.0.0/7', ['65010:99'])), 'BW_ERR_BGP_DIVERSION_PREFIX');
    assert.equal(await refusal(announce('2001:db8::/15', ['65010:99'])), 'BW_ERR_BGP_DIVERSION_PREFIX');
    assert.equal(await refusal(announce('203.0.113.1/24', ['65010:99'])), 'BW_ERR_BGP_DIVERSION_PREFIX');
    assert.equal(await refusal(announce('198.51.100.0/24', ['65536:1'])), 'BW_ERR_BGP_COMMUNITY');
    assert.equal(await refusal(announce('198.51.100.0/24', [])), 'BW_ERR_BGP_COMMUNITY');
    assert.equal(await refusal(announce('198.51.100.7/32', ['65010:99'])), 'BW_ERR_BGP_ROUTE_CONFLICT');
    assert.equal(await refusal(controller!.announceRtbh({ prefix: '203.0.113.0/24', owner: 'x' })), 'BW_ERR_BGP_RTBH_PREFIX');
    await converge('the router unchanged', [v4(), v6(), rtbh()], 5_000);
  });

  test(`${kind}: after kill -9 of the controller a restart keeps the diversions (desired state survives)`, async () => {
    await controller!.kill9();
    await start();
    await converge('the same routes under the new controller', [v4(), v6(), rtbh()]);
    const held = await controller!.call<DesiredDiversionRoute[]>('diversionRoutes');
    assert.deepEqual(held.map((r) => `${r.id} ${r.owner} ${[...r.communities].sort().join(',')}`).sort(), [
      'divert-2001:db8:66::/48 attack-d2 65010:99',
      'divert-203.0.113.0/24 attack-d1 65000:666,65010:1:2,65010:99',
    ]);
  });

  test(`${kind}: after kill -9 of the daemon it is restarted and the router gets the diversions back`, async () => {
    const pidFile = join(dataDir, 'bgp', kind, options.daemonPidFile);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGKILL');
    await eventually('the router to see the session drop', 10_000, async () => ((await lab.router.sessionUp('speaker')) ? undefined : true), 5);
    await eventually('a new daemon pid', 15_000, () => (Number(readFileSync(pidFile, 'utf8')) !== pid ? true : undefined));
    await converge('the router back to exactly the desired state', [v4(), v6(), rtbh()]);
  });

  test(`${kind}: withdrawing a diversion removes exactly it; a diversion withdrawn by owner and one that expires go too`, async () => {
    const c = controller!;
    assert.equal(await c.call<boolean>('withdrawDiversion', 'divert-203.0.113.0/24'), true);
    assert.equal(await c.call<boolean>('withdrawDiversion', 'divert-203.0.113.0/24'), false);
    await converge('the IPv4 diversion gone', [v6(), rtbh()], 10_000);
    assert.equal(await c.call<number>('withdrawOwner', 'attack-d2'), 1);
    await converge('the IPv6 diversion gone', [rtbh()], 10_000);
    await announce('192.0.2.0/24', ['65010:7'], 'attack-ttl', 1);
    await converge('a 1 s diversion present', [rtbh(), `192.0.2.0/24 nh ${lab.link.b.ipv4} c 65010:7 lc -`], 5_000);
    await converge('and withdrawn when it expires', [rtbh()], 8_000);
    assert.deepEqual(await c.call('diversionRoutes'), []);
  });

  test(`${kind}: a withdrawing shutdown takes diversions with it`, async () => {
    await announce('203.0.113.0/24', ['65010:99', '65000:666', '65010:1:2']);
    await converge('the diversion back', [v4(), rtbh()], 10_000);
    await controller!.stop();
    controller = undefined;
    await converge('router empty after shutdown', [], 10_000);
  });
}
