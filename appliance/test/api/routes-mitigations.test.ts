// Mitigation actions through the API: a manual RTBH route and a manual FlowSpec rule announced through a speaker
// (the FakeSpeaker of the engine tests: what it holds is what a daemon would have been told), extended and
// withdrawn; the guardrails refuse what they refuse for tiers too; "stop all" withdraws manual mitigations and
// refuses new ones until resume; a runbook mitigation is withdrawn and approved by a person. Every action is in
// the audit trail with the person who did it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleAttack } from '@breakwater/sdk/testing';
import { eventually, startRoutesHarness, type RoutesHarness } from './routes-support.js';

let h: RoutesHarness;
before(async () => {
  h = await startRoutesHarness({
    fakeSpeaker: true,
    yaml: [
      'networks: ["198.51.100.0/24", "2001:db8:5::/48"]',
      'mitigation:',
      '  mode: auto',
      '  guardrails:',
      '    protectedPrefixes: ["198.51.100.128/25"]',
      '    maxTtlSeconds: 3600',
      'runbooks:',
      '  - { name: ask, mode: approve, stages: [{ name: blackhole, tier: "@breakwater/tier-rtbh" }] }',
      '',
    ].join('\n'),
  });
});
after(async () => h.close());

const routes = () => [...h.speaker!.routes.values()];

describe('manual RTBH: announce, extend, withdraw', () => {
  let id = '';
  it('announces a host route through the speaker, owned by the person, with the lifetime asked for', async () => {
    const r = await h.as('operator')({ method: 'POST', url: '/api/v1/mitigations', payload: { kind: 'rtbh', prefix: '198.51.100.7', ttlSeconds: 600, reason: 'ticket 42' } });
    assert.equal(r.statusCode, 201, r.body);
    const m = r.json().mitigation;
    id = m.id;
    assert.equal(m.target, '198.51.100.7/32');
    assert.equal(m.by, 'user:operator');
    const route = h.speaker!.routes.get(id);
    assert.ok(route && route.kind === 'rtbh');
    assert.equal(route.prefix, '198.51.100.7/32');
    assert.equal(route.owner, 'manual:user:operator');
    assert.ok(route.communities.includes('65535:666'));
    assert.ok(route.expiresAt !== null && Math.abs(route.expiresAt - (Date.now() + 600_000)) < 5_000);
    const listed = (await h.as('viewer')('/api/v1/mitigations')).json();
    assert.deepEqual(listed.manual.map((x: { id: string }) => x.id), [id]);
    const audit = h.deps.audit.query({ action: 'manual.announced' }).at(-1)!;
    assert.deepEqual([audit.actor, audit.resource, audit.target, audit.reason], ['user:operator', id, '198.51.100.7/32', 'ticket 42']);
  });

  it('announcing the same route again is refused: BW_ERR_MITIGATION_ROUTE_TAKEN', async () => {
    const r = await h.as('operator')({ method: 'POST', url: '/api/v1/mitigations', payload: { kind: 'rtbh', prefix: '198.51.100.7/32', ttlSeconds: 600 } });
    assert.equal(r.statusCode, 409);
    assert.equal(r.json().error.code, 'BW_ERR_MITIGATION_ROUTE_TAKEN');
  });

  it('extends it from its current expiry, within the lifetime cap', async () => {
    const before = h.speaker!.routes.get(id)!.expiresAt!;
    const r = await h.as('admin')({ method: 'POST', url: `/api/v1/mitigations/${encodeURIComponent(id)}/extend`, payload: { seconds: 900 } });
    assert.equal(r.statusCode, 200, r.body);
    const after = h.speaker!.routes.get(id)!.expiresAt!;
    assert.ok(Math.abs(after - (before + 900_000)) < 2_000, `${after - before}`);
    assert.equal(h.speaker!.routes.get(id)!.owner, 'manual:user:operator');
    const tooLong = await h.as('admin')({ method: 'POST', url: `/api/v1/mitigations/${encodeURIComponent(id)}/extend`, payload: { seconds: 3600 } });
    assert.equal(tooLong.statusCode, 400);
    assert.equal(tooLong.json().error.code, 'BW_ERR_MITIGATION_TTL');
    assert.equal(h.deps.audit.query({ action: 'manual.extended' }).at(-1)?.actor, 'user:admin');
  });

  it('withdraws it: the speaker no longer holds it', async () => {
    const calls = h.speaker!.calls.length;
    const r = await h.as('operator')({ method: 'POST', url: `/api/v1/mitigations/${encodeURIComponent(id)}/withdraw` });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { withdrawn: true, manual: true });
    assert.equal(h.speaker!.routes.has(id), false);
    assert.deepEqual(h.speaker!.calls.slice(calls), [{ op: 'withdrawRtbh', id }]);
    assert.equal(h.deps.audit.query({ action: 'manual.withdrawn' }).at(-1)?.actor, 'user:operator');
  });
});

