// Tier 4 with the BGP diversion-community provider, end to end against a real router: the engine (in its own
// process, in the speaker's network namespace, on a fake clock) runs @breakwater/tier-scrubbing from source
// through a real BIRD speaker peered with a router BIRD in another namespace. attack.started diverts the
// victim's covering prefix (IPv4 /24, IPv6 /48) with exactly the configured standard and large communities;
// a victim whose covering prefix overlaps a protected prefix is refused before the tier runs; a kill -9 of the
// engine resumes without announcing again; attack.ended steps down and withdraws; a restart with
// mitigation.stopAll withdraws what is left. The router's own tables are read with @bird-tools/birdc and the
// audit trail is checked at each step.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AttackRecord } from '@breakwater/sdk';
import { sampleAttack } from '@breakwater/sdk/testing';
import type { AuditRecord } from '../../src/audit/audit-store.js';
import type { BgpPeerConfig } from '../../src/config/schema.js';
import type { MitigationSummary } from '../../src/mitigation/mitigation-views.js';
import { ROUTER_ASN, SPEAKER_ASN, startRouter, type Router } from '../bgp/helpers/lab.js';
import { cleanUpEverything, commandMissing, createNetns, eventually, linkNetns, makeTempDir, netnsUnavailableReason, type VethLink } from '../support/netns.js';
import { unicastView } from '../bgp/helpers/diversion-suite.js';
import { EngineProcess } from './support/engine-process.js';

const skip = netnsUnavailableReason() ?? commandMissing('/usr/sbin/bird');
const SESSION_MS = 20_000;
const COMMUNITIES = ['65010:99', '65000:666', '65010:1:2'];

