// One attack, told end to end in the lab: the scenario is replayed through the router while the test watches
// every place an operator would look — the appliance's audit trail (`breakwater audit --json`), the router's
// tables (@bird-tools/birdc on its socket), the victim's nftables table and counters (put there by `breakwater
// agent`), and the webhook receiver's messages — and asserts the whole story in order: detected and classified,
// Tier 1 dropping on the victim, Tier 2 FlowSpec at the router with the right match, Tier 3 RTBH for host
// targets, and everything withdrawn once the attack stops.
import assert from 'node:assert/strict';
import type { AuditRecord } from '../../../appliance/src/audit/audit-store.js';
import { after, before, test } from 'node:test';
import { cleanUpEverything, commandMissing, eventually, netnsUnavailableReason } from '../../../appliance/test/support/netns.js';
import { Lab, type RouterRoute } from '../../src/lab.js';
import { scenario, type Scenario } from '../../src/scenarios.js';

export const DISCARD = '(generic, 0x80060000, 0x0)';
/** Generous bounds for a shared 2-core machine; the lab runbook escalates every 3 s. */
const DETECT_WITHIN_MS = 5_000;
const STAGE_WITHIN_MS = 8_000;
const WITHDRAWN_WITHIN_MS = 15_000;

export interface StoryResult {
  attackId: string;
  audit: AuditRecord[];
  detectedAfterMs: number;
}

const flowTable = (v: 4 | 6): RouterRoute['table'] => (v === 4 ? 'flowtab4' : 'flowtab6');
const unicastTable = (v: 4 | 6): RouterRoute['table'] => (v === 4 ? 'master4' : 'master6');

/** The sFlow flow samples the appliance has taken in so far (its /health, read inside its namespace). */
export function flowSamplesReceived(lab: Lab): number {
  const health = lab.applianceHealth();
  let total = 0;
  const walk = (o: unknown): void => {
    if (o === null || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o)) {
      if (k === 'flowSamples' && typeof v === 'number') total = Math.max(total, v);
      else walk(v);
    }
  };
  walk(health);
  return total;
}

