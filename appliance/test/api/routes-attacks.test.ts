// The read side: attacks from the history (filters, one attack with its audit timeline, its rate series before and
// after the history restarts), the capture download
// byte for byte, the audit search filters, the traffic figures after real sFlow reached the appliance over
// loopback UDP, and a runbook dry run over a recorded attack.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sampleAttack } from '@breakwater/sdk/testing';
import { trafficHistoryOf } from '../../src/api/routes/traffic.js';
import { attackPcapPath } from '../../src/capture/attack-pcap-path.js';
import { SflowStream, sendSflow } from '../../src/synthetic/sflow-generator.js';
import { eventually, startRoutesHarness, type RoutesHarness } from './routes-support.js';

const T0 = Date.now() - 3_600_000;
const OLD = sampleAttack({ id: 'att-old', target: '198.18.1.10', vector: 'ntp_amplification', hostGroup: 'global', firstSampleAt: T0 - 1000, startedAt: T0, updatedAt: T0 + 400_000, endedAt: T0 + 400_000 });
const NEW = sampleAttack({ id: 'att-new', target: '198.18.2.20', vector: 'syn_flood', hostGroup: 'global', firstSampleAt: T0 + 1_800_000, startedAt: T0 + 1_800_000, updatedAt: T0 + 1_800_000 });

let h: RoutesHarness;
before(async () => {
  h = await startRoutesHarness({ yaml: 'networks: ["198.18.0.0/16"]\n' });
  h.appliance.bus.publish({ type: 'attack.started', attack: { ...OLD, endedAt: undefined } });
  h.appliance.bus.publish({ type: 'attack.ended', attack: OLD, reason: 'quiet' });
  h.appliance.bus.publish({ type: 'attack.started', attack: NEW });
  await eventually(() => h.appliance.history.get(OLD.id)?.endReason === 'quiet' && h.appliance.history.get(NEW.id) !== undefined);
  h.deps.audit.append(
    { at: T0 + 10, actor: 'engine', action: 'stage.engaged', attackId: OLD.id, target: OLD.target, resource: 'flow-4-abc', reason: 'FlowSpec discard udp src-port 123' },
    { at: T0 + 20, actor: 'user:alice', action: 'approval.granted', attackId: OLD.id, target: OLD.target },
    { at: T0 + 1_800_010, actor: 'engine', action: 'stage.failed', attackId: NEW.id, target: NEW.target, reason: 'BW_ERR_PLUGIN_TIMEOUT: slow', detail: { tier: 'scrubber-x' } },
  );
});
after(async () => h.close());

