// The configuration routes: a body the schema refuses is 400 BW_ERR_API_VALIDATION and the file stays byte for
// byte; a runbook edit the whole-configuration check refuses is 400 BW_ERR_CONFIG_INVALID with its paths and
// changes nothing, the same edit made valid is written (previous file kept as .bak), reloaded into the running
// engine (active mitigations kept) and audited with its actor; changes that need a restart say so; secrets
// never come back in full, a masked secret sent back keeps the configured one; a channel's test message is
// delivered to a real receiver through the real notifier plugin.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startFakeProvider } from '@breakwater/sdk/testing';
import { sampleAttack } from '@breakwater/sdk/testing';
import { parse } from 'yaml';
import { FIXTURE_PLUGINS } from '../notify/helpers.js';
import { eventually, startRoutesHarness, type RoutesHarness } from './routes-support.js';

const HOOK_SECRET = 'whsec-routes-test-0123456789';
const MD5 = 'bgp-md5-s3cret-value';
const API_TOKEN = 'cf-api-token-0123456789abcdef';
const receiver = await startFakeProvider(() => ({ status: 204 }));
let h: RoutesHarness;

before(async () => {
  h = await startRoutesHarness({
    yaml: [
      '# operator comment: keep me',
      'networks: ["198.51.100.0/24"]',
      'hostGroups:',
      '  - name: web',
      '    prefixes: ["198.51.100.0/25"]',
      'bgp:',
      '  peers:',
      `    - { name: edge1, address: 192.0.2.254, asn: 64500, md5Password: ${MD5} }`,
      'plugins:',
      `  extraDirectories: ["${FIXTURE_PLUGINS}"]`,
      '  settings:',
      '    "@example/scrubber":',
      `      config: { accountId: acct-1, apiToken: ${API_TOKEN} }`,
      'notify:',
      '  channels:',
      '    hook:',
      '      plugin: "@breakwater/notifier-webhook"',
      '      secrets:',
      `        url: "${receiver.baseUrl}/hook"`,
      `        secret: "${HOOK_SECRET}"`,
      '',
    ].join('\n'),
  });
});
after(async () => {
  await h.close();
  await receiver.close();
});

const file = () => readFileSync(h.configPath, 'utf8');

describe('invalid bodies: 400 BW_ERR_API_VALIDATION, the file unchanged byte for byte', () => {
  const cases: [string, string, unknown][] = [
    ['PUT', '/api/v1/runbooks', { runbooks: [{ name: 'x', mode: 'sometimes' }] }],
    ['PUT', '/api/v1/runbooks', { runbooks: 'all of them' }],
    ['PUT', '/api/v1/runbooks', { runbooks: [], extra: 1 }],
    ['PUT', '/api/v1/host-groups', { hostGroups: [{ name: 'web', prefixes: ['not a prefix'] }] }],
    ['PUT', '/api/v1/protected-prefixes', { prefixes: ['192.0.2.0'] }],
    ['PUT', '/api/v1/peers', { peers: [{ name: 'edge1', address: '192.0.2.254', asn: 'sixty-four' }] }],
    ['PUT', '/api/v1/notifiers', { channels: { 'Bad Name': { plugin: 'x' } } }],
    ['PUT', `/api/v1/plugins/${encodeURIComponent('@breakwater/notifier-webhook')}/config`, { config: {}, isolation: 'elsewhere' }],
  ];
  for (const [method, url, payload] of cases) {
    it(`${method} ${url} ${JSON.stringify(payload).slice(0, 60)}`, async () => {
      const before = file();
      const r = await h.as('admin')({ method: method as 'PUT', url, payload: payload as object });
      assert.equal(r.statusCode, 400, r.body);
      const error = r.json().error;
      assert.equal(error.code, 'BW_ERR_API_VALIDATION');
      assert.ok(Array.isArray(error.details.problems) && error.details.problems.length > 0);
      assert.equal(file(), before);
      assert.equal(existsSync(`${h.configPath}.bak`), false);
    });
  }
});

