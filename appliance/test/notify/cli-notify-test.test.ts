// `breakwater notify test CHANNEL`: loads the channel from the configuration file as the appliance would and
// sends one test message to a local receiver; a refusal is shown with its code and the provider's answer, never
// with the channel's secret; an unknown channel is BW_ERR_NOTIFY_CHANNEL.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NotifyTestNotification } from '@breakwater/sdk';
import { startFakeProvider } from '@breakwater/sdk/testing';
import { stringify } from 'yaml';
import { FIXTURE_PLUGINS, tempDir } from './helpers.js';
import { runCli as cli } from '../support/run-cli.js';

const receiver = await startFakeProvider((req) => (req.path.startsWith('/slack/') ? { status: 404, body: 'no_service' } : { status: 204 }));
const tmp = tempDir();
after(async () => {
  await receiver.close();
  tmp.remove();
});

const SLACK_TOKEN = 'T0AAA/B0BBB/Zz9Yy8Xx7Ww6Vv5';
const configFile = join(tmp.dir, 'breakwater.yaml');
writeFileSync(
  configFile,
  stringify({
    dataDir: join(tmp.dir, 'data'),
    plugins: { extraDirectories: [FIXTURE_PLUGINS] },
    notify: {
      panelUrl: 'https://panel.example.net',
      channels: {
        hook: { plugin: '@breakwater/notifier-webhook', secrets: { url: `${receiver.baseUrl}/hook`, secret: 'whsec-cli-test-0123' } },
        chat: { plugin: '@breakwater/notifier-slack', secrets: { webhookUrl: `${receiver.baseUrl}/slack/${SLACK_TOKEN}` } },
      },
    },
  }),
);

test('a working channel: the test message arrives and the command exits 0', async () => {
  receiver.requests.length = 0;
  const r = await cli(['notify', 'test', 'hook', '--config', configFile]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hook (@breakwater/notifier-webhook): test message delivered\n');
  assert.equal(receiver.requests.length, 1);
  const { event, message } = JSON.parse(receiver.requests[0]!.body) as { event: NotifyTestNotification; message: { title: string } };
  assert.equal(event.type, 'notify.test');
  assert.equal(event.channel, 'hook');
  assert.equal(event.attack.target, '203.0.113.10');
  assert.match(event.attackUrl!, /^https:\/\/panel\.example\.net\/attacks\/example-test-/);
  assert.equal(message.title, 'Breakwater test message for channel hook');
});

test('a refused message: the code and the provider\'s answer, exit 1, and no secret in the output', async () => {
  const r = await cli(['notify', 'test', 'chat', '--config', configFile]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'chat (@breakwater/notifier-slack): BW_ERR_NOTIFY_REJECTED: Slack answered 404: no_service (status 404); the outbox would give this up at once\n');
  const json = await cli(['notify', 'test', 'chat', '--config', configFile, '--json']);
  assert.deepEqual(JSON.parse(json.stdout), { ok: false, channel: 'chat', plugin: '@breakwater/notifier-slack', code: 'BW_ERR_NOTIFY_REJECTED', message: 'Slack answered 404: no_service', status: 404, retried: false });
  assert.ok(!(r.stdout + r.stderr + json.stdout).includes('Zz9Yy8Xx7Ww6Vv5'));
});

test('an unknown channel, and no channel at all', async () => {
  const r = await cli(['notify', 'test', 'pager', '--config', configFile]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'BW_ERR_NOTIFY_CHANNEL: channel pager is not configured (notify.channels has hook, chat)\n');
  assert.equal((await cli(['notify', 'test'])).code, 2);
});