describe('attacks', () => {
  it('lists newest first, filtered by active, vector, target prefix and time', async () => {
    const all = (await h.as('viewer')('/api/v1/attacks')).json().attacks;
    assert.deepEqual(all.map((a: { attack: { id: string } }) => a.attack.id).slice(0, 2), ['att-new', 'att-old']);
    const ids = async (q: string) => (await h.as('viewer')(`/api/v1/attacks?${q}`)).json().attacks.map((a: { attack: { id: string } }) => a.attack.id);
    assert.deepEqual(await ids('active=true'), ['att-new']);
    assert.deepEqual(await ids('active=false'), ['att-old']);
    assert.deepEqual(await ids('vector=ntp_amplification'), ['att-old']);
    assert.deepEqual(await ids(`target=${encodeURIComponent('198.18.2.0/24')}`), ['att-new']);
    assert.deepEqual(await ids(`until=${T0 + 1000}`), ['att-old']);
    assert.deepEqual(await ids(`since=${T0 + 500_000}`), ['att-new']);
    const bad = await h.as('viewer')('/api/v1/attacks?limit=0');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'BW_ERR_API_VALIDATION');
  });

  it('one attack: its record, end reason and audit timeline', async () => {
    const r = await h.as('viewer')(`/api/v1/attacks/${OLD.id}`);
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json();
    assert.equal(body.attack.target, OLD.target);
    assert.equal(body.active, false);
    assert.equal(body.endReason, 'quiet');
    assert.deepEqual(body.timeline.map((e: { action: string }) => e.action).filter((a: string) => a === 'stage.engaged' || a === 'approval.granted'), ['stage.engaged', 'approval.granted']);
    const missing = await h.as('viewer')('/api/v1/attacks/nope');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'BW_ERR_ATTACK_NOT_FOUND');
  });

  it('the capture downloads byte for byte; none, or an id that could leave the folder, is refused', async () => {
    const pcap = attackPcapPath(h.dataDir, OLD.id);
    mkdirSync(join(pcap, '..'), { recursive: true });
    const bytes = Buffer.alloc(70_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
    writeFileSync(pcap, bytes);
    const r = await h.as('viewer')(`/api/v1/attacks/${OLD.id}/pcap`);
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.tcpdump.pcap');
    assert.match(String(r.headers['content-disposition']), /attachment; filename="attack-att-old\.pcap"/);
    assert.ok(r.rawPayload.equals(readFileSync(pcap)));
    assert.equal((await h.as('viewer')(`/api/v1/attacks/${OLD.id}`)).json().hasPcap, true);
    const none = await h.as('viewer')('/api/v1/attacks/att-without-capture/pcap');
    assert.equal(none.statusCode, 404);
    assert.equal(none.json().error.code, 'BW_ERR_ATTACK_PCAP_MISSING');
    const sneaky = await h.as('viewer')(`/api/v1/attacks/${encodeURIComponent('../breakwater')}/pcap`);
    assert.equal(sneaky.statusCode, 400);
    assert.equal(sneaky.json().error.code, 'BW_ERR_CAPTURE_ATTACK_ID');
  });

  // Last in this group: it restarts the history, which ends the attacks still active ("shutdown").
  it('the rate series of an attack from the history, the same after the history restarts; 404 for an unknown id', async () => {
    const t0 = Date.now() - 600_000;
    const base = sampleAttack({ id: 'att-series', target: '198.18.3.30', vector: 'udp_flood', hostGroup: 'global', firstSampleAt: t0 - 900, startedAt: t0, updatedAt: t0 });
    const rates = [60_000, 240_000, 410_000, 380_000, 150_000, 4_000];
    const published = rates.map((pps, i) => ({ ...base, updatedAt: t0 + i * 1000, rates: { pps, bps: pps * 4000 }, confidence: 0.8 + i * 0.02 }));
    h.appliance.bus.publish({ type: 'attack.started', attack: published[0]! });
    for (const a of published.slice(1, -1)) h.appliance.bus.publish({ type: 'attack.updated', attack: a });
    h.appliance.bus.publish({ type: 'attack.ended', attack: { ...published.at(-1)!, endedAt: t0 + 4000 }, reason: 'quiet' });
    await eventually(() => h.appliance.history.report().series !== undefined && (h.appliance.history.report().series as { pending: number }).pending === 0 && h.appliance.history.get(base.id)?.endReason === 'quiet');
    const expected = published.map((a) => ({ t: a.updatedAt, pps: a.rates.pps, bps: a.rates.bps, threshold: base.threshold.value, thresholdSource: base.threshold.source, baseline: base.baseline!.pps, confidence: a.confidence, severity: base.severity }));
    const r = await h.as('viewer')(`/api/v1/attacks/${base.id}/series`);
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { attackId: base.id, metric: 'pps', startedAt: t0, endedAt: t0 + 4000, active: false, points: expected });

    // A restart of the history (a new store on the same data directory): the series is read back from the file.
    await h.appliance.history.stop();
    await h.appliance.history.start();
    const again = await h.as('viewer')(`/api/v1/attacks/${base.id}/series`);
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(again.json().points, expected);
    // The attack that was active when the history stopped: ended ("shutdown"), its series kept (its start).
    const cut = (await h.as('viewer')(`/api/v1/attacks/${NEW.id}/series`)).json();
    assert.deepEqual([cut.active, cut.points.map((p: { t: number }) => p.t)], [false, [NEW.updatedAt]]);

    const missing = await h.as('viewer')('/api/v1/attacks/no-such-attack/series');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'BW_ERR_ATTACK_NOT_FOUND');
    const anonymous = await h.as('anonymous')(`/api/v1/attacks/${base.id}/series`);
    assert.equal(anonymous.statusCode, 401);
  });
});

