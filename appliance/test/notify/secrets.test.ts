// Configured secrets (webhook URLs, tokens, SMTP passwords) never appear in full: not in the JSON of the loaded
// configuration (what an API would return), not in util.inspect, not in a log line of the appliance's logger,
// whether the configuration, a channel's settings or an object with a usual secret key name is logged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { validateConfig } from '../../src/config/load.js';
import { Secret, scrubSecrets } from '../../src/config/secret.js';
import { pluginSettings } from '../../src/notify/channels.js';
import { captureLogger } from './helpers.js';

const WEBHOOK = 'https://hooks.slack.com/services/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';
const PASSWORD = 'smtp-Pa55word-very-secret';

function loaded() {
  const result = validateConfig({
    notify: {
      panelUrl: 'https://breakwater.example.net',
      channels: {
        noc: { plugin: '@breakwater/notifier-slack', secrets: { webhookUrl: WEBHOOK } },
        mail: { plugin: '@breakwater/notifier-email', config: { host: 'smtp.example.net', from: 'bw@example.net', to: ['noc@example.net'], username: 'bw' }, secrets: { password: PASSWORD } },
      },
    },
  });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  return result.config;
}

test('a loaded secret is a Secret: JSON and inspect show a masked hint only', () => {
  const config = loaded();
  const secret = config.notify.channels.noc!.secrets.webhookUrl!;
  assert.ok(secret instanceof Secret);
  assert.equal(secret.reveal(), WEBHOOK);
  const json = JSON.stringify(config);
  assert.ok(!json.includes('Xx1Yy2Zz3Ww4Vv5Uu6Tt7Ss8') && !json.includes(PASSWORD), 'not in the configuration JSON');
  assert.match(json, /"webhookUrl":"https:\/\/hooks\.slack\.com\/••••"/);
  assert.match(json, /"password":"••••cret"/);
  const shown = inspect(config, { depth: 10 });
  assert.ok(!shown.includes('Xx1Yy2Zz3Ww4Vv5Uu6Tt7Ss8') && !shown.includes(PASSWORD), 'not in util.inspect');
  assert.equal(`${secret}`, 'https://hooks.slack.com/••••', 'not in a template string either');
  assert.equal(new Secret('short').masked(), '••••');
});

test('no log line of the appliance logger carries a secret', () => {
  const config = loaded();
  const { log, text } = captureLogger();
  log.info({ config }, 'configuration loaded');
  log.info({ channel: config.notify.channels.noc }, 'channel');
  // The plugin's settings hold the revealed values: logged by mistake, the usual key names are still censored.
  log.info({ settings: pluginSettings(config.notify.channels.noc!) }, 'plugin settings');
  log.info({ settings: pluginSettings(config.notify.channels.mail!) }, 'plugin settings');
  log.info({ webhookUrl: WEBHOOK, token: 'tok-0123456789', nested: { apiKey: 'key-0123456789' } }, 'plain values under secret names');
  const out = text();
  for (const value of ['Xx1Yy2Zz3Ww4Vv5Uu6Tt7Ss8', PASSWORD, 'tok-0123456789', 'key-0123456789']) assert.ok(!out.includes(value), `${value} was logged`);
  assert.match(out, /\[secret\]/);
});

test('the plugin gets the revealed values, merged over its settings', () => {
  const config = loaded();
  assert.deepEqual(pluginSettings(config.notify.channels.mail!), { host: 'smtp.example.net', from: 'bw@example.net', to: ['noc@example.net'], username: 'bw', password: PASSWORD });
});

test('scrubSecrets masks a secret, and a URL secret\'s path, wherever they are quoted', () => {
  const s = new Secret(WEBHOOK);
  assert.equal(scrubSecrets(`POST ${WEBHOOK} failed`, [s]), 'POST https://hooks.slack.com/•••• failed');
  assert.equal(scrubSecrets('GET /services/T0AAA0AAA/B0BBB0BBB/Xx1Yy2Zz3Ww4Vv5Uu6Tt7Ss8: 404', [s]), 'GET https://hooks.slack.com/••••: 404');
});

test('the notify section is validated: channel names, the panel URL, a secret that is not a string', () => {
  const result = validateConfig({
    notify: {
      panelUrl: 'not a url',
      channels: {
        'Bad Name': { plugin: 'x', secrets: { webhookUrl: WEBHOOK } },
        ok: { plugin: 'x', secrets: { token: 5, password: '' }, minSeverity: 'urgent', events: ['attack.started'] },
      },
    },
  });
  assert.ok(!result.ok);
  const paths = result.problems.map((p) => p.path);
  for (const p of ['/notify/panelUrl', '/notify/channels/Bad Name', '/notify/channels/ok/secrets/token', '/notify/channels/ok/minSeverity', '/notify/channels/ok/events/0']) {
    assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
  }
  // A problem shows the value it is about, except a secret's.
  assert.ok(!JSON.stringify(result.problems).includes('Xx1Yy2Zz3'), JSON.stringify(result.problems));
  assert.match(result.problems.find((p) => p.path === '/notify/channels/ok/secrets/token')!.message, /got "\[secret\]"/);
});
