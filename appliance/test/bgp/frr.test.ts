// FRR 8.4: (1) as the RTBH speaker (zebra + staticd + bgpd run by Breakwater, tagged Null0 static routes
// redistributed through route-maps), peered with a router BIRD — FlowSpec requests are refused with
// BW_ERR_SPEAKER_NO_FLOWSPEC; (2) as a FlowSpec RECEIVER: ExaBGP (through Breakwater) announces a rule to
// an FRR bgpd and the rule shows in `show bgp ipv4 flowspec detail`.
import assert from 'node:assert/strict';
import { chownSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { frrRunDir } from '../../src/bgp/frr/frr-daemon.js';
import type { DesiredRoute } from '../../src/bgp/speaker.js';
import { eq } from '../../src/flowspec/numeric-match.js';
import { cleanUpEverything, commandMissing, createNetns, eventually, linkNetns, makeTempDir, netnsUnavailableReason, spawnOwned } from '../support/netns.js';
import { Controller, ControllerError } from './helpers/controller.js';
import { createLab, labBgpConfig, ROUTER_ASN, SPEAKER_ASN, type Lab } from './helpers/lab.js';
import { expectedView, routerView, rtbhEntry, type RouterView } from './helpers/router-view.js';
import { RULES } from './helpers/speaker-suite.js';

const FRR = '/usr/lib/frr';
const skip = netnsUnavailableReason() ?? commandMissing(`${FRR}/zebra`, `${FRR}/staticd`, `${FRR}/bgpd`, '/usr/bin/vtysh', '/usr/sbin/bird');
const COMMUNITIES = ['65535:666'];

describe('FRR as the RTBH speaker against a router BIRD', { skip, concurrency: 1 }, () => {
  let lab: Lab;
  let dataDir: string;
  let controller: Controller | undefined;
  const start = async (): Promise<Controller> => {
    const peer = { ...lab.peer, families: ['ipv4-unicast', 'ipv6-unicast'], profile: 'frr-receiver' };
    controller = await Controller.start({ netns: lab.speakerNs, dataDir, bgp: labBgpConfig(lab, 'frr', { peers: [peer] }) as never });
    return controller;
  };
  const converge = async (what: string, expected: RouterView, withinMs = 20_000): Promise<void> => {
    let last: RouterView | undefined;
    try {
      await eventually(what, withinMs, async () => {
        last = await routerView(lab.router);
        return JSON.stringify(last) === JSON.stringify(expected) ? true : undefined;
      });
    } catch (err) {
      assert.deepEqual(last, expected, `${what}: ${(err as Error).message}`);
    }
  };
  const steady = expectedView({ rtbh4: [rtbhEntry('203.0.113.60/32', COMMUNITIES)], rtbh6: [rtbhEntry('2001:db8:66::60/128', COMMUNITIES)] });

  before(async () => {
    lab = await createLab('frr', { password: 'bw-md5-test' });
    dataDir = join(lab.dir, 'data');
  });
  after(async () => {
    await controller?.stop().catch(() => undefined);
    await lab?.router.stop().catch(() => undefined);
    cleanUpEverything();
    if (dataDir !== undefined) rmSync(frrRunDir(join(dataDir, 'bgp', 'frr')), { recursive: true, force: true });
  });

  test('frr: session comes up; RTBH IPv4 and IPv6 reach the router with 65535:666', async () => {
    const c = await start();
    await eventually('router session established', 20_000, async () => ((await lab.router.sessionUp('speaker')) ? true : undefined));
    await c.announceRtbh({ prefix: '203.0.113.60/32', owner: 'attack-1' });
    await c.announceRtbh({ prefix: '2001:db8:66::60', owner: 'attack-1' });
    await c.announceRtbh({ prefix: '203.0.113.61/32', owner: 'attack-2', communities: ['65535:666', '65010:7'] });
    await converge('RTBH routes at the router', expectedView({ ...steady, rtbh4: [...steady.rtbh4, rtbhEntry('203.0.113.61/32', ['65010:7', '65535:666'])] }));
    const peers = await c.peers();
    assert.equal(peers[0]!.state, 'established');
  });

  test('frr: a FlowSpec announcement is refused with BW_ERR_SPEAKER_NO_FLOWSPEC and nothing is recorded', async () => {
    const c = controller!;
    await assert.rejects(c.announceFlow({ rule: RULES.dns, owner: 'attack-3' }), (err: ControllerError) => err.code === 'BW_ERR_SPEAKER_NO_FLOWSPEC');
    assert.equal((await c.desiredRoutes()).some((r) => r.kind === 'flowspec'), false);
  });

  test('frr: withdrawing an owner removes its routes', async () => {
    const c = controller!;
    assert.equal(await c.call<number>('withdrawOwner', 'attack-2'), 1);
    await converge('attack-2 route gone', steady);
  });

  test('frr: after kill -9 of the controller and an orphan left behind, a restart converges', async () => {
    const c = controller!;
    await c.announceRtbh({ prefix: '203.0.113.62', owner: 'attack-9' });
    await converge('extra RTBH route present', expectedView({ ...steady, rtbh4: [...steady.rtbh4, rtbhEntry('203.0.113.62/32', COMMUNITIES)] }));
    await c.kill9();
    const file = join(dataDir, 'bgp', 'desired-routes.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { routes: DesiredRoute[] };
    doc.routes = doc.routes.filter((r) => r.owner !== 'attack-9');
    writeFileSync(file, JSON.stringify(doc));
    await start();
    await converge('router back to exactly the desired state', steady);
  });

  test('frr: after kill -9 of staticd, its routes are put back', async () => {
    const pidFile = join(frrRunDir(join(dataDir, 'bgp', 'frr')), 'staticd.pid');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGKILL');
    await eventually('a new staticd', 15_000, () => (Number(readFileSync(pidFile, 'utf8')) !== pid ? true : undefined));
    await converge('router has the desired state after the staticd crash', steady);
    const report = await controller!.reconcile();
    assert.equal(report.inSync, true);
  });

  test('frr: stopping with shutdown "withdraw" leaves the router with nothing', async () => {
    await controller!.stop();
    controller = undefined;
    await converge('router empty', expectedView({}), 10_000);
  });
});

describe('FRR as a FlowSpec receiver of an ExaBGP speaker', { skip: skip ?? commandMissing('/usr/sbin/exabgp'), concurrency: 1 }, () => {
  let dir: string;
  let controller: Controller | undefined;
  let vty: string;
  let speakerNs: string;

  before(() => {
    dir = makeTempDir('bgp-frr-rx');
    const routerNs = createNetns('bgp-frrrx', 'router');
    speakerNs = createNetns('bgp-frrrx', 'speaker');
    const link = linkNetns(routerNs, speakerNs, 2);
    vty = join(dir, 'frr');
    execFileSync('mkdir', ['-p', vty]);
    writeFileSync(
      join(vty, 'bgpd.conf'),
      [
        'frr defaults traditional',
        'hostname frr-router',
        `router bgp ${ROUTER_ASN}`,
        ' bgp router-id 198.18.0.1',
        ' no bgp ebgp-requires-policy',
        ` neighbor ${link.b.ipv4} remote-as ${SPEAKER_ASN}`,
        ` neighbor ${link.b.ipv4} timers connect 1`,
        ' address-family ipv4 flowspec',
        `  neighbor ${link.b.ipv4} activate`,
        ' exit-address-family',
        '',
      ].join('\n'),
    );
    const frr = Number(execFileSync('id', ['-u', 'frr'], { encoding: 'utf8' }));
    const frrGroup = Number(execFileSync('id', ['-g', 'frr'], { encoding: 'utf8' }));
    for (const p of [dir, vty, join(vty, 'bgpd.conf')]) chownSync(p, frr, frrGroup);
    // bgpd alone (-Z, no zebra): it receives and shows FlowSpec; installing it into the kernel is not tested.
    spawnOwned(`${FRR}/bgpd`, ['-Z', '-u', 'frr', '-g', 'frr', '-f', join(vty, 'bgpd.conf'), '-i', join(vty, 'bgpd.frr-pid'), '--vty_socket', vty, '-P', '0'], { netns: routerNs });
    controllerConfig = {
      speaker: 'exabgp',
      localAsn: SPEAKER_ASN,
      localAddress: link.b.ipv4,
      peers: [{ name: 'frr', address: link.a.ipv4, asn: ROUTER_ASN, families: ['ipv4-flowspec'], profile: 'frr-receiver' }],
      reconcileIntervalMs: 1000,
    };
  });
  let controllerConfig: Record<string, unknown>;
  after(async () => {
    await controller?.stop().catch(() => undefined);
    cleanUpEverything();
  });

  test('frr receiver: a rule announced through ExaBGP shows in `show bgp ipv4 flowspec detail`', async () => {
    controller = await Controller.start({ netns: speakerNs, dataDir: join(dir, 'data'), bgp: controllerConfig as never });
    const rule = { family: 'ipv4' as const, match: { destination: { prefix: '203.0.113.70/32' }, protocol: eq(17), sourcePort: eq(53) }, actions: [{ type: 'discard' as const }] };
    await controller.announceFlow({ rule, owner: 'attack-frr' });
    const detail = await eventually('the rule in FRR', 20_000, () => {
      const text = execFileSync('vtysh', ['--vty_socket', vty, '-c', 'show bgp ipv4 flowspec detail'], { encoding: 'utf8' });
      return text.includes('203.0.113.70/32') ? text : undefined;
    });
    assert.match(detail, /Destination Address 203\.0\.113\.70\/32/);
    assert.match(detail, /IP Protocol = 17/);
    assert.match(detail, /Source Port = 53/);
    assert.match(detail, /FS:rate 0\.000000/);
    // The refusal path of the frr-receiver profile: rate-limit is not enforced by FRR, so it is refused.
    await assert.rejects(
      controller.announceFlow({ rule: { ...rule, match: { ...rule.match, destination: { prefix: '203.0.113.71/32' } }, actions: [{ type: 'rate-limit', bytesPerSecond: 1000 }] }, owner: 'attack-frr' }),
      (err: ControllerError) => err.code === 'BW_ERR_FLOWSPEC_PROFILE_REFUSED',
    );
    await controller.withdrawFlow((await controller.desiredRoutes())[0]!.id);
    await eventually('the rule gone from FRR', 10_000, () => {
      const text = execFileSync('vtysh', ['--vty_socket', vty, '-c', 'show bgp ipv4 flowspec detail'], { encoding: 'utf8' });
      return text.includes('203.0.113.70/32') ? undefined : true;
    });
  });
});