describe('audit search', () => {
  const actions = async (q: string) => (await h.as('viewer')(`/api/v1/audit?${q}`)).json().entries.map((e: { action: string }) => e.action);
  it('filters by attack, action family, actor, target prefix, text and time', async () => {
    assert.deepEqual((await actions(`attack=${OLD.id}`)).filter((a: string) => a !== 'attack.detected' && !a.startsWith('mitigation.') && a !== 'attack.ended'), ['stage.engaged', 'approval.granted']);
    assert.deepEqual(await actions('action=stage.'), ['stage.engaged', 'stage.failed']);
    assert.deepEqual(await actions('actor=user:alice'), ['approval.granted']);
    assert.deepEqual(await actions('actor=user:&action=approval.'), ['approval.granted']);
    assert.ok((await actions('actor=user:')).every((a: string) => a === 'approval.granted' || a.startsWith('auth.')));
    assert.deepEqual(await actions(`target=${encodeURIComponent('198.18.2.0/24')}&action=stage.`), ['stage.failed']);
    assert.deepEqual(await actions('q=PLUGIN_TIMEOUT'), ['stage.failed']);
    assert.deepEqual(await actions('q=scrubber-x'), ['stage.failed']);
    assert.deepEqual(await actions(`since=${T0}&until=${T0 + 100}`), ['stage.engaged', 'approval.granted']);
    assert.deepEqual(await actions('action=stage.&limit=1'), ['stage.failed']);
  });
});

describe('traffic', () => {
  it('summary, top and series follow real sFlow sent to the appliance', async () => {
    const history = trafficHistoryOf(h.deps);
    const stream = new SflowStream({ destinations: 6, samplingRate: 100, trackDestinations: true, seed: 7 });
    const port = Number(h.config().sflow.listen[0]!.split(':')[1]);
    const sent = await sendSflow(stream, { host: '127.0.0.1', port, samplesPerSecond: 4000, maxSeconds: 1.5 });
    assert.ok(sent.flowSamples > 1000);
    // Counting is by tick; the window that ends with the last complete tick holds the last second of sending.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await history.sampleNow();
    const top = (await h.as('viewer')('/api/v1/traffic/top?limit=10')).json().top as { target: string; pps: number; bps: number }[];
    const truth = [...stream.truth!.entries()].sort((a, b) => b[1].packets - a[1].packets);
    assert.deepEqual(new Set(top.map((t) => t.target)), new Set(truth.map(([d]) => d)));
    const sentPackets = truth.reduce((s, [, t]) => s + t.packets, 0);
    const summary = (await h.as('viewer')('/api/v1/traffic/summary')).json();
    // The window (the last second) cannot hold more than was sent, and holds some of it; how much depends on how
    // evenly the paced sender kept up on a busy machine, so only the bounds and the shares are checked.
    const windowSeconds = h.config().detection.windowMs / 1000;
    assert.ok(summary.pps > 0 && summary.pps * windowSeconds <= sentPackets * 1.001, `summary ${summary.pps} pps, ${sentPackets} packets sent`);
    assert.ok(Math.abs(top.reduce((s, t) => s + t.pps, 0) - summary.pps) < summary.pps * 0.01);
    // Each destination's share of the rate is its share of what was sent (the stream's mix is steady).
    for (const t of top) {
      const share = stream.truth!.get(t.target)!.packets / sentPackets;
      assert.ok(Math.abs(t.pps / summary.pps - share) < 0.1, `${t.target}: ${t.pps / summary.pps} of the rate, ${share} of what was sent`);
    }
    assert.ok(top.every((t) => t.bps > t.pps * 8 * 60), 'bps counts frame bytes');
    const byBps = (await h.as('viewer')('/api/v1/traffic/top?limit=3&by=bps')).json().top as { bps: number }[];
    assert.ok(byBps[0]!.bps >= byBps[1]!.bps && byBps[1]!.bps >= byBps[2]!.bps);

    const busiest = top[0]!.target;
    const first = (await h.as('viewer')(`/api/v1/traffic/series?target=${busiest}&seconds=60`)).json();
    assert.equal(first.target, `${busiest}/32`);
    // The default thresholds (global group) apply per destination.
    assert.equal(first.threshold.per, 'destination');
    assert.equal(first.threshold.hostGroup, 'global');
    assert.equal(first.threshold.pps, h.config().detection.thresholds.total!.pps);
    await history.sampleNow();
    const series = (await h.as('viewer')(`/api/v1/traffic/series?target=${busiest}&seconds=60`)).json();
    // sampleNow adds a point; with detection in its thread (the default) the thread's once-a-second summary may add
    // one more in between.
    assert.ok(series.points.length >= first.points.length + 1 && series.points.length <= first.points.length + 2, `${first.points.length} points, then ${series.points.length}`);
    assert.ok(series.points.at(-1)[1] > 0);
    const all = (await h.as('viewer')('/api/v1/traffic/series?seconds=60')).json();
    assert.equal(all.target, 'all');
    assert.ok(all.points.length >= 2);
    const group = (await h.as('viewer')('/api/v1/traffic/series?hostGroup=global&seconds=60')).json();
    assert.equal(group.target, 'global');
    assert.ok(group.points.length >= 2);
    const bad = await h.as('viewer')('/api/v1/traffic/series?target=nonsense');
    assert.equal(bad.statusCode, 400);
    const unknown = await h.as('viewer')('/api/v1/traffic/series?hostGroup=nope');
    assert.equal(unknown.statusCode, 404);
  });
});

