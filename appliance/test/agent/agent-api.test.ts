// The appliance's side of the agent mode without namespaces: token storage and scoping, and the rule board's
// counters as the Tier 1 verify sees them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AgentRuleBoard } from '../../src/agent-api/agent-rule-board.js';
import { AgentTokenStore, hashToken } from '../../src/agent-api/token-store.js';
import { isBreakwaterError } from '../../src/errors.js';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/run.js';
import { makeTempDir, cleanUpEverything } from '../support/netns.js';

test('tokens: stored as sha256 with canonical prefixes, verified, replaced by name, revoked', async (t) => {
  t.after(() => cleanUpEverything());
  const store = new AgentTokenStore(makeTempDir('tokens'));
  const { token, record } = await store.create('web-1', ['203.0.113.10/32', '2001:DB8::10/128']);
  assert.deepEqual(record.prefixes, ['203.0.113.10/32', '2001:db8::10/128']);
  assert.equal(record.sha256, hashToken(token));
  assert.ok(!readFileSync(store.file, 'utf8').includes(token));
  assert.equal((await store.verify(token))?.name, 'web-1');
  assert.equal(await store.verify(token + 'x'), undefined);
  const again = await store.create('web-1', ['203.0.113.11/32']);
  assert.equal(await store.verify(token), undefined, 'the old token of the same name no longer works');
  assert.equal(await store.revoke('web-1'), true);
  assert.equal(await store.verify(again.token), undefined);
  await assert.rejects(store.create('bad name', ['203.0.113.0/24']), (err) => isBreakwaterError(err, 'BW_ERR_CLI_USAGE'));
  await assert.rejects(store.create('x', ['203.0.113.1/24']), /host bits/);
});

test('board: entries by scope, expired entries withheld, counters summed over agents and only in scope', async () => {
  let now = 1_000_000;
  const board = new AgentRuleBoard(() => now);
  const rule = (prefix: string) => ({ match: { destination: { prefix } }, action: { type: 'drop' as const } });
  const a = await board.apply(rule('203.0.113.10/32'), { attackId: 'atk', ttlSeconds: 10 });
  const b = await board.apply(rule('198.51.100.0/24'), { attackId: 'atk', ttlSeconds: 10 });
  const web1 = { name: 'web-1', prefixes: ['203.0.113.0/24'], sha256: '', createdAt: 0 };
  const web2 = { name: 'web-2', prefixes: ['203.0.113.10/32', '198.51.100.0/25'], sha256: '', createdAt: 0 };
  assert.deepEqual(board.entriesFor(web1).map((e) => e.id), [a.id]);
  assert.deepEqual(board.entriesFor(web2).map((e) => e.id), [a.id], 'a /24 rule is not inside a /25 scope');
  board.report(web1, [{ id: a.id, expiresAt: 0, packets: 10, bytes: 1000 }, { id: b.id, expiresAt: 0, packets: 99, bytes: 99 }]);
  board.report(web2, [{ id: a.id, expiresAt: 0, packets: 5, bytes: 500 }]);
  assert.deepEqual(await board.counters(a.id), { packets: 15, bytes: 1500, readAt: now });
  assert.equal(await board.counters(b.id), undefined, 'web-1 may not report for a rule outside its scope');
  now += 11_000;
  assert.deepEqual(board.entriesFor(web1), []);
});

test('CLI: agent token create prints the token once, list shows no secret, revoke ends it', async (t) => {
  t.after(() => cleanUpEverything());
  const dataDir = makeTempDir('token-cli');
  const run = async (...args: string[]): Promise<{ code: number; out: string }> => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (b: Buffer) => (out += b.toString()));
    const code = await main(args, { stdout, stderr: new PassThrough(), stdin: new PassThrough() });
    return { code, out };
  };
  const created = await run('agent', 'token', 'create', '--name', 'web-1', '--prefixes', '203.0.113.10/32,2001:db8::10/128', '--data-dir', dataDir);
  assert.equal(created.code, 0);
  const token = created.out.trim();
  const listed = await run('agent', 'token', 'list', '--data-dir', dataDir);
  assert.match(listed.out, /^web-1\t203\.0\.113\.10\/32,2001:db8::10\/128\t/);
  assert.ok(!listed.out.includes(token));
  assert.equal((await run('agent', 'token', 'revoke', '--name', 'web-1', '--data-dir', dataDir)).code, 0);
  assert.equal(await new AgentTokenStore(dataDir).verify(token), undefined);
  assert.equal((await run('agent', 'token', 'revoke', '--name', 'web-1', '--data-dir', dataDir)).code, 1);
  assert.equal((await run('agent', 'token', 'create', '--name', 'x', '--data-dir', dataDir)).code, 2);
});
