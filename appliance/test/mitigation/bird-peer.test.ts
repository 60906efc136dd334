// Tiers 2 and 3 end to end against a real router: the engine (in its own process, in the speaker's network
// namespace) runs the first-party FlowSpec and RTBH tiers through a real BIRD speaker peered with a router
// BIRD in another namespace; the router's own tables, read with @bird-tools/birdc, must equal exactly what
// the runbook says at each step — FlowSpec discard of the signature (IPv4 and IPv6), then the victim /32 with
// 65535:666 and the tier's community, then one step down at a time to nothing. In the middle, the engine is
// killed with SIGKILL and a new one resumes: same stage, nothing announced again, no orphan.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AttackRecord } from '@breakwater/sdk';
import { sampleAttack } from '@breakwater/sdk/testing';
import type { AuditRecord } from '../../src/audit/audit-store.js';
import type { BgpPeerConfig } from '../../src/config/schema.js';
import type { MitigationSummary } from '../../src/mitigation/mitigation-views.js';
import { ROUTER_ASN, SPEAKER_ASN, startRouter, type Router } from '../bgp/helpers/lab.js';
import { flowEntry, routerView, type RouterView } from '../bgp/helpers/router-view.js';
import { cleanUpEverything, commandMissing, createNetns, eventually, linkNetns, makeTempDir, netnsUnavailableReason, type VethLink } from '../support/netns.js';
import { EngineProcess } from './support/engine-process.js';

const skip = netnsUnavailableReason() ?? commandMissing('/usr/sbin/bird');
const DISCARD = '(generic, 0x80060000, 0x0)';
const SESSION_MS = 20_000;

