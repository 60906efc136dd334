// `breakwater demo` end to end, on shortened timings: the appliance feeds itself synthetic sFlow over loopback;
// through the REST API (setup with the printed token, then a session) we see an attack detected, the default
// runbook's FlowSpec stage engage, escalate to RTBH, and both step back down after the attack — every route
// recorded by the demo speaker, never announced, and the demo labelled DEMO in /health and /settings.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../src/log.js';
import { startDemo } from '../../src/demo/demo-run.js';
import type { RecordedRoute } from '../../src/demo/demo-speaker-daemon.js';
import { runCli } from '../support/run-cli.js';

interface AuditRow {
  action: string;
  attackId?: string;
  stageName?: string;
  tier?: string;
  target?: string;
}

test('demo: attack detected, FlowSpec engaged, escalated to RTBH, both withdrawn after it; recorded by the demo speaker', { timeout: 90_000 }, async () => {
  const demo = await startDemo({
    log: silentLogger(),
    listen: '127.0.0.1:0',
    tls: 'off',
    schedule: { firstAttackSeconds: 2, attackSeconds: 8, attackEverySeconds: 600 },
    timings: { escalateAfterSeconds: 3, stepDownQuietSeconds: 2, detectionQuietSeconds: 2 },
  });
  try {
    assert.match(demo.panelUrl, /^http:\/\/127\.0\.0\.1:[0-9]+$/);
    assert.ok(demo.setupToken !== undefined && demo.setupUrl === `${demo.panelUrl}/setup?token=${demo.setupToken}`);
    const api = async (path: string, init: RequestInit = {}, cookie?: string) => {
      const r = await fetch(`${demo.panelUrl}/api/v1${path}`, { ...init, headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}), ...init.headers } });
      return { status: r.status, body: (await r.json()) as Record<string, unknown>, headers: r.headers };
    };
    const password = 'demo admin passphrase';
    assert.equal((await api('/setup', { method: 'POST', body: JSON.stringify({ token: demo.setupToken, username: 'demo', password }) })).status, 201);
    const login = await api('/auth/login', { method: 'POST', body: JSON.stringify({ username: 'demo', password }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;

    // Poll the audit trail through the API until the whole cycle is there (or give up at 60 s).
    const want = ['attack.detected', 'stage.engaged:flowspec', 'stage.engaged:rtbh', 'attack.ended', 'stage.disengaged:rtbh', 'stage.disengaged:flowspec'];
    let rows: AuditRow[] = [];
    const deadline = Date.now() + 60_000;
    const seen = () => new Set(rows.map((r) => (r.stageName !== undefined && r.action.startsWith('stage.') ? `${r.action}:${r.stageName}` : r.action)));
    while (Date.now() < deadline) {
      const r = await api('/audit?limit=5000', {}, cookie);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      rows = r.body.entries as AuditRow[];
      if (want.every((w) => seen().has(w))) break;
      await sleep(500);
    }
    assert.deepEqual(want.filter((w) => !seen().has(w)), [], `audit trail so far: ${rows.map((r) => `${r.action}${r.stageName ? ':' + r.stageName : ''}`).join(', ')}`);
    const detected = rows.find((r) => r.action === 'attack.detected')!;
    assert.equal(detected.target, '203.0.113.10', 'the first demo attack (NTP amplification) hits 203.0.113.10');
    const order = (w: string) => rows.findIndex((r) => `${r.action}${r.action.startsWith('stage.') && r.stageName ? ':' + r.stageName : ''}` === w);
    assert.ok(order('stage.engaged:flowspec') < order('stage.engaged:rtbh') && order('stage.engaged:rtbh') < order('stage.disengaged:rtbh') && order('stage.disengaged:rtbh') < order('stage.disengaged:flowspec'), 'engaged up, stepped down in reverse');

    // The attack through the attacks API.
    const attacks = await api(`/attacks?limit=10`, {}, cookie);
    assert.equal(attacks.status, 200, JSON.stringify(attacks.body));
    assert.ok(JSON.stringify(attacks.body).includes(detected.attackId!), 'the detected attack is listed');

    // DEMO labels: /health's bgp section and /settings.
    const health = await api('/health', {}, cookie);
    const bgp = health.body.bgp as { speaker: string; peers: { info: string }[]; routes: Record<string, number> };
    assert.equal(bgp.speaker, 'demo');
    assert.match(bgp.peers[0]!.info, /^DEMO: routes are recorded, never announced/);
    assert.deepEqual(bgp.routes, { flowspec: 0, rtbh: 0, diversion: 0 }, 'nothing held after stepping down');
    const settings = await api('/settings', {}, cookie);
    assert.equal(settings.status, 200);
    assert.match(JSON.stringify(settings.body), /"speaker":"demo"/);

    // What the demo speaker recorded: a FlowSpec rule and an RTBH route for the target, each announced then withdrawn.
    const recorded = readFileSync(join(demo.dataDir, 'bgp', 'demo', 'recorded-routes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RecordedRoute);
    const changes = (kind: string) => recorded.filter((r) => r.kind === kind && r.owner.includes(detected.attackId!)).map((r) => r.change);
    assert.deepEqual([...new Set(changes('flowspec'))], ['announce', 'withdraw']);
    assert.deepEqual([...new Set(changes('rtbh'))], ['announce', 'withdraw']);
    const rtbh = recorded.find((r) => r.kind === 'rtbh')!.route as { prefix: string };
    assert.equal(rtbh.prefix, '203.0.113.10/32');
    assert.ok(demo.traffic.datagramsSent > 0);
  } finally {
    await demo.stop();
    rmSync(demo.dataDir, { recursive: true, force: true });
  }
});

test('breakwater demo refuses an unbounded or malformed run before starting anything', async () => {
  for (const args of [['--duration', '0'], ['--duration', '100000'], ['--attack-every', '5'], ['--bogus']]) {
    const r = await runCli(['demo', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^BW_ERR_CLI_USAGE: /);
  }
});