describe('a runbook edit: refused, then accepted', () => {
  it('refused by the whole-configuration check: BW_ERR_CONFIG_INVALID with the path, nothing changed, refusal audited', async () => {
    const before = file();
    const runbooks = [{ name: 'web', match: { hostGroups: ['no-such-group'] }, stages: [{ name: 'rtbh', tier: '@breakwater/tier-rtbh' }] }];
    const r = await h.as('admin')({ method: 'PUT', url: '/api/v1/runbooks', payload: { runbooks } });
    assert.equal(r.statusCode, 400, r.body);
    assert.equal(r.json().error.code, 'BW_ERR_CONFIG_INVALID');
    assert.ok(r.json().error.details.problems.some((p: { path: string }) => p.path === '/runbooks/0/match/hostGroups/0'));
    assert.equal(file(), before);
    assert.deepEqual(h.config().runbooks, []);
    const refused = h.deps.audit.query({ action: 'config.refused' });
    assert.equal(refused.at(-1)?.actor, 'user:admin');
  });

  it('accepted: written with .bak, reloaded into the running engine, active mitigations kept, audited', async () => {
    // An active mitigation (the default runbook, detect-only) before the change.
    const attack = sampleAttack({ id: 'cfg-attack-1', target: '198.51.100.10', hostGroup: 'web', startedAt: Date.now(), updatedAt: Date.now() });
    h.appliance.bus.publish({ type: 'attack.started', attack });
    await eventually(() => h.appliance.mitigation.list().some((m) => m.id === attack.id));
    const before = file();
    const runbooks = [{ name: 'web', match: { hostGroups: ['web'] }, mode: 'approve', stages: [{ name: 'rtbh', tier: '@breakwater/tier-rtbh' }] }];
    const r = await h.as('admin')({ method: 'PUT', url: '/api/v1/runbooks', payload: { runbooks } });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { changed: ['runbooks'], applied: ['runbooks'], restartNeeded: [] });
    assert.equal(readFileSync(`${h.configPath}.bak`, 'utf8'), before);
    const written = file();
    assert.match(written, /# operator comment: keep me/);
    assert.equal((parse(written) as { runbooks: { name: string }[] }).runbooks[0]!.name, 'web');
    // The running engine has it: the config in force, the engine's reload audit entry, GET /runbooks.
    assert.equal(h.config().runbooks[0]!.name, 'web');
    assert.ok(h.deps.audit.query({ action: 'config.reloaded' }).some((e) => (e.detail as { runbooks: string[] }).runbooks.includes('web')));
    const got = await h.as('viewer')('/api/v1/runbooks');
    assert.deepEqual(got.json().inForce, ['web']);
    // The mitigation that was running is still there, with the runbook it started with.
    const kept = h.appliance.mitigation.list().find((m) => m.id === attack.id);
    assert.ok(kept);
    assert.equal(kept.runbook, 'default');
    const audited = h.deps.audit.query({ action: 'config.changed' }).at(-1);
    assert.equal(audited?.actor, 'user:admin');
    assert.equal(audited?.resource, 'runbooks');
  });

  it('validate reports a draft\'s problems with their paths and writes nothing', async () => {
    const before = file();
    const bad = await h.as('viewer')({ method: 'POST', url: '/api/v1/runbooks/validate', payload: { runbooks: [{ name: 'a', stages: [{ name: 's', tier: 't', maxLifetimeSeconds: 10_000_000 }] }] } });
    assert.equal(bad.statusCode, 200);
    assert.equal(bad.json().ok, false);
    assert.ok(bad.json().problems.some((p: { path: string }) => p.path.startsWith('/runbooks/0/stages/0/maxLifetimeSeconds')), bad.body);
    const good = await h.as('viewer')({ method: 'POST', url: '/api/v1/runbooks/validate', payload: { runbooks: [{ name: 'a', stages: [{ name: 's', tier: 't' }] }] } });
    assert.deepEqual(good.json(), { ok: true, problems: [] });
    assert.equal(file(), before);
  });
});

