// The signature verification recipes of docs/notifications.md, run as written there (Node.js and Python),
// against real deliveries of the webhook plugin captured by a local receiver: a genuine delivery verifies; a
// changed body, a wrong key and an old timestamp do not.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadNotifier, sampleNotification, startFakeProvider, type RecordedRequest } from '@breakwater/sdk/testing';
import webhook from '../src/index.js';

const doc = readFileSync(new URL('../../../docs/notifications.md', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'bw-recipe-'));
const receiver = await startFakeProvider({ status: 204 });
after(async () => {
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

function recipe(name: string): string {
  const match = new RegExp(`<!-- recipe: ${name} -->\\n\`\`\`[a-z]+\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  assert.ok(match, `docs/notifications.md has the ${name} recipe`);
  return match[1]!;
}

const secret = 'whsec-recipe-test-0123456789';

async function delivery(): Promise<RecordedRequest> {
  const { hooks, ctx } = await loadNotifier(webhook, { config: { url: `${receiver.baseUrl}/hook`, secret } });
  receiver.requests.length = 0;
  await hooks.notify(sampleNotification('attack.detected'), ctx.signal);
  return receiver.requests[0]!;
}

test('the Node.js recipe verifies a delivery and refuses a forgery', async () => {
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, recipe('node'));
  const { verifyBreakwaterWebhook: verify } = (await import(pathToFileURL(file).href)) as { verifyBreakwaterWebhook: (body: string | Buffer, headers: Record<string, unknown>, secret: string) => boolean };
  const req = await delivery();
  assert.equal(verify(Buffer.from(req.body), req.headers, secret), true);
  assert.equal(verify(req.body.replace('203.0.113.10', '203.0.113.99'), req.headers, secret), false);
  assert.equal(verify(req.body, req.headers, 'another-key-0123456789'), false);
  assert.equal(verify(req.body, { ...req.headers, 'x-breakwater-timestamp': String(Number(req.headers['x-breakwater-timestamp']) - 600) }, secret), false);
});

test('the Python recipe verifies a delivery and refuses a forgery', async () => {
  const req = await delivery();
  const headers = { 'X-Breakwater-Timestamp': req.headers['x-breakwater-timestamp'], 'X-Breakwater-Signature': req.headers['x-breakwater-signature'] };
  const cases = [
    { body: req.body, headers, secret },
    { body: req.body.replace('203.0.113.10', '203.0.113.99'), headers, secret },
    { body: req.body, headers, secret: 'another-key-0123456789' },
    { body: req.body, headers: { ...headers, 'X-Breakwater-Timestamp': String(Number(headers['X-Breakwater-Timestamp']) - 600) }, secret },
  ];
  const script = `${recipe('python')}\n\nimport json, sys\ncases = json.load(sys.stdin)\nprint(json.dumps([verify_breakwater_webhook(c["body"].encode(), c["headers"], c["secret"]) for c in cases]))\n`;
  const out = execFileSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), [true, false, false, false]);
});
