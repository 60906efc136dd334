// The integration suite every FlowSpec-capable speaker (ExaBGP, BIRD, GoBGP) runs against the same router:
// announce and withdraw FlowSpec (IPv4 and IPv6) and RTBH (IPv4 and IPv6), then the failure cases of the
// desired state — controller kill -9 with an orphan left behind, daemon kill -9, a session flap, expiry —
// and a withdrawing shutdown. Every step waits (polling with a deadline) until the router's own tables equal
// EXACTLY the expected set.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { eq } from '../../../src/flowspec/numeric-match.js';
import type { FlowSpecRule } from '../../../src/flowspec/rule.js';
import type { DesiredRoute } from '../../../src/bgp/speaker.js';
import { cleanUpEverything, eventually } from '../../support/netns.js';
import { Controller } from './controller.js';
import { createLab, labBgpConfig, type Lab } from './lab.js';
import { expectedView, flowEntry, routerView, rtbhEntry, type RouterView } from './router-view.js';

const DISCARD = '(generic, 0x80060000, 0x0)';
const RTBH_COMMUNITIES = ['65535:666'];

export const RULES = {
  dns: { family: 'ipv4', match: { destination: { prefix: '203.0.113.10/32' }, protocol: eq(17), sourcePort: eq(53), packetLength: [[{ op: '>', value: 200 }, { op: '<', value: 1500 }]] }, actions: [{ type: 'discard' }] },
  ntp: { family: 'ipv4', match: { destination: { prefix: '203.0.113.11/32' }, protocol: eq(17), sourcePort: eq(123) }, actions: [{ type: 'rate-limit', bytesPerSecond: 1000000 }] },
  syn6: { family: 'ipv6', match: { destination: { prefix: '2001:db8:66::1/128' }, protocol: eq(6), destinationPort: eq(443) }, actions: [{ type: 'discard' }] },
  expiring: { family: 'ipv4', match: { destination: { prefix: '203.0.113.12/32' }, protocol: eq(1) }, actions: [{ type: 'discard' }] },
} satisfies Record<string, FlowSpecRule>;

const NTP_RATE = '(generic, 0x80060000, 0x49742400)';

export interface SuiteOptions {
  kind: 'exabgp' | 'bird' | 'gobgp';
  /** Daemon pid file (relative to DATADIR/bgp/KIND) to kill -9 for the daemon-crash case. */
  daemonPidFile: string;
  /** Time a fresh session may take to come up (gobgpd is slow to make its first connection). */
  sessionTimeoutMs: number;
  password?: string;
  /** Speaker-specific cases, run in the same lab before the shutdown case. */
  extraTests?: (context: SuiteContext) => void;
}

export interface SuiteContext {
  lab(): Lab;
  controller(): Controller;
  dataDir(): string;
  converge(what: string, expected: RouterView, withinMs?: number): Promise<void>;
  /** The router's expected state between the failure cases. */
  steady(): RouterView;
  /** kill -9 of the controller (daemons left as they are), then a new controller on the same data directory. */
  restartAfterKill9(): Promise<Controller>;
}

