// The web panel in a real browser (Debian's chromium driven by playwright-core, headless) against a real
// appliance over TLS: first-run setup with the one-time token, a refused then accepted sign-in, an attack sent
// as synthetic sFlow appearing live on the dashboard (no reload), the FlowSpec mitigation withdrawn from the
// mitigations page (the demo speaker records the withdrawal), a runbook edit refused with its validation error
// shown and then saved (the file on disk changes), the audit entries of those actions found by the audit search,
// the dashboard at a phone's width, and, after the appliance restarted, the attack's page drawing its rate chart
// from the series the attack history kept. Screenshots of each step go to test-artifacts/panel/.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { DEFAULT_RUNBOOK_INPUT } from '../../src/mitigation/default-runbook.js';
import { ARTIFACTS, CHROMIUM, panelTestsBlocked, startPanelAppliance, type PanelAppliance } from './support/panel-appliance.js';

// No built panel or no chromium is a failure with the reason, not a skip: setup.sh --dev provides both.
const blocked = panelTestsBlocked();

const ADMIN = { username: 'admin', password: 'correct horse battery staple' };
const TARGET = '203.0.113.10';

let bw: PanelAppliance;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
/** The attack page's path (/attacks/ID), for the page after the restart. */
let attackPath: string | undefined;

