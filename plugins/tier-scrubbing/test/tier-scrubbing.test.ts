// Tier 4 against local HTTP servers that check each request against the provider's documented API:
// Cloudflare's Magic Transit on-demand advertisement (the BGP Prefixes endpoint and the older bgp/status one,
// Bearer token, JSON bodies, the {success, errors, result} envelope), a webhook receiver that verifies the
// HMAC-SHA256 signature over timestamp.body; and the BGP diversion community through ctx.bgp.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { after, before, test } from 'node:test';
import { loadTier, sampleAttack, sampleStage, startFakeProvider, type FakeAnswer, type FakeProvider, type RecordedRequest } from '@breakwater/sdk/testing';
import tier from '../src/index.js';
import { coveringPrefix, inside } from '../src/prefix.js';

const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
const TOKEN = 'cf-test-token-0123456789';
const PREFIX_ID = '2af39739cc4e3b5910c918468bb89828';
const BGP_PREFIX_ID = '7009ba364c7a5760798ceb430e603b74';
const LEGACY_PREFIX_ID = '9a7806061c88ada191ed06f989cc3dac';

/** Cloudflare as its API reference describes it, with state: which prefixes are advertised. */
function cloudflare(): (r: RecordedRequest) => FakeAnswer {
  const advertised = new Map<string, boolean>([[BGP_PREFIX_ID, false], [LEGACY_PREFIX_ID, false]]);
  const fail = (status: number, code: number, message: string): FakeAnswer => ({ status, body: { success: false, errors: [{ code, message }], messages: [], result: null } });
  return (r) => {
    if (r.headers.authorization !== `Bearer ${TOKEN}`) return fail(403, 10000, 'Authentication error');
    const bgpPrefix = r.path.match(/^\/client\/v4\/accounts\/([0-9a-f]{32})\/addressing\/prefixes\/([0-9a-f]{32})\/bgp\/prefixes\/([0-9a-f]{32})$/);
    const status = r.path.match(/^\/client\/v4\/accounts\/([0-9a-f]{32})\/addressing\/prefixes\/([0-9a-f]{32})\/bgp\/status$/);
    const match = bgpPrefix ?? status;
    if (match === null || match[1] !== ACCOUNT) return fail(404, 1000, `no route ${r.method} ${r.path}`);
    const key = bgpPrefix !== null ? bgpPrefix[3]! : match[2]!;
    if (bgpPrefix !== null && match[2] !== PREFIX_ID) return fail(404, 1002, 'prefix not found');
    if (!advertised.has(key)) return fail(404, 1002, 'prefix not found');
    if (r.method === 'PATCH') {
      if (r.headers['content-type'] !== 'application/json') return fail(400, 1003, 'Content-Type must be application/json');
      const body = JSON.parse(r.body) as Record<string, unknown>;
      const wanted = bgpPrefix !== null ? (body.on_demand as { advertised?: unknown } | undefined)?.advertised : body.advertised;
      const keys = Object.keys(body);
      const shapeOk = bgpPrefix !== null ? keys.length === 1 && keys[0] === 'on_demand' && Object.keys(body.on_demand as object).join() === 'advertised' : keys.join() === 'advertised';
      if (!shapeOk || typeof wanted !== 'boolean') return fail(400, 1003, `unexpected body ${r.body}`);
      advertised.set(key, wanted);
    } else if (r.method !== 'GET') return fail(405, 1004, 'method not allowed');
    const now = new Date().toISOString();
    const result =
      bgpPrefix !== null
        ? { id: key, cidr: '203.0.113.0/24', asn: 13335, on_demand: { advertised: advertised.get(key), advertised_modified_at: now, on_demand_enabled: true, on_demand_locked: false } }
        : { advertised: advertised.get(key), advertised_modified_at: now };
    return { status: 200, body: { success: true, errors: [], messages: [], result } };
  };
}

let cf: FakeProvider;
before(async () => {
  cf = await startFakeProvider(cloudflare());
});
after(() => cf.close());

const mtConfig = () => ({
  magicTransit: {
    apiBase: `${cf.baseUrl}/client/v4`,
    accountId: ACCOUNT,
    apiToken: TOKEN,
    prefixes: [
      { cidr: '203.0.113.0/24', prefixId: PREFIX_ID, bgpPrefixId: BGP_PREFIX_ID },
      { cidr: '198.51.100.0/24', prefixId: LEGACY_PREFIX_ID },
    ],
  },
});
const stage = (provider: string) => sampleStage({ name: 'scrub', index: 2, settings: { provider }, ttlSeconds: 3600 });

