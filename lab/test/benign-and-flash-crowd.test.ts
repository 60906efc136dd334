// What must NOT be mitigated, end to end in the lab: benign background traffic to three web servers, then a flash
// crowd on one of them (the same HTTPS mix rising 5x, well over the host threshold). The appliance must have taken
// in their samples (its /health), and then: nothing at the router, nothing on the victim, no stage in the audit
// trail; the flash crowd is alerted as a low-confidence tcp_flood that the lab runbook (minConfidence 0.4) leaves
// alone, with the audit trail saying so (runbook.none, once).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cleanUpEverything, eventually } from '../../appliance/test/support/netns.js';
import { VICTIM4 } from '../src/address-plan.js';
import { Lab } from '../src/lab.js';
import { flowSamplesReceived, labUnavailable } from './support/attack-story.js';

const skip = labUnavailable();
let lab: Lab | undefined;

before(async () => {
  if (skip) return;
  lab = await Lab.start({ label: 'benign' });
});
after(async () => {
  await lab?.stop();
  cleanUpEverything();
});

async function nothingMitigated(l: Lab, since: number): Promise<void> {
  assert.deepEqual(await l.routes(), [], 'no route from the appliance at the router');
  assert.deepEqual((await l.nftRules()).counters, [], 'no Tier 1 rule on the victim');
  const staged = (await l.audit()).filter((r) => r.at >= since && /^(stage\.|action\.)/.test(r.action));
  assert.deepEqual(staged.map((r) => `${r.action} ${r.stageName ?? ''}`), [], 'no stage selected or engaged');
}

test('benign background (1,500 pps of HTTPS and DNS to three servers): sampled and counted, nothing detected or mitigated', { skip, timeout: 90_000 }, async () => {
  const l = lab!;
  const since = Date.now();
  const samplesBefore = flowSamplesReceived(l);
  let mitigatedMeanwhile = false;
  const replaying = l.replay('benign');
  // Watch the router while the traffic flows, not only afterwards.
  while (!(await Promise.race([replaying.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 500))]))) {
    if ((await l.routes()).length > 0) mitigatedMeanwhile = true;
  }
  const sent = await replaying;
  assert.equal(sent.packets, 1_500 * 12);
  // 18,000 packets at 1:100: ~180 samples (pmacct's sampling is random).
  const samples = await eventually('the appliance to count the samples', 5_000, () => {
    const n = flowSamplesReceived(l) - samplesBefore;
    return n >= 100 ? n : undefined;
  }, 250);
  assert.ok(samples < 400, `about 1 in 100 packets sampled, got ${samples}`);
  assert.equal(mitigatedMeanwhile, false, 'nothing announced while it ran');
  assert.deepEqual((await l.audit()).filter((r) => r.at >= since && r.action === 'attack.detected'), [], 'no attack detected');
  await nothingMitigated(l, since);
});

// The server sits at 70% of its threshold for 10 s before the rise: detection keeps benign samples of it while it
// is steady there (its benign ring freezes only when the rate rises), so the rise is compared with them.
test('flash crowd (the same HTTPS mix rising from 3,500 to 15,000 pps on one server): alerted as a likely flash crowd, not mitigated', { skip, timeout: 90_000 }, async () => {
  const l = lab!;
  const since = Date.now();
  let mitigatedMeanwhile = false;
  const replaying = l.replay('flash-crowd');
  while (!(await Promise.race([replaying.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 500))]))) {
    if ((await l.routes()).length > 0 || (await l.nftRules()).counters.length > 0) mitigatedMeanwhile = true;
  }
  await replaying;
  const startedLines = () => JSON.stringify(l.log().filter((r) => r.time >= since && /^attack started/.test(String(r.msg))));
  assert.equal(mitigatedMeanwhile, false, `nothing announced or filtered while it ran; attacks: ${startedLines()}`);
  // 15,000 pps is three times the host threshold: the rise is seen, and reported for what it is.
  const started = await eventually('the flash crowd to be reported', 10_000, () => l.log().find((r) => r.time >= since && r.msg === `attack started: tcp_flood on ${VICTIM4}`), 100);
  assert.ok(Number(started.confidence) <= 0.3, `low confidence: ${String(started.confidence)}`);
  // No runbook matches (minConfidence 0.4), so the audit trail has runbook.none for it, and no attack.detected
  // (that is a runbook's first record: docs/runbooks.md).
  const none = await eventually('runbook.none in the audit trail', 5_000, async () => {
    const found = (await l.audit()).filter((r) => r.at >= since - 1000 && r.action === 'runbook.none' && r.target === VICTIM4);
    return found.length > 0 ? found : undefined;
  }, 200);
  // One attack, and one record for it: the engine audits runbook.none once per attack, not at each of its updates
  // (the crowd ran ~10 s past the threshold, about one update a second).
  assert.equal(none.length, 1, `one attack, alerted only, audited once: ${JSON.stringify(none)}; attacks: ${startedLines()}`);
  assert.match(none[0]!.reason ?? '', /no runbook matches/);
  assert.deepEqual((await l.audit()).filter((r) => r.at >= since - 1000 && r.action === 'attack.detected'), [], 'no runbook took it');
  const alert = l.webhookMessages().find((m) => m.at >= since && m.body.event.type === 'attack.detected' && m.body.event.attack?.target === VICTIM4);
  assert.ok(alert, 'the webhook was told');
  await nothingMitigated(l, since);
});
