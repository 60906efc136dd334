// The panel's configuration editors and the attack chart's history, in a real browser (chromium through
// playwright-core) against a real appliance (the same fixture as panel.test.ts): a host-group threshold edit
// refused with its failing path shown, then saved (the file changes; the answer says it waits for a restart); a
// peer's AS number refused, its TCP-MD5 password saved and kept when sent back masked; a notifier channel added in the editor and test-sent to a local HTTP receiver (the receiver gets the signed
// test event); and an attack's page opened only after the attack ended still charts its rate (the series is
// kept from attack.started). Screenshots go to test-artifacts/panel/.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { ARTIFACTS, CHROMIUM, panelTestsBlocked, startPanelAppliance, type PanelAppliance } from './support/panel-appliance.js';

const blocked = panelTestsBlocked();
const ADMIN = { username: 'admin', password: 'correct horse battery staple' };
const TARGET = '203.0.113.10';
const HOOK_SECRET = 'panel-editor-hook-secret-0123';

let bw: PanelAppliance;
let browser: Browser;
let page: Page;
let receiver: Server;
const received: { headers: IncomingMessage['headers']; body: string }[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function menu(label: string): Promise<void> {
  await page.locator('nav.sidenav a', { hasText: label }).click();
}

before(async () => {
  if (blocked !== undefined) throw new Error(`the panel's browser tests cannot run: ${blocked}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  bw = await startPanelAppliance();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  // The administrator through the API's setup route, then a sign-in through the panel.
  await page.goto(`${bw.url}/login`);
  const setup = await page.evaluate(async (body) => (await fetch('/api/v1/setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status, { token: bw.setupToken, ...ADMIN });
  assert.ok(setup < 300, `setup answered ${setup}`);
  await page.goto(`${bw.url}/login`);
  await page.locator('input[name=username]').fill(ADMIN.username);
  await page.locator('input[name=password]').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('whoami').waitFor();
});

after(
  async () => {
    await browser?.close();
    await bw?.stop();
    await new Promise<void>((resolve) => (receiver === undefined ? resolve() : receiver.close(() => resolve())));
    setTimeout(() => {
      console.error(`panel-editors.test: still running 15 s after cleanup; open handles: ${process.getActiveResourcesInfo().join(', ')}`);
      process.exit(1);
    }, 15_000).unref();
  },
  { timeout: 30_000 },
);

test('host groups: a bad threshold is refused with its path shown; a good one is written to the file, waiting for a restart', { timeout: 60_000 }, async () => {
  await menu('Settings');
  const editor = page.locator('textarea[name=host-groups]');
  await editor.waitFor();
  const shown = parse(await editor.inputValue()) as { networks: string[]; hostGroups: unknown[]; defaults: Record<string, unknown> };
  assert.deepEqual(shown.networks, ['203.0.113.0/24'], 'the configured networks are shown');
  const group = (pps: number) => ({ ...shown, hostGroups: [{ name: 'web', prefixes: ['203.0.113.0/28'], thresholds: { total: { pps } } }] });
  await editor.fill(stringify(group(-5)));
  await page.getByRole('button', { name: 'Save host groups' }).click();
  const refused = page.getByRole('alert').filter({ hasText: 'Host groups not saved' });
  await refused.waitFor();
  assert.match(await refused.innerText(), /BW_ERR_(API_VALIDATION|CONFIG_INVALID)/);
  assert.match(await refused.innerText(), /hostGroups\/0\/thresholds\/total\/pps/, 'the failing path is shown');
  assert.doesNotMatch(readFileSync(bw.configPath, 'utf8'), /name: web/, 'nothing written while invalid');
  await shot('20-host-groups-refused');

  await editor.fill(stringify(group(50_000)));
  await page.getByRole('button', { name: 'Save host groups' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved. Applied now: nothing; needs a restart: hostGroups.' }).waitFor();
  const written = parse(readFileSync(bw.configPath, 'utf8')) as { hostGroups: { name: string; thresholds: { total: { pps: number } } }[]; detection: Record<string, unknown> };
  assert.deepEqual(written.hostGroups.map((g) => [g.name, g.thresholds.total.pps]), [['web', 50_000]]);
  assert.equal(written.detection.thresholds, undefined, 'unchanged global thresholds are not written out');
  assert.match(readFileSync(bw.configPath, 'utf8'), /^# written by/, 'the file keeps its comment');
  await shot('21-host-groups-saved');
  // Opened again before the restart: the saved text, marked as waiting (the API still shows the groups in force).
  await menu('Dashboard');
  await menu('Settings');
  await page.locator('[data-testid=editor-host-groups] [data-testid=pending-restart]').waitFor();
  assert.match(await page.locator('textarea[name=host-groups]').inputValue(), /name: web/);
});

test('peers: a bad AS number refused with its path; a TCP-MD5 password saved, then kept when saved again masked', { timeout: 60_000 }, async () => {
  await menu('Peers');
  const editor = page.locator('textarea[name=peers]');
  await editor.waitFor();
  const shown = parse(await editor.inputValue()) as { name: string; asn: number; md5Password?: string }[];
  assert.deepEqual(shown.map((p) => [p.name, p.asn]), [['demo_router', 64500]]);
  await editor.fill(stringify([{ ...shown[0], asn: 0 }]));
  await page.getByRole('button', { name: 'Save peers' }).click();
  const refused = page.getByRole('alert').filter({ hasText: 'Peers not saved' });
  await refused.waitFor();
  assert.match(await refused.innerText(), /peers\/0\/asn/, 'the failing path is shown');
  const password = 'panel-md5-pass';
  await editor.fill(stringify([{ ...shown[0], md5Password: password }]));
  await page.getByRole('button', { name: 'Save peers' }).click();
  await page.getByRole('status').filter({ hasText: 'needs a restart: bgp' }).waitFor();
  const written = () => (parse(readFileSync(bw.configPath, 'utf8')) as { bgp: { peers: { md5Password?: string; asn: number }[] } }).bgp.peers[0]!;
  assert.equal(written().md5Password, password);
  // A masked password (as the API shows secrets: ••••) left in the editor with another change keeps the saved one.
  await editor.fill(stringify([{ ...shown[0], asn: 64501, md5Password: '••••' }]));
  await page.getByRole('button', { name: 'Save peers' }).click();
  await page.getByRole('status').filter({ hasText: 'needs a restart: bgp' }).waitFor();
  assert.equal(written().asn, 64501);
  assert.equal(written().md5Password, password, 'the masked value kept the configured password');
});

test('notifiers: a webhook channel added in the editor, then test-sent to a local receiver before the restart', { timeout: 60_000 }, async () => {
  await menu('Notifiers');
  const editor = page.locator('textarea[name=notifiers]');
  await editor.waitFor();
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  // A secret too short for the plugin's schema: refused with the channel's path.
  const channels = (secret: string) => ({ panelUrl: '', channels: { hook: { plugin: '@breakwater/notifier-webhook', secrets: { url: hookUrl, secret } } } });
  await editor.fill(stringify(channels('short')));
  await page.getByRole('button', { name: 'Save notifier channels' }).click();
  const refused = page.getByRole('alert').filter({ hasText: 'Notifier channels not saved' });
  await refused.waitFor();
  assert.match(await refused.innerText(), /\/notify\/channels\/hook/, 'the failing channel is shown');
  assert.ok(!(await refused.innerText()).includes('short'), 'the secret is not echoed');

  await editor.fill(stringify(channels(HOOK_SECRET)));
  await page.getByRole('button', { name: 'Save notifier channels' }).click();
  await page.getByRole('status').filter({ hasText: 'needs a restart: notify' }).waitFor();
  const doc = parse(readFileSync(bw.configPath, 'utf8')) as { notify: { channels: { hook: { secrets: Record<string, string> } } } };
  assert.equal(doc.notify.channels.hook.secrets.secret, HOOK_SECRET);
  assert.ok(!(await editor.inputValue()).includes(HOOK_SECRET), 'the secret is masked in the editor once saved');
  assert.ok(!(await page.evaluate(() => JSON.stringify({ ...(globalThis as unknown as { sessionStorage: Record<string, string> }).sessionStorage }))).includes(HOOK_SECRET), 'nor kept in the tab\'s storage');
  await page.locator('input[name=test-channel]').fill('hook');
  await page.getByRole('button', { name: 'Test this channel' }).click();
  await page.getByRole('status').filter({ hasText: 'Test message sent through hook' }).waitFor();
  assert.equal(received.length, 1, 'the receiver got one message');
  const event = (JSON.parse(received[0]!.body) as { event: { type: string; id: string } }).event;
  assert.equal(event.type, 'notify.test');
  assert.equal(received[0]!.headers['x-breakwater-event'], 'notify.test');
  assert.match(String(received[0]!.headers['x-breakwater-signature']), /^v1=[0-9a-f]{64}$/, 'signed with the saved secret');
  await shot('22-notifier-added-and-tested');
});

test('the attack page charts the rate of an attack opened only after it ended', { timeout: 120_000 }, async () => {
  await bw.startTraffic({ firstAttackSeconds: 2, attackSeconds: 8 });
  // Nobody opens the attack (nor asks for its series) while it lasts.
  type Listed = { attacks: { attack: { id: string; target: string }; active: boolean }[] };
  let ended: { id: string } | undefined;
  const deadline = Date.now() + 90_000;
  while (ended === undefined && Date.now() < deadline) {
    await sleep(1000);
    const list = (await page.evaluate(async () => (await fetch('/api/v1/attacks?limit=10')).json())) as Listed;
    ended = list.attacks.find((a) => a.attack.target === TARGET && !a.active)?.attack;
  }
  assert.ok(ended !== undefined, 'the attack ended');
  await page.goto(`${bw.url}/attacks/${encodeURIComponent(ended.id)}`);
  await page.getByRole('heading', { name: /on 203\.0\.113\.10/ }).waitFor();
  await page.getByText(/ended \(/).first().waitFor();
  const chart = page.locator('section.card', { hasText: 'Rate, threshold and baseline' }).locator('.chart');
  await chart.locator('canvas').waitFor();
  const points = Number(await chart.getAttribute('data-points'));
  assert.ok(points >= 5, `${points} points charted`);
  const series = (await page.evaluate(async (t) => (await fetch(`/api/v1/traffic/series?target=${t}&seconds=600`)).json(), TARGET)) as { points: [number, number, number][] };
  assert.ok(series.points.filter((p) => p[1] > 0).length >= 3, 'the attack\'s rate is in the series');
  assert.equal(await page.getByText('No per-second history').count(), 0);
  await shot('23-ended-attack-chart');
});

test('a viewer sees every editor read-only, with no save button', { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  try {
    const viewer = await context.newPage();
    await viewer.goto(`${bw.url}/login`);
    // The admin makes the viewer through the API (its own session, with its CSRF token).
    const made = await viewer.evaluate(async ({ admin, user }) => {
      const login = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) });
      const { csrfToken } = (await login.json()) as { csrfToken: string };
      const r = await fetch('/api/v1/users', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body: JSON.stringify(user) });
      await fetch('/api/v1/auth/logout', { method: 'POST', headers: { 'x-csrf-token': csrfToken } });
      return r.status;
    }, { admin: ADMIN, user: { username: 'looker', password: 'looker passphrase 1', role: 'viewer' } });
    assert.ok(made < 300, `user created (${made})`);
    await viewer.goto(`${bw.url}/login`);
    await viewer.locator('input[name=username]').fill('looker');
    await viewer.locator('input[name=password]').fill('looker passphrase 1');
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    await viewer.getByTestId('whoami').waitFor();
    for (const [label, name, what] of [
      ['Settings', 'host-groups', 'host groups'],
      ['Peers', 'peers', 'peers'],
      ['Notifiers', 'notifiers', 'notifier channels'],
    ] as const) {
      await viewer.locator('nav.sidenav a', { hasText: label }).click();
      const editor = viewer.locator(`textarea[name=${name}]`);
      await editor.waitFor();
      assert.equal(await editor.getAttribute('readonly'), '', `${name}: read-only`);
      assert.equal(await viewer.getByRole('button', { name: `Save ${what}` }).count(), 0, `${name}: no save button`);
      await viewer.getByText(`Only an admin may change the ${what}.`).waitFor();
    }
  } finally {
    await context.close();
  }
});