async function shot(name: string, p: Page = page): Promise<void> {
  await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Same-document navigation through the panel's own menu (keeps the page, its live stream and its marker). */
async function menu(label: string): Promise<void> {
  await page.locator('nav.sidenav a', { hasText: label }).click();
}

before(async () => {
  if (blocked !== undefined) throw new Error(`the panel's browser tests cannot run: ${blocked}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  bw = await startPanelAppliance();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(
  async () => {
    const t0 = Date.now();
    await browser?.close();
    const t1 = Date.now();
    await bw?.stop();
    if (process.env.PANEL_TEST_DEBUG) console.error(`browser closed in ${t1 - t0} ms, appliance stopped in ${Date.now() - t1} ms; left: ${process.getActiveResourcesInfo().join(', ')}`);
    // Everything is closed: a file that still runs 15 s later is held by a leaked handle. Say which, and fail
    // rather than hang the whole suite (the timer is unref'd: it never keeps a finished process alive).
    setTimeout(() => {
      console.error(`panel.test: still running 15 s after cleanup; open handles: ${process.getActiveResourcesInfo().join(', ')}`);
      process.exit(1);
    }, 15_000).unref();
  },
  { timeout: 30_000 },
);

test('first-run setup with the token from the link, then a refused and an accepted sign-in', { timeout: 60_000 }, async () => {
  assert.match(bw.url, /^https:\/\/127\.0\.0\.1:[0-9]+$/);
  await page.goto(`${bw.url}/setup?token=${encodeURIComponent(bw.setupToken)}`);
  await page.getByRole('heading', { name: 'Welcome to Breakwater' }).waitFor();
  assert.equal(await page.locator('input[name=token]').inputValue(), bw.setupToken, 'the token is taken from ?token=');
  await page.locator('input[name=username]').fill(ADMIN.username);
  await page.locator('input[name=password]').fill('too short');
  await page.locator('input[name=repeat]').fill('too short');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  const refused = page.getByRole('alert');
  await refused.waitFor();
  assert.match(await refused.innerText(), /BW_ERR_API_PASSWORD_POLICY/, 'the API\'s error code is shown');
  await shot('01-setup-refused');
  await page.locator('input[name=password]').fill(ADMIN.password);
  await page.locator('input[name=repeat]').fill(ADMIN.password);
  await shot('02-setup');
  await page.getByRole('button', { name: 'Create administrator' }).click();

  await page.getByRole('heading', { name: 'Sign in to Breakwater' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.locator('input[name=username]').fill(ADMIN.username);
  await page.locator('input[name=password]').fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').innerText(), /BW_ERR_API_LOGIN_FAILED/);
  await shot('03-login-refused');
  await page.locator('input[name=password]').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('whoami').waitFor();
  assert.equal(await page.getByTestId('whoami').innerText(), 'admin (admin)');
  assert.equal(new URL(page.url()).pathname, '/');
  // A second visit of the setup link finds setup done: the sign-in or the dashboard, never the setup form.
  const setupStatus = await page.evaluate(async () => (await fetch('/api/v1/setup/status')).json());
  assert.deepEqual(setupStatus, { setupRequired: false });
  await shot('04-dashboard-empty');
});

test('an attack sent as sFlow appears live on the dashboard, with its FlowSpec mitigation', { timeout: 90_000 }, async () => {
  await page.evaluate(() => ((globalThis as unknown as { panelMarker: string }).panelMarker = 'same document'));
  await page.locator('.live.on').waitFor({ timeout: 15_000 });
  await bw.startTraffic({ firstAttackSeconds: 3 });
  const row = page.getByTestId('active-attacks').locator('tr.attack-row', { hasText: TARGET });
  await row.waitFor({ timeout: 60_000 });
  assert.match(await row.innerText(), /ntp_amplification/);
  assert.match(await row.innerText(), /low|medium|high|critical/);
  await page.getByTestId('active-mitigations').getByText('@breakwater/tier-flowspec').waitFor({ timeout: 30_000 });
  await page.getByTestId('top-destinations').getByText(TARGET).first().waitFor({ timeout: 15_000 });
  await page.locator('section.card', { hasText: 'Top destinations' }).locator('.chart canvas').waitFor();
  assert.equal(await page.evaluate(() => (globalThis as unknown as { panelMarker?: string }).panelMarker), 'same document', 'updated live, not by reloading');
  await sleep(1500); // a few more points on the chart for the screenshot
  await shot('05-dashboard-attack-live');

  // The attack's own page: rate chart, vector breakdown, timeline.
  await row.getByRole('link').click();
  await page.getByRole('heading', { name: /ntp_amplification on/ }).waitFor();
  attackPath = new URL(page.url()).pathname;
  await page.getByRole('heading', { name: 'Timeline' }).waitFor();
  await page.locator('.timeline li', { hasText: 'attack.detected' }).waitFor();
  assert.ok((await page.locator('.chart canvas').count()) >= 1, 'the rate chart is drawn');
  await page.locator('.shares', { hasText: 'udp_ntp' }).waitFor();
  await shot('06-attack-page');
  // The pcap download: a pcap file (the capture is written while the attack lasts; its header comes first).
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download pcap' }).click()]);
  const pcap = readFileSync(await download.path());
  assert.ok(pcap.length >= 24, `a pcap header at least (${pcap.length} bytes)`);
  assert.equal(pcap.readUInt32LE(0), 0xa1b2c3d4, 'the pcap magic');
  assert.match(download.suggestedFilename(), /\.pcap$/);
});

test('mitigations page: the runbook mitigation withdrawn, a manual RTBH route announced, extended and withdrawn; each checked at the speaker', { timeout: 60_000 }, async () => {
  await menu('Mitigations');
  const mitigation = page.getByTestId('mitigation').filter({ hasText: TARGET });
  await mitigation.waitFor();
  assert.match(await mitigation.innerText(), /engaged/);
  const flowspecOwners = () => bw.recordedRoutes().filter((r) => r.kind === 'flowspec' && r.route !== undefined);
  const announced = flowspecOwners().filter((r) => r.change === 'announce');
  assert.ok(announced.length > 0, 'the FlowSpec stage announced a rule through the demo speaker');
  await shot('07-mitigations');
  await mitigation.getByRole('button', { name: 'Withdraw' }).click();
  await page.getByRole('status').filter({ hasText: `Mitigation of ${TARGET} withdrawn.` }).waitFor();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !flowspecOwners().some((r) => r.change === 'withdraw')) await sleep(200);
  const withdrawn = flowspecOwners().filter((r) => r.change === 'withdraw');
  assert.ok(withdrawn.length > 0, 'the FlowSpec rule was withdrawn from the speaker');
  assert.deepEqual(new Set(withdrawn.map((r) => r.id)), new Set(announced.map((r) => r.id)), 'the announced rule is the one withdrawn');
  await page.getByTestId('mitigation').filter({ hasText: TARGET }).waitFor({ state: 'detached' });
  await shot('08-mitigation-withdrawn');

  // A manual RTBH route: announced, extended, withdrawn, each through the speaker.
  const HOST = '203.0.113.77';
  await page.getByPlaceholder('203.0.113.7').fill(HOST);
  await page.getByRole('button', { name: 'Announce' }).click();
  await page.getByText(`RTBH for ${HOST} announced.`).waitFor();
  const manualRow = page.locator('tr', { hasText: HOST });
  await manualRow.waitFor();
  const expiresBefore = await manualRow.locator('td').nth(3).innerText();
  await manualRow.getByRole('button', { name: 'Extend' }).click();
  await page.getByRole('status').filter({ hasText: `${HOST}/32: extended by 600 s.` }).waitFor();
  await page.waitForFunction(([host, before]) => {
    const row = [...(globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ textContent: string | null }> } }).document.querySelectorAll('tr')].find((r) => r.textContent?.includes(host));
    return row !== undefined && !row.textContent!.includes(before);
  }, [HOST, expiresBefore] as const);
  await shot('08b-manual-extended');
  await manualRow.getByRole('button', { name: 'Withdraw' }).click();
  await page.getByRole('status').filter({ hasText: `${HOST}/32 withdrawn.` }).waitFor();
  await manualRow.waitFor({ state: 'detached' });
  const rtbh = bw.recordedRoutes().filter((r) => r.kind === 'rtbh' && JSON.stringify(r.route).includes(`${HOST}/32`)).map((r) => r.change);
  assert.deepEqual(rtbh.filter((c, i) => c !== rtbh[i - 1]), ['announce', 'withdraw'], 'announced (again when extended) then withdrawn');
});

test('a runbook edit is refused with a visible validation error, then saved to the configuration file', { timeout: 60_000 }, async () => {
  await menu('Runbooks');
  const editor = page.locator('textarea[name=runbooks]');
  await editor.waitFor();
  assert.match(await editor.inputValue(), /name: default/);
  const edited = [{ ...structuredClone(DEFAULT_RUNBOOK_INPUT), name: 'panel-edited', description: 'edited in the web panel' }];
  await editor.fill(stringify(edited).replace('mode: auto', 'mode: sometimes'));
  await page.getByRole('button', { name: 'Validate' }).click();
  const problems = page.getByTestId('validation-problems');
  await problems.waitFor();
  assert.match(await problems.innerText(), /\/runbooks\/0\/mode/, 'the failing path is shown');
  await page.getByRole('button', { name: 'Save' }).click();
  await problems.waitFor();
  await shot('09-runbook-refused');
  assert.doesNotMatch(readFileSync(bw.configPath, 'utf8'), /panel-edited/, 'nothing written while invalid');

  await editor.fill(stringify(edited));
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved. Applied now: runbooks' }).waitFor();
  assert.equal(await problems.count(), 0);
  const written = parse(readFileSync(bw.configPath, 'utf8')) as { runbooks: { name: string; mode: string }[] };
  assert.deepEqual(written.runbooks.map((r) => [r.name, r.mode]), [['panel-edited', 'auto']]);
  assert.match(readFileSync(bw.configPath, 'utf8'), /^# written by/, 'the file keeps its comment');
  await shot('10-runbook-saved');

  // Dry run of the saved runbook against the attack of this test.
  const attackOption = page.locator('select[aria-label=attack] option', { hasText: `ntp_amplification on ${TARGET}` }).first();
  await page.locator('select[aria-label=attack]').selectOption((await attackOption.getAttribute('value')) ?? '');
  await page.getByRole('button', { name: 'Dry run' }).click();
  const result = page.getByTestId('dry-run-result');
  await result.waitFor();
  assert.match(await result.innerText(), /The runbook matches this attack/);
  assert.match(await result.locator('tr', { hasText: 'flowspec' }).innerText(), /0 s/, 'FlowSpec at once');
  await shot('10b-runbook-dry-run');
});

test('the audit log shows the withdrawal and the runbook change by the signed-in admin', { timeout: 30_000 }, async () => {
  await menu('Audit');
  await page.getByTestId('audit-table').waitFor();
  await page.locator('input[name=actor]').fill('user:admin');
  await page.getByRole('button', { name: 'Search' }).click();
  const rows = page.locator('tr.audit-row');
  await rows.filter({ hasText: 'mitigation.withdrawn' }).first().waitFor();
  await rows.filter({ hasText: 'config.changed' }).first().waitFor();
  const actors = await rows.locator('td:nth-child(2)').allInnerTexts();
  assert.ok(actors.length >= 2 && actors.every((a) => a === 'user:admin'), `only the admin's entries: ${actors.join(', ')}`);
  assert.match(await rows.filter({ hasText: 'mitigation.withdrawn' }).first().innerText(), new RegExp(TARGET.replaceAll('.', '\\.')));
  await shot('11-audit');
});

test('settings: a protected prefix that is not one is refused with its path shown; a good one is saved and applied', { timeout: 30_000 }, async () => {
  await menu('Settings');
  const prefixes = page.locator('textarea[name=protected-prefixes]');
  await prefixes.waitFor();
  await prefixes.fill('203.0.113.0/33');
  await page.getByRole('button', { name: 'Save protected prefixes' }).click();
  const refused = page.getByRole('alert').filter({ hasText: 'Not saved' });
  await refused.waitFor();
  assert.match(await refused.innerText(), /BW_ERR_CONFIG_INVALID/);
  assert.match(await refused.innerText(), /\/mitigation\/guardrails\/protectedPrefixes/, 'the failing path');
  await shot('12a-settings-refused');
  await prefixes.fill('203.0.113.53/32');
  await page.getByRole('button', { name: 'Save protected prefixes' }).click();
  await page.getByText('Saved 1 prefix; applied now: mitigation.').waitFor();
  const written = parse(readFileSync(bw.configPath, 'utf8')) as { mitigation: { guardrails: { protectedPrefixes: string[] } } };
  assert.deepEqual(written.mitigation.guardrails.protectedPrefixes, ['203.0.113.53/32']);
});

test('roles: an admin creates a viewer and a token in the panel; the viewer sees no actions; locking the viewer ends their session', { timeout: 60_000 }, async () => {
  await menu('Users & tokens');
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
  await page.getByPlaceholder('new user name').fill('watcher');
  await page.getByPlaceholder('password (12+ characters)').fill('watcher passphrase 1');
  await page.locator('select[aria-label=role]').selectOption('viewer');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByText('User watcher created.').waitFor();
  await page.getByPlaceholder('token name').fill('prometheus');
  await page.getByPlaceholder('scopes (metrics attacks …; empty: all)').fill('metrics');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = await page.getByTestId('token-secret').innerText();
  assert.match(secret, /^bwt_/, 'the secret is shown once');
  const metrics = await page.evaluate(async (s) => (await fetch('/metrics', { headers: { authorization: `Bearer ${s}` }, credentials: 'omit' })).status, secret);
  assert.equal(metrics, 200, 'the token made in the panel works');
  await shot('13-users-and-tokens');

  const viewerContext = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 860 } });
  try {
    const viewer = await viewerContext.newPage();
    await viewer.goto(`${bw.url}/mitigations`);
    await viewer.locator('input[name=username]').fill('watcher');
    await viewer.locator('input[name=password]').fill('watcher passphrase 1');
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    await viewer.getByTestId('whoami').waitFor();
    assert.equal(await viewer.getByTestId('whoami').innerText(), 'watcher (viewer)');
    await viewer.getByRole('heading', { name: 'Stop-all switch' }).waitFor();
    await viewer.getByText('Mode auto').waitFor();
    assert.equal(await viewer.getByRole('button', { name: /Stop all|Withdraw|Announce/ }).count(), 0, 'no mitigation action for a viewer');
    assert.equal(await viewer.locator('nav.sidenav a', { hasText: 'Users' }).count(), 0, 'no Users menu for a viewer');
    await viewer.locator('nav.sidenav a', { hasText: 'Runbooks' }).click();
    await viewer.locator('textarea[name=runbooks]').waitFor();
    assert.equal(await viewer.locator('textarea[name=runbooks]').getAttribute('readonly'), '', 'the editor is read-only');
    assert.equal(await viewer.getByRole('button', { name: 'Save' }).count(), 0);
    await viewer.getByText('Only an admin may change runbooks.').waitFor();
    await shot('14-viewer-runbooks', viewer);

    // The admin locks the viewer: the viewer's next request finds the session gone and the panel asks to sign in.
    await page.locator('tr', { hasText: 'watcher' }).getByRole('button', { name: 'Lock' }).click();
    await page.getByText('watcher locked.').waitFor();
    await viewer.locator('nav.sidenav a', { hasText: 'Attacks' }).click();
    await viewer.getByRole('heading', { name: 'Sign in to Breakwater' }).waitFor();
    await viewer.getByText('Your session ended').waitFor();
    await shot('15-viewer-session-ended', viewer);
  } finally {
    await viewerContext.close();
  }
});