export function speakerSuite(options: SuiteOptions): void {
  const { kind } = options;
  let lab: Lab;
  let controller: Controller | undefined;
  let dataDir: string;

  const start = async (overrides: Record<string, unknown> = {}): Promise<Controller> => {
    controller = await Controller.start({ netns: lab.speakerNs, dataDir, bgp: labBgpConfig(lab, kind, overrides) as never });
    return controller;
  };
  const converge = async (what: string, expected: RouterView, withinMs = options.sessionTimeoutMs): Promise<void> => {
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

  before(async () => {
    lab = await createLab(kind, { password: options.password });
    dataDir = join(lab.dir, 'data');
  });
  after(async () => {
    await controller?.stop().catch(() => undefined);
    await lab?.router.stop().catch(() => undefined);
    cleanUpEverything();
  });

  test(`${kind}: session comes up and peers() reports it established`, async () => {
    const c = await start();
    await eventually('router session established', options.sessionTimeoutMs, async () => ((await lab.router.sessionUp('speaker')) ? true : undefined));
    const peers = await eventually('speaker reports the session', 10_000, async () => {
      const p = await c.peers();
      return p[0]?.state === 'established' ? p : undefined;
    });
    assert.equal(peers[0]!.name, 'r1');
    assert.equal(peers[0]!.address, lab.peer.address);
  });

  test(`${kind}: FlowSpec IPv4/IPv6 and RTBH IPv4/IPv6 reach the router with their communities`, async () => {
    const c = controller!;
    const dns = await c.announceFlow({ rule: RULES.dns, owner: 'attack-1' });
    assert.match(dns.id, /^flow-4-[0-9a-f]{16}$/);
    await c.announceFlow({ rule: RULES.ntp, owner: 'attack-1' });
    await c.announceFlow({ rule: RULES.syn6, owner: 'attack-2' });
    const r4 = await c.announceRtbh({ prefix: '203.0.113.50', owner: 'attack-3' });
    assert.equal(r4.prefix, '203.0.113.50/32');
    await c.announceRtbh({ prefix: '2001:db8:66::50/128', owner: 'attack-3' });
    await converge('all four kinds of route at the router', expectedView({
      flow4: [flowEntry(RULES.dns, [DISCARD]), flowEntry(RULES.ntp, [NTP_RATE])],
      flow6: [flowEntry(RULES.syn6, [DISCARD])],
      rtbh4: [rtbhEntry('203.0.113.50/32', RTBH_COMMUNITIES)],
      rtbh6: [rtbhEntry('2001:db8:66::50/128', RTBH_COMMUNITIES)],
    }), 10_000);
  });

  test(`${kind}: withdrawals remove exactly the withdrawn routes`, async () => {
    const c = controller!;
    const routes = await c.desiredRoutes();
    const dns = routes.find((r) => r.kind === 'flowspec' && r.rule.match.destination.prefix === '203.0.113.10/32')!;
    assert.equal(await c.withdrawFlow(dns.id), true);
    assert.equal(await c.withdrawFlow(dns.id), false);
    assert.equal(await c.withdrawRtbh('rtbh-2001:db8:66::50/128'), true);
    await converge('withdrawn routes gone', expectedView({
      flow4: [flowEntry(RULES.ntp, [NTP_RATE])],
      flow6: [flowEntry(RULES.syn6, [DISCARD])],
      rtbh4: [rtbhEntry('203.0.113.50/32', RTBH_COMMUNITIES)],
    }), 10_000);
  });

  const steady = (): RouterView =>
    expectedView({
      flow4: [flowEntry(RULES.ntp, [NTP_RATE])],
      flow6: [flowEntry(RULES.syn6, [DISCARD])],
      rtbh4: [rtbhEntry('203.0.113.50/32', RTBH_COMMUNITIES)],
    });

  test(`${kind}: after kill -9 of the controller, a restart converges to the desired state (no orphan, nothing lost)`, async () => {
    const c = controller!;
    // An announcement whose withdrawal reaches the disk but never the daemon: the controller dies in between.
    await c.announceFlow({ rule: RULES.dns, owner: 'attack-9' });
    await converge('the extra rule is at the router', expectedView({ ...steady(), flow4: [...steady().flow4, flowEntry(RULES.dns, [DISCARD])] }), 10_000);
    await c.kill9();
    const file = join(dataDir, 'bgp', 'desired-routes.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { routes: DesiredRoute[] };
    doc.routes = doc.routes.filter((r) => r.owner !== 'attack-9');
    writeFileSync(file, JSON.stringify(doc));
    await start();
    await converge('router back to exactly the desired state', steady());
  });

  test(`${kind}: after kill -9 of the daemon, it is restarted and the router converges`, async () => {
    await converge('steady state before the crash', steady(), 5_000);
    const pid = Number(readFileSync(join(dataDir, 'bgp', kind, options.daemonPidFile), 'utf8'));
    process.kill(pid, 'SIGKILL');
    // The router must have noticed (session closed, routes dropped) for the convergence below to mean anything.
    await eventually('the router to see the session drop', 10_000, async () => ((await lab.router.sessionUp('speaker')) ? undefined : true), 5);
    await eventually('a new daemon pid', 15_000, () => {
      const now = Number(readFileSync(join(dataDir, 'bgp', kind, options.daemonPidFile), 'utf8'));
      return now !== pid ? now : undefined;
    });
    await converge('router back to exactly the desired state after the daemon crash', steady());
  });

  test(`${kind}: after a session flap the router has the desired state again`, async () => {
    await lab.router.bird.disable('speaker');
    await eventually('routes gone while the session is down', 5_000, async () => ((await routerView(lab.router)).flow6.length === 0 ? true : undefined));
    await lab.router.bird.enable('speaker');
    await converge('router back to exactly the desired state after the flap', steady());
  });

  test(`${kind}: a route with a TTL is withdrawn when it expires`, async () => {
    const c = controller!;
    const route = await c.announceFlow({ rule: RULES.expiring, owner: 'attack-ttl', ttlSeconds: 1 });
    assert.ok(route.expiresAt !== null);
    await converge('expiring rule present', expectedView({ ...steady(), flow4: [...steady().flow4, flowEntry(RULES.expiring, [DISCARD])] }), 5_000);
    await converge('expiring rule withdrawn after its TTL', steady(), 6_000);
    assert.equal((await c.desiredRoutes()).some((r) => r.owner === 'attack-ttl'), false);
  });

  test(`${kind}: shutdown "retain" leaves the daemon and its routes in place; the next start takes over`, async () => {
    await controller!.stop();
    await start({ shutdown: 'retain' });
    await converge('steady state under the retaining controller', steady());
    const pidFile = join(dataDir, 'bgp', kind, options.daemonPidFile);
    const daemon = Number(readFileSync(pidFile, 'utf8'));
    await controller!.stop();
    controller = undefined;
    // The daemon outlives the controller, and the router keeps every route.
    process.kill(daemon, 0);
    assert.deepEqual(await routerView(lab.router), steady());
    assert.equal(await lab.router.sessionUp('speaker'), true);
    await start();
    await eventually('the leftover daemon replaced', 15_000, () => (Number(readFileSync(pidFile, 'utf8')) !== daemon ? true : undefined));
    await converge('router back to exactly the desired state under the new controller', steady());
  });

  const restartAfterKill9 = async (): Promise<Controller> => {
    await controller!.kill9();
    controller = undefined;
    return start();
  };
  options.extraTests?.({ lab: () => lab, controller: () => controller!, dataDir: () => dataDir, converge, steady, restartAfterKill9 });

  test(`${kind}: stopping with shutdown "withdraw" leaves the router with nothing`, async () => {
    await controller!.stop();
    controller = undefined;
    await converge('router empty after shutdown', expectedView({}), 10_000);
  });
}
