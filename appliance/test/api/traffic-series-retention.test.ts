// An attack's target has a per-second series from the attack's start (attack.started on the attack bus), without
// anyone asking for it first, so its chart shows the attack when opened after it ended; those series are bounded
// (maxAttackTargets, the oldest attack's dropped) and asked-for series never push them out (nor the reverse).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleAttack } from '@breakwater/sdk/testing';
import { trafficHistoryOf } from '../../src/api/routes/traffic.js';
import { TrafficHistory } from '../../src/api/traffic-history.js';
import { SflowStream, sendSflow } from '../../src/synthetic/sflow-generator.js';
import { eventually, startRoutesHarness, type RoutesHarness } from './routes-support.js';

let h: RoutesHarness;
before(async () => {
  h = await startRoutesHarness({ yaml: 'networks: ["198.18.0.0/16"]\n' });
});
after(async () => h.close());

describe('attack targets\' series', () => {
  it('kept from attack.started: the series has the attack\'s traffic when first asked for after the attack ended', async () => {
    const history = trafficHistoryOf(h.deps);
    const stream = new SflowStream({ destinations: 3, samplingRate: 100, trackDestinations: true, seed: 11 });
    const target = '198.18.0.1';
    const start = Date.now();
    const attack = sampleAttack({ id: 'att-kept', target, vector: 'udp_flood', hostGroup: 'global', firstSampleAt: start, startedAt: start, updatedAt: start });
    h.appliance.bus.publish({ type: 'attack.started', attack });
    assert.ok(history.attackTargets().includes(`${target}/32`), 'kept at attack.started, before anyone asked');

    // A prefix holding the target, asked for before the traffic: summed over the scan (an address is looked up).
    history.watch('198.18.0.0/30');
    const port = Number(h.config().sflow.listen[0]!.split(':')[1]);
    await sendSflow(stream, { host: '127.0.0.1', port, samplesPerSecond: 3000, maxSeconds: 1.2 });
    assert.ok((stream.truth!.get(target)?.packets ?? 0) > 0, 'traffic was sent to the target');
    await new Promise((resolve) => setTimeout(resolve, 150));
    await history.sampleNow();
    h.clock.advance(1000);
    await history.sampleNow();
    h.appliance.bus.publish({ type: 'attack.ended', attack: { ...attack, endedAt: start + 2000, updatedAt: start + 2000 }, reason: 'quiet' });
    await eventually(() => h.appliance.history.get(attack.id)?.endReason === 'quiet');

    // First asked for now, after the end: the points from the attack are there.
    const r = await h.as('viewer')(`/api/v1/traffic/series?target=${target}&seconds=600`);
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json() as { target: string; points: [number, number, number][] };
    assert.equal(body.target, `${target}/32`);
    assert.ok(body.points.length >= 2, `${body.points.length} points`);
    assert.ok(body.points.some((p) => p[1] > 0 && p[2] > 0), 'the attack\'s traffic is in the series');
    const prefix = history.series('198.18.0.0/30', 600);
    const all = history.totalSeries(600);
    assert.equal(prefix.length, body.points.length);
    prefix.forEach((p, i) => {
      assert.ok(p[1] >= body.points[i]![1] && p[1] <= all[all.length - prefix.length + i]![1] + 1e-6, `the /30 (${p[1]} pps) holds the address (${body.points[i]![1]}) and is within the total`);
      assert.ok(p[1] > body.points[i]![1] || body.points[i]![1] === 0, 'the /30 holds other destinations too');
    });
    // Another destination nobody asked for and no attack touched has no series kept.
    assert.ok(!history.attackTargets().includes('198.18.250.250/32'));
  });

  it('bounded: the oldest attack\'s series is dropped beyond maxAttackTargets; asked-for series never push attacks\' out', async () => {
    let now = 1_000_000;
    const history = new TrafficHistory({ source: h.appliance.detection.traffic, clock: () => now, maxWatches: 2, maxAttackTargets: 3, seconds: 5 });
    for (const t of ['198.18.0.1', '198.18.0.2', '198.18.0.3']) {
      history.keepForAttack(t);
      now += 1000;
    }
    assert.deepEqual(history.attackTargets(), ['198.18.0.1/32', '198.18.0.2/32', '198.18.0.3/32']);
    // Many asked-for addresses: only they make room among themselves.
    for (const t of ['198.18.1.1', '198.18.1.2', '198.18.1.3', '198.18.1.4']) history.watch(t);
    assert.equal(history.attackTargets().length, 3, 'no attack target dropped for asked-for ones');
    // A fourth attack drops the oldest attack's series.
    history.keepForAttack('198.18.0.4');
    assert.deepEqual(history.attackTargets(), ['198.18.0.2/32', '198.18.0.3/32', '198.18.0.4/32']);
    // An asked-for series that becomes an attack's keeps its points.
    history.watch('198.18.1.4');
    await history.sampleNow();
    history.keepForAttack('198.18.1.4');
    assert.equal(history.series('198.18.1.4/32', 60).length, 1, 'the points from before the attack stay');
    assert.ok(history.attackTargets().includes('198.18.1.4/32'));
    // Each series holds at most `seconds` points.
    for (let i = 0; i < 12; i++) {
      now += 1000;
      await history.sampleNow();
    }
    assert.equal(history.series('198.18.0.4/32', 3600).length, 5);
    assert.equal(history.series('not-watched', 3600).length, 0);
  });

  it('an unparseable target is not kept', () => {
    const history = trafficHistoryOf(h.deps);
    assert.equal(history.keepForAttack('not an address'), undefined);
  });
});