describe('live stream', () => {
  it('a traffic event every second from the traffic history', async () => {
    const seen: { event: string; at: number; data: { t: number; pps: number; bps: number; top: unknown[] } }[] = [];
    const hub = h.deps.events;
    const publish = hub.publish.bind(hub);
    hub.publish = (event, data) => {
      seen.push({ event, at: Date.now(), data: data as (typeof seen)[number]['data'] });
      publish(event, data);
    };
    try {
      await eventually(() => seen.filter((e) => e.event === 'traffic').length >= 2, 3500);
    } finally {
      hub.publish = publish;
    }
    const traffic = seen.filter((e) => e.event === 'traffic');
    const gap = traffic[1]!.at - traffic[0]!.at;
    assert.ok(gap >= 800 && gap <= 1800, `${gap} ms between two traffic events`);
    // Stamped with the API clock as of when the figures were read (now, less their age: a few ms).
    assert.ok(Math.abs(traffic[0]!.data.t - h.clock.now) < 250, `stamped with the API clock: ${traffic[0]!.data.t} vs ${h.clock.now}`);
    assert.deepEqual(Object.keys(traffic[0]!.data).sort(), ['bps', 'pps', 't', 'top']);
  });
});

describe('runbook dry run', () => {
  it('runs the escalation machine over the recorded attack: stages and their times', async () => {
    const runbook = {
      name: 'try',
      stages: [
        { name: 'filter', tier: '@breakwater/tier-flowspec' },
        { name: 'blackhole', tier: '@breakwater/tier-rtbh' },
      ],
      escalation: { afterSeconds: 120 },
      deescalation: { quietSeconds: 60, steps: 'all' },
    };
    const r = await h.as('viewer')({ method: 'POST', url: '/api/v1/runbooks/dry-run', payload: { runbook, attackId: OLD.id } });
    assert.equal(r.statusCode, 200, r.body);
    const result = r.json();
    assert.equal(result.truncated, false);
    assert.equal(result.attackStartedAt, OLD.startedAt);
    assert.equal(result.attackEndedAt, OLD.endedAt);
    const [filter, blackhole] = result.stages;
    assert.equal(filter.engagedAfterSeconds, 0);
    assert.equal(blackhole.engagedAfterSeconds, 120);
    // The attack lasted 400 s; everything steps down after the 60 s quiet period.
    assert.equal(blackhole.leftAfterSeconds, 460);
    assert.ok(result.steps.some((s: { action: string; offsetSeconds: number }) => s.action === 'escalated' && s.offsetSeconds === 120));
    assert.equal(result.endedAt, OLD.endedAt! + 60_000);

    const invalid = await h.as('viewer')({ method: 'POST', url: '/api/v1/runbooks/dry-run', payload: { runbook: { name: 'x', mode: 'never' }, attackId: OLD.id } });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().error.code, 'BW_ERR_API_VALIDATION');
    const missing = await h.as('viewer')({ method: 'POST', url: '/api/v1/runbooks/dry-run', payload: { runbook, attackId: 'nope' } });
    assert.equal(missing.statusCode, 404);
  });
});