describe('manual FlowSpec', () => {
  it('announces a valid rule inside the protected networks and withdraws it', async () => {
    const rule = { family: 'ipv4', match: { destination: { prefix: '198.51.100.9/32' }, protocol: [[{ op: '=', value: 17 }]], sourcePort: [[{ op: '=', value: 123 }]] }, actions: [{ type: 'discard' }] };
    const r = await h.as('operator')({ method: 'POST', url: '/api/v1/mitigations', payload: { kind: 'flowspec', rule, ttlSeconds: 300 } });
    assert.equal(r.statusCode, 201, r.body);
    const m = r.json().mitigation;
    const route = h.speaker!.routes.get(m.id);
    assert.ok(route && route.kind === 'flowspec');
    assert.equal(route.rule.match.destination?.prefix, '198.51.100.9/32');
    assert.deepEqual(route.rule.actions, [{ type: 'discard' }]);
    const w = await h.as('operator')({ method: 'POST', url: `/api/v1/mitigations/${encodeURIComponent(m.id)}/withdraw` });
    assert.equal(w.statusCode, 200);
    assert.equal(h.speaker!.routes.has(m.id), false);
  });

  it('a rule outside the protected networks is refused with the FlowSpec code', async () => {
    const rule = { family: 'ipv4', match: { destination: { prefix: '203.0.113.9/32' } }, actions: [{ type: 'discard' }] };
    const r = await h.as('operator')({ method: 'POST', url: '/api/v1/mitigations', payload: { kind: 'flowspec', rule, ttlSeconds: 300 } });
    assert.equal(r.statusCode, 403, r.body);
    assert.equal(r.json().error.code, 'BW_ERR_FLOWSPEC_DESTINATION_NOT_PROTECTED');
  });

  it('a malformed rule is a validation error', async () => {
    const r = await h.as('operator')({ method: 'POST', url: '/api/v1/mitigations', payload: { kind: 'flowspec', rule: { family: 'ipv5' }, ttlSeconds: 300 } });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, 'BW_ERR_API_VALIDATION');
  });
});

describe('guardrails hold for manual mitigations', () => {
  const cases: [string, unknown, number, string][] = [
    ['a protected prefix', { kind: 'rtbh', prefix: '198.51.100.200', ttlSeconds: 600 }, 403, 'BW_ERR_MITIGATION_PROTECTED'],
    ['a lifetime over maxTtlSeconds', { kind: 'rtbh', prefix: '198.51.100.8', ttlSeconds: 7200 }, 400, 'BW_ERR_MITIGATION_TTL'],
    ['a lifetime under a minute', { kind: 'rtbh', prefix: '198.51.100.8', ttlSeconds: 5 }, 400, 'BW_ERR_API_VALIDATION'],
  ];
  for (const [name, payload, status, code] of cases) {
    it(`${name}: ${status} ${code}, nothing announced`, async () => {
      const before = routes().length;
      const r = await h.as('operator')({ method: 'POST', url: '/api/v1/mitigations', payload: payload as object });
      assert.equal(r.statusCode, status, r.body);
      assert.equal(r.json().error.code, code);
      assert.equal(routes().length, before);
    });
  }
});