test('Magic Transit: advertises the BYOIP prefix holding the victim, verifies it, withdraws it (BGP Prefixes API)', async () => {
  const { hooks, ctx } = await loadTier(tier, { config: mtConfig() });
  const attack = sampleAttack();
  const seen = cf.requests.length;
  const engagement = await hooks.engage(attack, stage('magic-transit'), ctx.signal);
  const patch = cf.requests[seen]!;
  assert.equal(patch.method, 'PATCH');
  assert.equal(patch.path, `/client/v4/accounts/${ACCOUNT}/addressing/prefixes/${PREFIX_ID}/bgp/prefixes/${BGP_PREFIX_ID}`);
  assert.deepEqual(JSON.parse(patch.body), { on_demand: { advertised: true } });
  assert.equal(engagement.id, `magic-transit:${PREFIX_ID}/${BGP_PREFIX_ID}`);
  assert.match(engagement.summary, /Magic Transit advertises 203\.0\.113\.0\/24/);
  assert.deepEqual(await hooks.verify!(engagement, ctx.signal), { state: 'active' });
  assert.equal(cf.requests.at(-1)?.method, 'GET');
  await hooks.disengage(engagement, attack, ctx.signal);
  assert.deepEqual(JSON.parse(cf.requests.at(-1)!.body), { on_demand: { advertised: false } });
  assert.equal((await hooks.verify!(engagement, ctx.signal)).state, 'gone');
  assert.equal(ctx.calls.length, 0, 'no BGP facade call for Magic Transit');
});

test('Magic Transit: a prefix onboarded without a BGP prefix id uses the older bgp/status endpoint', async () => {
  const { hooks, ctx } = await loadTier(tier, { config: mtConfig() });
  const attack = sampleAttack({ target: '198.51.100.20' });
  const engagement = await hooks.engage(attack, stage('magic-transit'), ctx.signal);
  const patch = cf.requests.at(-1)!;
  assert.equal(patch.path, `/client/v4/accounts/${ACCOUNT}/addressing/prefixes/${LEGACY_PREFIX_ID}/bgp/status`);
  assert.deepEqual(JSON.parse(patch.body), { advertised: true });
  await hooks.disengage(engagement, attack, ctx.signal);
  assert.deepEqual(JSON.parse(cf.requests.at(-1)!.body), { advertised: false });
});

test('Magic Transit: a victim outside every onboarded prefix, or an error from Cloudflare, fails the stage', async () => {
  const { hooks, ctx } = await loadTier(tier, { config: mtConfig() });
  const before = cf.requests.length;
  await assert.rejects(async () => hooks.engage(sampleAttack({ target: '192.0.2.5' }), stage('magic-transit'), ctx.signal), /no Magic Transit prefix configured holds 192\.0\.2\.5/);
  assert.equal(cf.requests.length, before, 'nothing was sent');
  const wrongToken = await loadTier(tier, { config: { magicTransit: { ...mtConfig().magicTransit, apiToken: 'wrong' } } });
  await assert.rejects(async () => wrongToken.hooks.engage(sampleAttack(), stage('magic-transit'), wrongToken.ctx.signal), /HTTP 403\): 10000 Authentication error/);
});

test('webhook: divert and withdraw are POSTed with an HMAC-SHA256 signature over timestamp.body that a receiver can verify', async () => {
  const secret = 'a-shared-secret-of-some-length';
  const verified: Record<string, unknown>[] = [];
  const receiver = await startFakeProvider((r) => {
    const timestamp = Number(r.headers['x-breakwater-timestamp']);
    const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${r.body}`).digest('hex')}`);
    const given = Buffer.from(String(r.headers['x-breakwater-signature']));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { status: 401, body: 'bad signature' };
    if (Math.abs(Date.now() / 1000 - timestamp) > 300) return { status: 401, body: 'stale' };
    if (r.method !== 'POST' || r.headers['content-type'] !== 'application/json') return { status: 400, body: 'json POST expected' };
    verified.push(JSON.parse(r.body) as Record<string, unknown>);
    return { status: 202, body: { accepted: true } };
  });
  try {
    const { hooks, ctx } = await loadTier(tier, { config: { webhook: { url: `${receiver.baseUrl}/divert`, secret } } });
    const attack = sampleAttack();
    const engagement = await hooks.engage(attack, stage('webhook'), ctx.signal);
    assert.equal(engagement.id, 'webhook:203.0.113.0/24');
    await hooks.disengage(engagement, attack, ctx.signal);
    assert.deepEqual(
      verified.map((v) => [v.action, v.reference, v.prefix]),
      [
        ['divert', 'webhook:203.0.113.0/24', '203.0.113.0/24'],
        ['withdraw', 'webhook:203.0.113.0/24', '203.0.113.0/24'],
      ],
    );
    assert.deepEqual((verified[0]?.attack as { id: string; target: string }).target, '203.0.113.10');
    assert.deepEqual(verified[0]?.stage, { runbook: 'default', name: 'scrub', index: 2 });
    assert.equal(verified[0]?.ttlSeconds, 3600);

    const wrong = await loadTier(tier, { config: { webhook: { url: `${receiver.baseUrl}/divert`, secret: 'not-the-shared-secret' } } });
    await assert.rejects(async () => wrong.hooks.engage(attack, stage('webhook'), wrong.ctx.signal), /HTTP 401: bad signature/);
  } finally {
    await receiver.close();
  }
});

