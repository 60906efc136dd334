// Restart safety: a new engine (and new tier plugin instances) on the same data directory and speaker resumes
// every mitigation at the stage it was at, verifies what is engaged instead of engaging it again, goes on
// escalating on the persisted timers, redoes an engagement that was in flight when the process died (the
// route it had already announced is adopted, not announced twice), and withdraws routes nobody holds.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { databasePath, openDatabase } from '../../src/storage/sqlite.js';
import { MitigationStore } from '../../src/mitigation/mitigation-store.js';
import { FakeDivertingSpeaker, FakeSpeaker } from './support/fake-speaker.js';
import { Harness, PEER, attackAt } from './support/harness.js';
import { firstParty, type SourceTiers } from './support/source-tiers.js';

const CONFIG = {
  mitigation: { mode: 'auto', verifyIntervalSeconds: 30 },
  runbooks: [
    {
      name: 'escalate',
      stages: [
        { name: 'flowspec', tier: '@breakwater/tier-flowspec' },
        { name: 'rtbh', tier: '@breakwater/tier-rtbh' },
        { name: 'scrub', tier: '@breakwater/tier-scrubbing', settings: { provider: 'bgp-community' } },
      ],
      escalation: { afterSeconds: 60 },
      deescalation: { quietSeconds: 60, steps: 'all' },
    },
  ],
  bgp: { peers: [PEER] },
};
const TIERS = [firstParty('tier-flowspec'), firstParty('tier-rtbh'), { ...firstParty('tier-scrubbing'), config: { bgpCommunity: { communities: ['65000:9999'] } } }];

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

function harness(options: { dataDir?: string; speaker?: FakeSpeaker; hookTimeoutMs?: number } = {}): Harness {
  const { hookTimeoutMs, ...rest } = options;
  const tiers = hookTimeoutMs === undefined ? TIERS : TIERS.map((t) => ({ ...t, hookTimeoutMs }));
  const h = new Harness({ config: CONFIG, tiers, ...rest });
  open.push(h);
  return h;
}

function openClaims(dataDir: string) {
  const handle = openDatabase(databasePath(dataDir));
  try {
    return new MitigationStore(handle.db).openClaims();
  } finally {
    handle.release();
  }
}

test('restart in the middle of an escalation: same stage, verified not re-engaged, timers continue, nothing left at the end', async () => {
  const speaker = new FakeDivertingSpeaker();
  const first = harness({ speaker });
  await first.start();
  const attack = attackAt(first.now);
  await first.started(attack);
  await first.advance(60_000);
  assert.equal(first.engine.list()[0]?.stage, 'rtbh');
  const routesBefore = [...speaker.routes.keys()].sort();
  const callsBefore = speaker.calls.length;

  await first.restart();
  const tiers = first.tiers as SourceTiers;
  assert.deepEqual(tiers.calls.map((c) => `${c.hook} ${c.tier}`), ['verify @breakwater/tier-flowspec', 'verify @breakwater/tier-rtbh'], 'engaged stages are verified, not engaged again');
  assert.equal(speaker.calls.length, callsBefore, 'no announcement and no withdrawal at restart');
  assert.deepEqual([...speaker.routes.keys()].sort(), routesBefore);
  const [resumed] = first.engine.list();
  assert.equal(resumed?.stage, 'rtbh');
  assert.deepEqual(resumed?.stages.map((s) => s.status), ['engaged', 'engaged', 'idle']);
  assert.equal(first.audit({ action: 'mitigation.resumed' }).length, 1);

  // The RTBH stage engaged 60 s in; 60 s later (by the persisted time) the next stage comes.
  await first.advance(59_000);
  assert.equal(first.engine.list()[0]?.stage, 'rtbh');
  await first.advance(1_000);
  assert.equal(first.engine.list()[0]?.stage, 'scrub');
  assert.equal(speaker.diversions.size, 1);

  await first.ended(attack);
  await first.advance(60_000);
  assert.deepEqual(first.engine.list(), []);
  assert.equal(speaker.routes.size + speaker.diversions.size, 0, 'no orphan route');
  assert.deepEqual(openClaims(first.dataDir), [], 'no open claim in the ledger');
});