describe('stop all and resume', () => {
  it('stop-all withdraws manual mitigations and refuses new ones until resume', async () => {
    await h.as('operator')({ method: 'POST', url: '/api/v1/mitigations', payload: { kind: 'rtbh', prefix: '198.51.100.11', ttlSeconds: 600 } });
    assert.equal(routes().length, 1);
    const s = await h.as('operator')({ method: 'POST', url: '/api/v1/mitigations/stop-all' });
    assert.equal(s.statusCode, 200, s.body);
    assert.equal(routes().length, 0);
    const sw = (await h.as('viewer')('/api/v1/mitigations/switch')).json();
    assert.equal(sw.stopped, true);
    assert.equal(sw.stopAll.by, 'user:operator');
    const refused = await h.as('operator')({ method: 'POST', url: '/api/v1/mitigations', payload: { kind: 'rtbh', prefix: '198.51.100.12', ttlSeconds: 600 } });
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.code, 'BW_ERR_MITIGATION_STOPPED');
    const r = await h.as('operator')({ method: 'POST', url: '/api/v1/mitigations/resume' });
    assert.equal(r.statusCode, 200);
    assert.equal((await h.as('viewer')('/api/v1/mitigations/switch')).json().stopped, false);
    const again = await h.as('operator')({ method: 'POST', url: '/api/v1/mitigations', payload: { kind: 'rtbh', prefix: '198.51.100.12', ttlSeconds: 600 } });
    assert.equal(again.statusCode, 201, again.body);
    const actions = h.deps.audit.query({ actor: 'user:operator' }).map((e) => e.action);
    assert.ok(actions.includes('stop-all') && actions.includes('resume'), actions.join(','));
  });
});

describe('runbook mitigations', () => {
  it('extend is for manual mitigations only; withdraw leaves the runbook mitigation stopped', async () => {
    const attack = sampleAttack({ id: 'mit-attack-1', target: '198.51.100.30', hostGroup: 'global', startedAt: Date.now(), updatedAt: Date.now() });
    h.appliance.bus.publish({ type: 'attack.started', attack });
    await eventually(() => h.appliance.mitigation.list().some((m) => m.id === attack.id));
    const e = await h.as('operator')({ method: 'POST', url: `/api/v1/mitigations/${attack.id}/extend`, payload: { seconds: 600 } });
    assert.equal(e.statusCode, 409);
    assert.equal(e.json().error.code, 'BW_ERR_MITIGATION_NOT_MANUAL');
    const w = await h.as('operator')({ method: 'POST', url: `/api/v1/mitigations/${attack.id}/withdraw` });
    assert.equal(w.statusCode, 200, w.body);
    assert.equal(w.json().manual, false);
    assert.equal(w.json().mitigation.phase, 'stopped');
    const entry = h.deps.audit.query({ attackId: attack.id, action: 'mitigation.withdrawn' }).at(-1);
    assert.equal(entry?.actor, 'user:operator');
  });

  it('approve: the waiting stage is approved by the person (audited under their name)', async () => {
    const attack = sampleAttack({ id: 'mit-attack-2', target: '198.51.100.31', vector: 'syn_flood', hostGroup: 'global', startedAt: Date.now(), updatedAt: Date.now() });
    h.appliance.bus.publish({ type: 'attack.started', attack });
    await eventually(() => h.appliance.mitigation.list().some((m) => m.id === attack.id && m.stages.some((s) => s.status === 'awaiting-approval')));
    const r = await h.as('operator')({ method: 'POST', url: `/api/v1/mitigations/${attack.id}/approve` });
    assert.equal(r.statusCode, 200, r.body);
    const granted = h.deps.audit.query({ attackId: attack.id, action: 'approval.granted' });
    assert.equal(granted.length, 1);
    assert.equal(granted[0]!.actor, 'user:operator');
    const again = await h.as('operator')({ method: 'POST', url: `/api/v1/mitigations/${attack.id}/approve` });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().error.code, 'BW_ERR_MITIGATION_NOT_FOUND');
  });
});

describe('live stream', () => {
  it('a peers event when a BGP session changes state (polled from the speaker)', async () => {
    const seen: unknown[] = [];
    const hub = h.deps.events;
    const publish = hub.publish.bind(hub);
    hub.publish = (event, data) => {
      if (event === 'peers') seen.push(data);
      publish(event, data);
    };
    h.speaker!.peers = async () => [{ name: 'edge1', address: '192.0.2.254', asn: 64500, state: 'established', since: 1, info: 'Established' }];
    try {
      await eventually(() => seen.some((d) => JSON.stringify(d).includes('"established"')), 7000);
    } finally {
      hub.publish = publish;
    }
    const last = seen.at(-1) as { peers: { name: string; state: string }[] };
    assert.deepEqual(last.peers.map((p) => [p.name, p.state]), [['edge1', 'established']]);
  });
});