describe('sections that need a restart, and the protected prefixes that do not', () => {
  it('host groups: written, restartNeeded names them', async () => {
    const r = await h.as('admin')({ method: 'PUT', url: '/api/v1/host-groups', payload: { hostGroups: [{ name: 'web', prefixes: ['198.51.100.0/25'] }, { name: 'dns', prefixes: ['198.51.100.128/26'], thresholds: { total: { pps: 5000 } } }] } });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { changed: ['hostGroups'], applied: [], restartNeeded: ['hostGroups'] });
    assert.equal((parse(file()) as { hostGroups: unknown[] }).hostGroups.length, 2);
  });

  it('protected prefixes apply at once', async () => {
    const r = await h.as('admin')({ method: 'PUT', url: '/api/v1/protected-prefixes', payload: { prefixes: ['192.0.2.0/24'] } });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().applied, ['mitigation']);
    assert.deepEqual(h.config().mitigation.guardrails.protectedPrefixes, ['192.0.2.0/24']);
    assert.deepEqual((await h.as('viewer')('/api/v1/protected-prefixes')).json(), { prefixes: ['192.0.2.0/24'] });
  });

  it('an unchanged document writes nothing', async () => {
    const r = await h.as('admin')({ method: 'PUT', url: '/api/v1/protected-prefixes', payload: { prefixes: ['192.0.2.0/24'] } });
    assert.deepEqual(r.json(), { changed: [], applied: [], restartNeeded: [] });
  });
});

describe('secrets', () => {
  it('never come back in full: notifiers, peers, settings', async () => {
    for (const url of ['/api/v1/notifiers', '/api/v1/peers', '/api/v1/settings', '/api/v1/plugins']) {
      const r = await h.as('viewer')(url);
      assert.equal(r.statusCode, 200, r.body);
      assert.ok(!r.body.includes(HOOK_SECRET), `${url} shows the webhook secret`);
      assert.ok(!r.body.includes(MD5), `${url} shows the md5 password`);
      assert.ok(!r.body.includes(API_TOKEN), `${url} shows a plugin's API token`);
      assert.ok(!r.body.includes(`${receiver.baseUrl}/hook`), `${url} shows the webhook URL`);
    }
    const channels = (await h.as('viewer')('/api/v1/notifiers')).json().channels;
    assert.match(channels.hook.secrets.secret, /^••••/);
    assert.match(channels.hook.secrets.url, /^http:\/\/127\.0\.0\.1:\d+\/••••$/);
    const peers = (await h.as('viewer')('/api/v1/peers')).json().peers;
    assert.match(peers[0].config.md5Password, /^••••/);
    const settings = (await h.as('viewer')('/api/v1/settings')).json().config;
    assert.deepEqual(settings.plugins.settings['@example/scrubber'].config, { accountId: 'acct-1', apiToken: '••••cdef' });
  });

  it('sent back masked, keep the configured value; a new value replaces it', async () => {
    const shown = (await h.as('viewer')('/api/v1/notifiers')).json().channels.hook;
    const r = await h.as('admin')({
      method: 'PUT',
      url: '/api/v1/notifiers',
      payload: { channels: { hook: { plugin: shown.plugin, secrets: { url: shown.secrets.url, secret: shown.secrets.secret }, minSeverity: 'medium' } } },
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().restartNeeded, ['notify']);
    const doc = parse(file()) as { notify: { channels: { hook: { secrets: Record<string, string>; minSeverity: string } } } };
    assert.equal(doc.notify.channels.hook.secrets.secret, HOOK_SECRET);
    assert.equal(doc.notify.channels.hook.secrets.url, `${receiver.baseUrl}/hook`);
    assert.equal(doc.notify.channels.hook.minSeverity, 'medium');

    const peers = (await h.as('viewer')('/api/v1/peers')).json().peers;
    const p = await h.as('admin')({ method: 'PUT', url: '/api/v1/peers', payload: { peers: [{ ...peers[0].config, asn: 64501 }] } });
    assert.equal(p.statusCode, 200, p.body);
    const bgp = (parse(file()) as { bgp: { peers: { asn: number; md5Password: string }[] } }).bgp;
    assert.deepEqual([bgp.peers[0]!.asn, bgp.peers[0]!.md5Password], [64501, MD5]);
  });

  it('a masked secret with nothing configured to keep is refused', async () => {
    const before = file();
    const r = await h.as('admin')({ method: 'PUT', url: '/api/v1/notifiers', payload: { channels: { other: { plugin: '@breakwater/notifier-webhook', secrets: { url: 'http://x/••••' } } } } });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, 'BW_ERR_API_VALIDATION');
    assert.equal(file(), before);
  });
});