test('at a phone\'s width the menu folds away and the dashboard stacks; no CSP or script errors', { timeout: 30_000 }, async () => {
  const phone = await context.newPage();
  try {
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${bw.url}/`);
    await phone.getByTestId('whoami').waitFor();
    assert.equal(await phone.locator('nav.sidenav').isVisible(), false, 'the menu is folded');
    await phone.getByRole('button', { name: 'Menu' }).click();
    assert.equal(await phone.locator('nav.sidenav').isVisible(), true);
    await phone.locator('nav.sidenav a', { hasText: 'Attacks' }).click();
    await phone.getByRole('heading', { name: 'Attacks' }).waitFor();
    assert.equal(await phone.locator('nav.sidenav').isVisible(), false, 'folded again after choosing');
    const width = await phone.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no sideways scrolling of the page (${width}px)`);
    await shot('12-phone-attacks', phone);
    await phone.getByRole('button', { name: 'Menu' }).click();
    await phone.locator('nav.sidenav a', { hasText: 'Dashboard' }).click();
    await phone.getByTestId('active-attacks').waitFor();
    await phone.locator('.chart canvas').first().waitFor();
    const dashboardWidth = await phone.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
    assert.ok(dashboardWidth <= 390, `the dashboard fits the phone (${dashboardWidth}px)`);
    await shot('12b-phone-dashboard', phone);
  } finally {
    await phone.close();
  }
  assert.deepEqual(pageErrors.filter((e) => /Content Security Policy|Refused to/i.test(e)), [], 'nothing refused by the CSP');
  assert.deepEqual(pageErrors.filter((e) => !/401|Failed to load resource/.test(e)), [], 'no script errors');
});