describe('Tier 4 bgp-community provider through a BIRD speaker to a router BIRD', { skip, concurrency: 1 }, () => {
  let router: Router;
  let link: VethLink;
  let speakerNs: string;
  let dataDir: string;
  let engine: EngineProcess | undefined;
  let now = Math.floor(Date.now() / 1000) * 1000;

  const v4 = sampleAttack({ id: 'scrub-v4', startedAt: now, updatedAt: now });
  const v6: AttackRecord = sampleAttack({ id: 'scrub-v6', target: '2001:db8:66::10', ipVersion: 6, startedAt: now, updatedAt: now });
  const guarded: AttackRecord = sampleAttack({ id: 'scrub-protected', target: '198.51.100.200', startedAt: now, updatedAt: now });
  const route4 = () => `203.0.113.0/24 nh ${link.b.ipv4} c 65000:666,65010:99 lc 65010:1:2`;
  const route6 = () => `2001:db8:66::/48 nh ${link.b.ipv6} c 65000:666,65010:99 lc 65010:1:2`;

  const config = (options: { stopAll?: boolean } = {}) => {
    const peer: BgpPeerConfig = { name: 'r1', address: link.a.ipv4, asn: ROUTER_ASN, families: ['ipv4-unicast', 'ipv6-unicast'], profile: 'bird' };
    return {
      bgp: {
        speaker: 'bird',
        localAsn: SPEAKER_ASN,
        localAddress: link.b.ipv4,
        routerId: '198.18.0.2',
        peers: [peer],
        rtbh: { nextHopIpv4: link.b.ipv4, nextHopIpv6: link.b.ipv6 },
        diversion: { nextHopIpv6: link.b.ipv6 },
        reconcileIntervalMs: 1000,
        shutdown: 'retain',
      },
      mitigation: {
        mode: 'auto',
        verifyIntervalSeconds: 30,
        stopAll: options.stopAll ?? false,
        guardrails: { protectedPrefixes: ['198.51.100.0/25'] },
      },
      runbooks: [
        {
          name: 'scrub',
          stages: [{ name: 'scrub', tier: '@breakwater/tier-scrubbing', settings: { provider: 'bgp-community' }, maxLifetimeSeconds: 3600 }],
          escalation: { afterSeconds: 0 },
          deescalation: { quietSeconds: 60, steps: 'one' },
        },
      ],
    };
  };
  const TIERS = [{ folder: 'tier-scrubbing', config: { bgpCommunity: { communities: COMMUNITIES } } }];
  const startEngine = async (options: { stopAll?: boolean } = {}) => {
    engine = await EngineProcess.start({ netns: speakerNs, dataDir, config: config(options), tiers: TIERS, now });
    return engine;
  };
  const advance = async (ms: number) => {
    const r = await engine!.call<{ now: number; mitigations: MitigationSummary[] }>('advance', { ms, stepMs: 5_000 });
    now = r.now;
    return r.mitigations;
  };
  const converge = async (what: string, expected: string[], withinMs = 10_000) => {
    const want = [...expected].sort();
    let last: string[] | undefined;
    try {
      await eventually(what, withinMs, async () => {
        last = await unicastView(router);
        return JSON.stringify(last) === JSON.stringify(want) ? true : undefined;
      });
    } catch (err) {
      assert.deepEqual(last, want, `${what}: ${(err as Error).message}`);
    }
  };
  const audit = (action: string) => engine!.call<AuditRecord[]>('audit', { action });

  before(async () => {
    const dir = makeTempDir('scrub');
    dataDir = join(dir, 'data');
    const routerNs = createNetns('scrub', 'router');
    speakerNs = createNetns('scrub', 'speaker');
    link = linkNetns(routerNs, speakerNs, 1);
    router = await startRouter(routerNs, dir, '198.18.0.1', [{ name: 'speaker', address: link.b.ipv4, local: link.a.ipv4, asn: SPEAKER_ASN }]);
  });

  after(async () => {
    await engine?.stop().catch(() => undefined);
    await router?.stop().catch(() => undefined);
    cleanUpEverything();
  });

  test('attack.started: the covering /24 and /48 reach the router with exactly the configured communities; a protected one is refused', async () => {
    const e = await startEngine();
    await eventually('the router session', SESSION_MS, async () => ((await router.sessionUp('speaker')) ? true : undefined));
    await e.call('publish', { event: { type: 'attack.started', attack: v4 } });
    await e.call('publish', { event: { type: 'attack.started', attack: v6 } });
    await e.call('publish', { event: { type: 'attack.started', attack: guarded } });
    await converge('both diversions at the router, nothing for the protected victim', [route4(), route6()]);
    const list = await e.call<MitigationSummary[]>('list');
    const status = (id: string) => list.find((m) => m.id === id)?.stages.map((s) => s.status).join(',');
    assert.equal(status('scrub-v4'), 'engaged');
    assert.equal(status('scrub-v6'), 'engaged');
    assert.notEqual(status('scrub-protected'), 'engaged');
    const applied = await audit('action.applied');
    assert.deepEqual(
      applied.map((r) => `${r.attackId} ${r.tier} ${r.resource} ${(r.detail as { kind?: string }).kind}`).sort(),
      ['scrub-v4 @breakwater/tier-scrubbing divert-203.0.113.0/24 diversion', 'scrub-v6 @breakwater/tier-scrubbing divert-2001:db8:66::/48 diversion'],
    );
    const detail = (id: string) => applied.find((r) => r.attackId === id)!.detail as { communities?: string[]; nextHop?: string };
    assert.deepEqual(detail('scrub-v4').communities, COMMUNITIES);
    assert.equal(detail('scrub-v4').nextHop, 'self');
    assert.equal(detail('scrub-v6').nextHop, link.b.ipv6);
    const refused = (await audit('stage.refused')).filter((r) => r.attackId === 'scrub-protected');
    assert.equal(refused.length, 1, 'the protected victim\'s stage is refused and audited');
    assert.match(JSON.stringify(refused[0]), /BW_ERR_MITIGATION_PROTECTED/);
  });

  test('kill -9 of the engine: a new one resumes the engaged stages, announces nothing again, the router keeps both', async () => {
    const applied = (await audit('action.applied')).length;
    await engine!.kill9();
    const e = await startEngine();
    const resumed = await e.call<MitigationSummary[]>('list');
    assert.deepEqual(resumed.filter((m) => m.id !== 'scrub-protected').map((m) => `${m.id} ${m.stages.map((s) => s.status).join(',')}`).sort(), ['scrub-v4 engaged', 'scrub-v6 engaged']);
    assert.equal((await audit('action.applied')).length, applied, 'nothing announced again');
    await converge('the router holds the same diversions', [route4(), route6()]);
  });

  test('attack.ended: after the quiet period the stage steps down and the diversion is withdrawn', async () => {
    const e = engine!;
    await e.call('publish', { event: { type: 'attack.ended', attack: { ...v6, endedAt: now }, reason: 'quiet' } });
    await advance(65_000);
    await converge('the /48 withdrawn, the /24 kept', [route4()]);
    const removed = await audit('action.removed');
    assert.deepEqual(removed.map((r) => `${r.attackId} ${r.resource}`), ['scrub-v6 divert-2001:db8:66::/48']);
    assert.match(removed[0]!.reason ?? '', /withdrawn by @breakwater\/tier-scrubbing/);
    assert.ok((await audit('stage.disengaged')).some((r) => r.attackId === 'scrub-v6'));
  });

  test('stop-all (mitigation.stopAll at start) withdraws the remaining diversion', async () => {
    await engine!.stop();
    await converge('shutdown "retain" keeps the diversion at the router', [route4()], 5_000);
    const e = await startEngine({ stopAll: true });
    await converge('the /24 withdrawn by stop-all', []);
    assert.ok((await audit('stop-all')).length >= 1, 'stop-all is audited');
    const removed = (await e.call<AuditRecord[]>('audit', { action: 'action.removed' })).filter((r) => r.resource === 'divert-203.0.113.0/24');
    assert.equal(removed.length, 1);
  });
});