describe('plugin settings are checked against the plugin\'s own schema before anything is written', () => {
  it('a wrong setting: BW_ERR_CONFIG_INVALID naming the plugin setting, file unchanged', async () => {
    const before = file();
    const r = await h.as('admin')({ method: 'PUT', url: `/api/v1/plugins/${encodeURIComponent('@breakwater/notifier-webhook')}/config`, payload: { config: { url: 42 } } });
    assert.equal(r.statusCode, 400, r.body);
    assert.equal(r.json().error.code, 'BW_ERR_CONFIG_INVALID');
    assert.ok(r.json().error.details.problems.some((p: { path: string }) => p.path === '/plugins/settings/@breakwater/notifier-webhook/config'), r.body);
    assert.equal(file(), before);
  });

  it('a plugin secret sent back masked keeps the configured value', async () => {
    const r = await h.as('admin')({ method: 'PUT', url: `/api/v1/plugins/${encodeURIComponent('@breakwater/notifier-webhook')}/config`, payload: { enabled: false, config: { token: 'a-brand-new-token-value-xyz' } } });
    assert.equal(r.statusCode, 200, r.body);
    // Plugin settings wait for a restart, so the running configuration (what GET shows) still has the old ones:
    // the masked form GET would show for the new token is its last four characters.
    const masked = '••••-xyz';
    const again = await h.as('admin')({ method: 'PUT', url: `/api/v1/plugins/${encodeURIComponent('@breakwater/notifier-webhook')}/config`, payload: { enabled: false, config: { token: masked } } });
    assert.equal(again.statusCode, 200, again.body);
    const doc = parse(file()) as { plugins: { settings: Record<string, { config: { token: string } }> } };
    assert.equal(doc.plugins.settings['@breakwater/notifier-webhook']!.config.token, 'a-brand-new-token-value-xyz');
  });

  it('a plugin that is not installed: 404 BW_ERR_PLUGIN_NOT_FOUND', async () => {
    const r = await h.as('admin')({ method: 'PUT', url: `/api/v1/plugins/${encodeURIComponent('@example/nothing')}/config`, payload: { config: {} } });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error.code, 'BW_ERR_PLUGIN_NOT_FOUND');
  });
});

describe('notifier test-send', () => {
  it('delivers one test message through the channel\'s plugin to the receiver, audited with the actor', async () => {
    receiver.requests.length = 0;
    const r = await h.as('operator')({ method: 'POST', url: '/api/v1/notifiers/hook/test' });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().ok, true);
    assert.equal(receiver.requests.length, 1);
    assert.equal(receiver.requests[0]!.path, '/hook');
    const { event } = JSON.parse(receiver.requests[0]!.body) as { event: { type: string; channel: string } };
    assert.deepEqual([event.type, event.channel], ['notify.test', 'hook']);
    assert.equal(h.deps.audit.query({ action: 'notify.test' }).at(-1)?.actor, 'user:operator');
    assert.ok(!r.body.includes(HOOK_SECRET));
  });
});