export async function attackStory(lab: Lab, name: string): Promise<StoryResult> {
  const s: Scenario = scenario(name);
  const want = s.expect;
  assert.ok(want, `${name} is not an attack scenario`);
  const startedAt = Date.now();
  const replaying = lab.replay(name);
  replaying.catch(() => undefined);

  // 1. Detected and classified: the audit trail's attack.detected names the vector and the target.
  const detected = await eventually(`${name}: attack.detected in the audit trail`, DETECT_WITHIN_MS + 5_000, async () => {
    const d = (await lab.audit(['--action', 'attack.detected'])).find((r) => r.at >= startedAt - 1000);
    return d;
  }, 200);
  const attackId = detected.attackId!;
  assert.equal(detected.target, want.target, `${name}: target`);
  const vector = (detected.detail as { attack?: { vector?: string } } | undefined)?.attack?.vector ?? (detected.detail as { vector?: string } | undefined)?.vector;
  // pino writes asynchronously: the line may come a little after the audit entry.
  const started = await eventually(`${name}: the appliance to log the attack`, 10_000, () => lab.log().find((r) => /^attack started: /.test(r.msg) && r.msg.endsWith(` on ${want.target}`)), 100);
  assert.equal(started.msg, `attack started: ${want.vector} on ${want.target}`, `${name}: classified as ${want.vector}`);
  if (vector !== undefined) assert.equal(vector, want.vector);
  const detectedAfterMs = detected.at - startedAt;

  // 2. Tier 1 on the victim: the agent's nftables rule for the target, dropping the attack's packets — or, for a
  //    signature nftables cannot express, the stage refused with the reason and the runbook moving on.
  const dst = want.target.includes('/') ? want.target.split('/')[0]! : want.target;
  if ((want.tier1 ?? 'drops') === 'drops') {
    const nft = await eventually(`${name}: the agent's rule dropping packets on the victim`, STAGE_WITHIN_MS, async () => {
      const state = await lab.nftRules();
      const dropped = state.counters.reduce((n, c) => n + c.packets, 0);
      return state.text.includes(`daddr ${dst}`) && dropped > 100 ? state : undefined;
    }, 200);
    assert.match(nft.text, / drop comment "bw:fw-/, `${name}: a drop rule owned by Breakwater`);
    if (want.tier1Match) assert.match(nft.text, want.tier1Match, `${name}: the Tier 1 rule's match`);
  } else {
    const failed = await eventually(`${name}: Tier 1 refused in the audit trail`, STAGE_WITHIN_MS, async () => (await lab.audit(['--attack', attackId])).find((r) => r.action === 'stage.failed' && r.stageName === 'host-filter'), 200);
    assert.match(failed.reason ?? '', /cannot express/, `${name}: why Tier 1 was refused`);
    assert.deepEqual((await lab.nftRules()).counters, [], `${name}: nothing half-installed on the victim`);
  }

  // 3. Tier 2: the FlowSpec discard rule at the router, with the signature's match.
  const flow = await eventually(`${name}: the FlowSpec rule at the router`, STAGE_WITHIN_MS, async () => (await lab.routes()).find((r) => r.table === flowTable(want.ipVersion)), 100);
  for (const part of want.flowMatch) assert.match(flow.net, part, `${name}: FlowSpec match ${flow.net}`);
  assert.deepEqual(flow.extCommunities, [DISCARD], `${name}: traffic-rate 0 (discard)`);

  // 4. Tier 3: RTBH of the host, or of the busiest hosts of a carpet-bombed block (never the block itself).
  const rtbh = await eventually(`${name}: RTBH at the router`, STAGE_WITHIN_MS, async () => {
    const routes = (await lab.routes()).filter((r) => r.table === unicastTable(want.ipVersion));
    return routes.length > 0 ? routes : undefined;
  }, 100);
  for (const route of rtbh) {
    if ('host' in want.rtbh) assert.equal(route.net, want.rtbh.host, `${name}: the victim's host route`);
    else assert.ok(route.net.startsWith(want.rtbh.hostsInside) && route.net.endsWith('/32'), `${name}: a host route inside the block: ${route.net}`);
    assert.equal(route.dest, 'blackhole');
    assert.ok(route.communities.includes('65535:666'), `${name}: BLACKHOLE community on ${JSON.stringify(route)}`);
  }

  // 5. The attack stops: everything is withdrawn, at the router and on the victim.
  const replayed = await replaying;
  assert.ok(replayed.packets >= s.phases.reduce((n, p) => n + p.pps * p.seconds, 0) * 0.99, `${name}: tcpreplay sent the scenario`);
  await eventually(`${name}: every route withdrawn at the router`, WITHDRAWN_WITHIN_MS, async () => ((await lab.routes()).length === 0 ? true : undefined), 200);
  await eventually(`${name}: the agent's rules removed on the victim`, WITHDRAWN_WITHIN_MS, async () => ((await lab.nftRules()).counters.length === 0 ? true : undefined), 200);
  const audit = await eventually(`${name}: mitigation.ended in the audit trail`, WITHDRAWN_WITHIN_MS, async () => {
    const a = await lab.audit(['--attack', attackId]);
    return a.some((r) => r.action === 'mitigation.ended') ? a : undefined;
  }, 200);
  return { attackId, audit, detectedAfterMs };
}

/** The audit trail tells the whole story, in order. */
export function assertAuditStory(name: string, audit: readonly AuditRecord[], tier1: 'drops' | 'refused' = 'drops'): void {
  const line = (r: AuditRecord): string => `${r.action}${r.stageName ? ` ${r.stageName}` : ''}`;
  const story = audit.map(line);
  const at = (entry: string): number => {
    const i = story.indexOf(entry);
    assert.ok(i >= 0, `${name}: the audit trail has "${entry}":\n${story.join('\n')}`);
    return i;
  };
  const tier1Engaged = tier1 === 'drops' ? 'stage.engaged host-filter' : 'stage.failed host-filter';
  const order = ['attack.detected', tier1Engaged, 'stage.engaged flowspec', 'stage.engaged rtbh', 'attack.ended', 'stage.disengaged rtbh', 'stage.disengaged flowspec', ...(tier1 === 'drops' ? ['stage.disengaged host-filter'] : []), 'mitigation.ended'];
  const positions = order.map(at);
  // Engaged in runbook order before the attack ended; everything disengaged after it; the end last.
  for (let i = 1; i < 5; i++) assert.ok(positions[i - 1]! < positions[i]!, `${name}: ${order[i - 1]} before ${order[i]}:\n${story.join('\n')}`);
  assert.ok(positions.at(-1) === Math.max(...positions), `${name}: mitigation.ended comes last`);
  for (const stage of ['rtbh', 'flowspec', ...(tier1 === 'drops' ? ['host-filter'] : [])]) assert.ok(at(`stage.disengaged ${stage}`) > at('attack.ended'), `${name}: ${stage} stays until the attack ended`);
  const applied = audit.filter((r) => r.action === 'action.applied').length;
  const removed = audit.filter((r) => r.action === 'action.removed').length;
  assert.equal(removed, applied, `${name}: every action applied was removed:\n${story.join('\n')}`);
  assert.deepEqual(story.filter((s) => s.startsWith('stage.failed')), tier1 === 'drops' ? [] : ['stage.failed host-filter'], `${name}: which stages failed:\n${story.join('\n')}`);
}

/** The notifier told the story too: signed posts for detection, each engaged tier, escalation and the end. */
export function assertNotified(name: string, lab: Lab, target: string, tiers: number): void {
  const mine = lab.webhookMessages().filter((m) => m.body.event.attack?.target === target || m.body.message.title.includes(target));
  const types = mine.map((m) => m.body.event.type);
  assert.ok(types.includes('attack.detected'), `${name}: attack.detected notified: ${types.join(', ')}`);
  assert.ok(types.filter((t) => t === 'tier.engaged').length >= tiers, `${name}: ${tiers} tiers engaged notified: ${types.join(', ')}`);
  assert.ok(types.includes('attack.escalated'), `${name}: escalation notified: ${types.join(', ')}`);
  assert.ok(types.includes('attack.ended'), `${name}: the end notified: ${types.join(', ')}`);
  assert.ok(types.indexOf('attack.detected') < types.indexOf('attack.ended'));
  for (const m of mine) assert.ok(Object.keys(m.headers).some((h) => h.includes('signature')), `${name}: signed post: ${JSON.stringify(m.headers)}`);
}

/** Why the lab cannot run here, or undefined. */
export function labUnavailable(): string | undefined {
  return netnsUnavailableReason() ?? commandMissing('/usr/sbin/bird', '/usr/sbin/pmacctd', '/usr/bin/tcpreplay', '/usr/sbin/nft', '/usr/bin/openssl');
}

/**
 * The test file of one vector family: one lab for the file, one attack through it, the whole story asserted.
 */
export function vectorFamilyTest(scenarioName: string, title: string): void {
  const skip = labUnavailable();
  const want = scenario(scenarioName).expect!;
  let lab: Lab | undefined;
  before(async () => {
    if (skip) return;
    lab = await Lab.start({ label: scenarioName.slice(0, 6) });
  });
  after(async () => {
    await lab?.stop();
    cleanUpEverything();
  });
  test(title, { skip, timeout: 150_000 }, async () => {
    const story = await attackStory(lab!, scenarioName);
    assertAuditStory(scenarioName, story.audit, want.tier1);
    assertNotified(scenarioName, lab!, want.target, want.tier1 === 'refused' ? 2 : 3);
  });
}