test('BGP diversion community: the covering prefix is announced through ctx.bgp with the configured communities', async () => {
  const { hooks, ctx } = await loadTier(tier, { config: { bgpCommunity: { communities: ['65000:9999', '65000:1'] } } });
  const attack = sampleAttack();
  const engagement = await hooks.engage(attack, stage('bgp-community'), ctx.signal);
  assert.deepEqual(ctx.calls[0]?.args, ['203.0.113.0/24', { attackId: attack.id, ttlSeconds: 3600, communities: ['65000:9999', '65000:1'] }]);
  assert.equal(engagement.summary, 'diversion of 203.0.113.0/24 with 65000:9999 65000:1, 3600 s');
  await hooks.disengage(engagement, attack, ctx.signal);
  assert.deepEqual(ctx.calls.map((c) => c.method), ['announceDiversion', 'withdrawDiversion']);
  await hooks.engage(sampleAttack({ target: '2001:db8:5:6::10', ipVersion: 6 }), stage('bgp-community'), ctx.signal);
  assert.equal(ctx.calls.at(-1)?.args[0], '2001:db8:5::/48');
});

test('BGP diversion community: large communities pass through, a stage may divert another length (the /32 alone), bad settings fail', async () => {
  const communities = ['65000:666', '65000:1:2'];
  const { hooks, ctx } = await loadTier(tier, { config: { bgpCommunity: { communities } } });
  const attack = sampleAttack();
  await hooks.engage(attack, sampleStage({ settings: { provider: 'bgp-community', prefixLengthIpv4: 32 }, ttlSeconds: 600 }), ctx.signal);
  assert.deepEqual(ctx.calls.at(-1)?.args, ['203.0.113.10/32', { attackId: attack.id, ttlSeconds: 600, communities }]);
  await hooks.engage(sampleAttack({ target: '2001:db8:5:6::10', ipVersion: 6 }), sampleStage({ settings: { provider: 'bgp-community', prefixLengthIpv6: 64 } }), ctx.signal);
  assert.equal(ctx.calls.at(-1)?.args[0], '2001:db8:5:6::/64');
  await assert.rejects(async () => hooks.engage(attack, sampleStage({ settings: { provider: 'bgp-community', prefixLengthIpv4: 7 } }), ctx.signal), /prefixLengthIpv4/);
  const bad = await loadTier(tier, { config: { bgpCommunity: { communities: ['65000:1:2:3'] } } }).then(
    () => 'loaded',
    (err: Error) => err.message,
  );
  assert.match(bad, /communities/);
});

test('a provider the stage names but the config lacks, or a stage without a provider, fails with what to configure', async () => {
  const { hooks, ctx } = await loadTier(tier);
  await assert.rejects(async () => hooks.engage(sampleAttack(), stage('webhook'), ctx.signal), /webhook provider is not configured/);
  await assert.rejects(async () => hooks.engage(sampleAttack(), sampleStage({ settings: {} }), ctx.signal), /provider: magic-transit, bgp-community or webhook/);
});

test('prefix helpers: covering prefixes and containment, IPv4 and IPv6', () => {
  assert.equal(coveringPrefix('203.0.113.10', 24, 48), '203.0.113.0/24');
  assert.equal(coveringPrefix('203.0.113.0/22', 24, 48), '203.0.112.0/22');
  assert.equal(coveringPrefix('2001:db8::1', 24, 64), '2001:db8::/64');
  assert.ok(inside('203.0.113.10', '203.0.113.0/24'));
  assert.ok(!inside('203.0.114.10', '203.0.113.0/24'));
  assert.ok(inside('2001:db8:5::1', '2001:db8::/32'));
  assert.ok(!inside('2001:db8::1', '203.0.113.0/24'));
});