describe('Tiers 2 and 3 through a BIRD speaker to a router BIRD', { skip, concurrency: 1 }, () => {
  let router: Router;
  let link: VethLink;
  let speakerNs: string;
  let dataDir: string;
  let engine: EngineProcess | undefined;
  let now = Math.floor(Date.now() / 1000) * 1000;

  const v4 = sampleAttack({ id: 'bird-v4', startedAt: now, updatedAt: now });
  const v6: AttackRecord = sampleAttack({
    id: 'bird-v6',
    target: '2001:db8:66::10',
    ipVersion: 6,
    vector: 'dns_amplification',
    startedAt: now,
    updatedAt: now,
    signature: { ...sampleAttack().signature, match: { destination: { prefix: '2001:db8:66::10/128' }, protocol: [[{ op: '=', value: 17 }]], sourcePort: [[{ op: '=', value: 53 }]] } },
  });
  const flow4 = flowEntry({ family: 'ipv4', match: v4.signature.match, actions: [{ type: 'discard' }] }, [DISCARD]);
  const flow6 = flowEntry({ family: 'ipv6', match: v6.signature.match, actions: [{ type: 'discard' }] }, [DISCARD]);
  const rtbh4 = '203.0.113.10/32 blackhole 65010:666 65535:666';

  const config = () => {
    const peer: BgpPeerConfig = { name: 'r1', address: link.a.ipv4, asn: ROUTER_ASN, families: ['ipv4-unicast', 'ipv6-unicast', 'ipv4-flowspec', 'ipv6-flowspec'], profile: 'bird' };
    return {
      bgp: { speaker: 'bird', localAsn: SPEAKER_ASN, localAddress: link.b.ipv4, routerId: '198.18.0.2', peers: [peer], rtbh: { nextHopIpv4: link.b.ipv4, nextHopIpv6: link.b.ipv6 }, reconcileIntervalMs: 1000, shutdown: 'withdraw' },
      mitigation: { mode: 'auto', verifyIntervalSeconds: 30 },
      runbooks: [
        {
          name: 'edge',
          stages: [
            { name: 'flowspec', tier: '@breakwater/tier-flowspec', settings: { action: 'discard' } },
            { name: 'rtbh', tier: '@breakwater/tier-rtbh' },
          ],
          escalation: { afterSeconds: 60 },
          deescalation: { quietSeconds: 60, steps: 'one' },
        },
      ],
    };
  };
  const TIERS = [{ folder: 'tier-flowspec' }, { folder: 'tier-rtbh', config: { communities: ['65010:666'] } }];
  const startEngine = async () => {
    engine = await EngineProcess.start({ netns: speakerNs, dataDir, config: config(), tiers: TIERS, now });
    return engine;
  };
  const advance = async (ms: number) => {
    const r = await engine!.call<{ now: number; mitigations: MitigationSummary[] }>('advance', { ms, stepMs: 5_000 });
    now = r.now;
    return r.mitigations;
  };
  /** The router's tables with each RTBH route's communities sorted, so the order BIRD keeps does not matter. */
  const view = async (): Promise<RouterView> => {
    const v = await routerView(router);
    const sortCommunities = (e: string) => {
      const [prefix, dest, ...communities] = e.split(' ');
      return [prefix, dest, ...communities.sort()].join(' ');
    };
    return { ...v, rtbh4: v.rtbh4.map(sortCommunities), rtbh6: v.rtbh6.map(sortCommunities) };
  };
  const converge = async (what: string, expected: Partial<RouterView>, withinMs = 10_000) => {
    const want: RouterView = { flow4: [], flow6: [], rtbh4: [], rtbh6: [], ...expected };
    let last: RouterView | undefined;
    try {
      await eventually(what, withinMs, async () => {
        last = await view();
        return JSON.stringify(last) === JSON.stringify(want) ? true : undefined;
      });
    } catch (err) {
      assert.deepEqual(last, want, `${what}: ${(err as Error).message}`);
    }
  };

  before(async () => {
    const dir = makeTempDir('mit');
    dataDir = join(dir, 'data');
    const routerNs = createNetns('mit', 'router');
    speakerNs = createNetns('mit', 'speaker');
    link = linkNetns(routerNs, speakerNs, 1);
    router = await startRouter(routerNs, dir, '198.18.0.1', [{ name: 'speaker', address: link.b.ipv4, local: link.a.ipv4, asn: SPEAKER_ASN }]);
  });

  after(async () => {
    await engine?.stop().catch(() => undefined);
    await router?.stop().catch(() => undefined);
    cleanUpEverything();
  });

  test('attack.started: the FlowSpec tier announces the signatures, IPv4 and IPv6, as discard rules at the router', async () => {
    const e = await startEngine();
    await eventually('the router session', SESSION_MS, async () => ((await router.sessionUp('speaker')) ? true : undefined));
    await e.call('publish', { event: { type: 'attack.started', attack: v4 } });
    await e.call('publish', { event: { type: 'attack.started', attack: v6 } });
    await converge('both FlowSpec rules at the router', { flow4: [flow4], flow6: [flow6] });
  });

  test('still active after 60 s: the RTBH tier blackholes the victim /32 with 65535:666 and its community', async () => {
    const mitigations = await advance(60_000);
    assert.deepEqual(mitigations.map((m) => `${m.id} ${m.stage}`).sort(), ['bird-v4 rtbh', 'bird-v6 rtbh']);
    // The IPv6 victim is blackholed too: its /128 with the same communities.
    await converge('RTBH added, FlowSpec kept', { flow4: [flow4], flow6: [flow6], rtbh4: [rtbh4], rtbh6: ['2001:db8:66::10/128 blackhole 65010:666 65535:666'] });
  });

  test('kill -9 of the engine mid-escalation: a new one resumes at the same stage, announces nothing again, leaves no orphan', async () => {
    const applied = (await engine!.call<AuditRecord[]>('audit', { action: 'action.applied' })).length;
    await engine!.kill9();
    const e = await startEngine();
    await eventually('the router session after the restart', SESSION_MS, async () => ((await router.sessionUp('speaker')) ? true : undefined));
    const resumed = await e.call<MitigationSummary[]>('list');
    assert.deepEqual(resumed.map((m) => `${m.id} ${m.phase} ${m.stage} ${m.stages.map((s) => s.status).join(',')}`).sort(), ['bird-v4 active rtbh engaged,engaged', 'bird-v6 active rtbh engaged,engaged']);
    assert.equal((await e.call<AuditRecord[]>('audit', { action: 'action.applied' })).length, applied, 'no tier announced anything again');
    assert.equal((await e.call<AuditRecord[]>('audit', { action: 'mitigation.resumed' })).length, 2);
    await converge('the router holds exactly the same routes', { flow4: [flow4], flow6: [flow6], rtbh4: [rtbh4], rtbh6: ['2001:db8:66::10/128 blackhole 65010:666 65535:666'] });
  });

  test('after the attacks end: one stage down per quiet period, then nothing at the router and nothing desired', async () => {
    const e = engine!;
    await e.call('publish', { event: { type: 'attack.ended', attack: { ...v4, endedAt: now }, reason: 'quiet' } });
    await e.call('publish', { event: { type: 'attack.ended', attack: { ...v6, endedAt: now }, reason: 'quiet' } });
    await advance(60_000);
    await converge('RTBH withdrawn first', { flow4: [flow4], flow6: [flow6] });
    await advance(60_000);
    await converge('then FlowSpec', {});
    assert.deepEqual(await e.call('list'), []);
    assert.deepEqual(await e.call('desired'), [], 'no orphan in the desired state');
    const removed = await e.call<AuditRecord[]>('audit', { action: 'action.removed' });
    assert.equal(removed.length, 4);
    assert.ok(removed.every((r) => /withdrawn by @breakwater\/tier-(flowspec|rtbh)/.test(r.reason ?? '')), JSON.stringify(removed.map((r) => r.reason)));
  });
});