test('after a restart, the ended attack\'s page draws its rate chart from the series the attack history kept', { timeout: 60_000 }, async () => {
  assert.ok(attackPath?.startsWith('/attacks/'), `the attack page was seen (${attackPath})`);
  await bw.restart();
  // The session is in the database and cookies do not depend on the port: still signed in.
  await page.goto(`${bw.url}${attackPath}`);
  await page.getByRole('heading', { name: /ntp_amplification on/ }).waitFor();
  await page.getByText(/ended \((shutdown|quiet)\)/).first().waitFor();
  const card = page.getByTestId('attack-rate-chart');
  await card.locator('.chart canvas').waitFor();
  await page.waitForFunction(() => Number((globalThis as unknown as { document: { querySelector(s: string): { getAttribute(n: string): string | null } | null } }).document.querySelector('[data-testid=attack-rate-chart]')?.getAttribute('data-recorded-points') ?? 0) >= 2);
  const recorded = Number(await card.getAttribute('data-recorded-points'));
  const drawn = Number(await card.locator('.chart').getAttribute('data-points'));
  // Several seconds of the attack were recorded before the restart, one point a second.
  assert.ok(recorded >= 5, `${recorded} recorded points`);
  assert.ok(drawn >= recorded, `${drawn} points drawn, ${recorded} of them recorded`);
  assert.equal(await card.getByText('No rate series was recorded').count(), 0);
  const series = (await page.evaluate(async (path) => (await fetch(`/api/v1${path}/series`)).json(), attackPath!)) as { points: unknown[]; active: boolean };
  assert.equal(series.points.length, recorded, 'the chart draws every recorded point');
  assert.equal(series.active, false);
  await shot('16-attack-after-restart');
});