test('a process that died while a stage was engaging: the route it announced is adopted, the stage redone once, orphans withdrawn', async () => {
  const speaker = new FakeSpeaker();
  // The abandoned engine's hung call times out after 2 s (after the snapshot below), so closing it at the end
  // does not wait for the default 5 s.
  const crashed = harness({ speaker, hookTimeoutMs: 2_000 });
  await crashed.start();
  await crashed.started(attackAt(crashed.now, { id: 'crash-attack' }));
  speaker.hangNext = 'announceRtbh';
  // The RTBH announcement reaches the speaker and the process dies before the call returns. The "crash" is a
  // snapshot taken at that moment: the database (VACUUM INTO, consistent in WAL mode) and the speaker's
  // desired routes; a new engine starts on the copies while the abandoned one is left alone.
  crashed.now += 60_000;
  crashed.engine.tick();
  // Until the announcement is out and recorded as pending (the engine never gets further).
  for (let i = 0; i < 200 && !openClaims(crashed.dataDir).some((c) => c.kind === 'rtbh'); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.deepEqual(crashed.engine.list()[0]?.stages.map((s) => s.status), ['engaged', 'engaging', 'idle']);
  assert.deepEqual(openClaims(crashed.dataDir).map((c) => `${c.kind} ${c.status}`), ['flowspec active', 'rtbh pending']);
  const dataDir = mkdtempSync(join(tmpdir(), 'bwt-mit-restart-'));
  const handle = openDatabase(databasePath(crashed.dataDir));
  handle.db.exec(`VACUUM INTO '${databasePath(dataDir)}'`);
  handle.release();
  const survivor = new FakeSpeaker();
  for (const [id, route] of speaker.routes) survivor.routes.set(id, structuredClone(route));
  // An orphan: a route of a mitigation the ledger knows that no claim holds (a plugin's call in flight
  // when an earlier run died, say).
  await survivor.announceFlow({ rule: { family: 'ipv4', match: { destination: { prefix: '203.0.113.10/32' }, protocol: [[{ op: '=', value: 6 }]] }, actions: [{ type: 'discard' }] }, owner: 'crash-attack', ttlSeconds: 600 });

  const restarted = harness({ dataDir, speaker: survivor });
  restarted.now = crashed.now + 5_000;
  try {
    await restarted.start();
    const claims = openClaims(dataDir);
    assert.deepEqual(claims.map((c) => `${c.kind} ${c.status} stage ${c.stage}`), ['flowspec active stage 0', 'rtbh active stage 1'], 'the pending claim was adopted, one claim per route');
    assert.deepEqual(restarted.engine.list()[0]?.stages.map((s) => s.status), ['engaged', 'engaged', 'idle']);
    assert.deepEqual(survivor.calls.filter((c) => c.op === 'announceRtbh').length, 1, 'the stage was redone once (same route id: an update, not a second route)');
    assert.deepEqual([...survivor.routes.values()].map((r) => r.kind).sort(), ['flowspec', 'rtbh'], 'the orphan was withdrawn');
    const started = restarted.audit({ action: 'engine.started' }).at(-1);
    assert.equal(started?.detail?.adopted, 1);
    assert.equal(started?.detail?.orphans, 1);
    assert.ok(restarted.audit({ action: 'action.removed' }).some((r) => /orphan/.test(r.reason ?? '')));
  } finally {
    await restarted.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a mitigation restored after a restart whose attack is never heard of again is ended and its routes withdrawn', async () => {
  const speaker = new FakeSpeaker();
  const h = harness({ speaker });
  await h.start();
  await h.started(attackAt(h.now));
  await h.restart();
  assert.equal(h.engine.list()[0]?.phase, 'active');
  await h.advance(120_000);
  assert.equal(h.engine.list()[0]?.phase, 'cooling');
  assert.ok(h.audit({ action: 'attack.ended' }).some((r) => r.reason === 'not seen again since the restart'));
  await h.advance(60_000);
  assert.equal(speaker.routes.size, 0);
});
