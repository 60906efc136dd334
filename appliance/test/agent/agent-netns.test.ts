// The agent mode end to end: the appliance's agent API (HTTPS, self-signed certificate) in the test process on a
// veth to the victim namespace, and `breakwater agent` (the real CLI) inside the victim namespace pulling its
// rules with a scoped token, applying them with nftables, dropping real attack datagrams from the attacker
// namespace, reporting the counters back — and removing its rules when the appliance stops answering.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FirewallRule } from '@breakwater/sdk';
import { AgentApiServer } from '../../src/agent-api/agent-api-server.js';
import { AgentRuleBoard } from '../../src/agent-api/agent-rule-board.js';
import { AgentTokenStore } from '../../src/agent-api/token-store.js';
import { normalise, pinnedRequest } from '../../src/agent/pinned-https.js';
import { main } from '../../src/cli/run.js';
import { isBreakwaterError } from '../../src/errors.js';
import { NftBackend } from '../../src/firewall/nft-backend.js';
import { cleanUpEverything, commandMissing, eventually, ip, makeTempDir, netnsUnavailableReason, spawnOwned, type OwnedProcess } from '../support/netns.js';
import { ATTACK_SPORT, BENIGN_SPORT, settled, startTrafficLab, type TrafficLab } from '../firewall/helpers/traffic-lab.js';

const skip = netnsUnavailableReason() ?? commandMissing('/usr/sbin/nft', '/usr/bin/openssl');
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const HOST_ADDR = '198.18.43.1';
const VICTIM_ADDR = '198.18.43.2';

let lab: TrafficLab;
let dataDir: string;
let server: AgentApiServer;
let board: AgentRuleBoard;
let token: string;
let otherToken: string;
let agent: OwnedProcess;
let backend: NftBackend;
let attackId: string;

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  const code = await main(args, { stdout, stderr: new PassThrough(), stdin: new PassThrough() });
  return { code, out };
}

before(async () => {
  if (skip) return;
  lab = await startTrafficLab('ag', 43);
  // The appliance side lives in this process (host namespace): a second veth reaches the victim namespace.
  const hostIf = `bwt${process.pid}h`;
  ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'bwh0', 'netns', lab.victim);
  ip('addr', 'add', `${HOST_ADDR}/30`, 'dev', hostIf);
  ip('link', 'set', hostIf, 'up');
  ip('-n', lab.victim, 'addr', 'add', `${VICTIM_ADDR}/30`, 'dev', 'bwh0');
  ip('-n', lab.victim, 'link', 'set', 'bwh0', 'up');

  dataDir = makeTempDir('agent-data');
  token = (await cli(['agent', 'token', 'create', '--name', 'web-1', '--prefixes', `${lab.link.b.ipv4}/32`, '--data-dir', dataDir])).out.trim();
  otherToken = (await new AgentTokenStore(dataDir).create('db-1', ['203.0.113.0/24'])).token;
  board = new AgentRuleBoard();
  server = new AgentApiServer({ host: HOST_ADDR, port: 0, dataDir, leaseSeconds: 10, tokens: new AgentTokenStore(dataDir), board });
  await server.start();
  backend = new NftBackend({ prefix: ['ip', 'netns', 'exec', lab.victim] });
});
after(async () => {
  await agent?.stop(2_000);
  await server?.stop();
  cleanUpEverything();
});

const rule = (destination: string): FirewallRule => ({
  match: { destination: { prefix: destination }, protocol: [[{ op: '=', value: 17 }]], sourcePort: [[{ op: '=', value: ATTACK_SPORT }]] },
  action: { type: 'drop' },
});
const url = (path: string): URL => new URL(path, `https://${HOST_ADDR}:${server.port}`);

test('tokens are stored hashed, and each token sees only rules inside its prefixes; a bad token is refused', { skip }, async () => {
  assert.match(token, /^bwa_web-1_/);
  const stored = readFileSync(join(dataDir, 'agent-api', 'tokens.json'), 'utf8');
  assert.ok(!stored.includes(token), 'the token text is not stored');
  attackId = (await board.apply(rule(`${lab.link.b.ipv4}/32`), { attackId: 'atk-1', ttlSeconds: 60 })).id;
  const foreign = (await board.apply(rule('203.0.113.10/32'), { attackId: 'atk-2', ttlSeconds: 60 })).id;

  const mine = await pinnedRequest({ url: url('/api/agent/v1/rules'), method: 'GET', token, fingerprint: server.fingerprint });
  assert.equal(mine.status, 200);
  assert.deepEqual((mine.body as { rules: { id: string }[] }).rules.map((r) => r.id), [attackId]);
  const theirs = await pinnedRequest({ url: url('/api/agent/v1/rules'), method: 'GET', token: otherToken, fingerprint: server.fingerprint });
  assert.deepEqual((theirs.body as { rules: { id: string }[] }).rules.map((r) => r.id), [foreign]);

  const bad = await pinnedRequest({ url: url('/api/agent/v1/rules'), method: 'GET', token: 'bwa_web-1_forged', fingerprint: server.fingerprint });
  assert.equal(bad.status, 401);
  assert.equal((bad.body as { code: string }).code, 'BW_ERR_AGENT_TOKEN');
  const badReport = await pinnedRequest({ url: url('/api/agent/v1/report'), method: 'POST', token: 'nope', fingerprint: server.fingerprint, body: { not: 'a report' } });
  assert.equal(badReport.status, 401, 'authentication comes before body validation');
  // A report about a rule outside the token's scope is not taken.
  await pinnedRequest({ url: url('/api/agent/v1/report'), method: 'POST', token, fingerprint: server.fingerprint, body: { counters: [{ id: foreign, expiresAt: 0, packets: 5, bytes: 5 }] } });
  assert.equal(await board.counters(foreign), undefined);
});

test('a wrong pinned fingerprint stops the request before the token is sent', { skip }, async () => {
  await assert.rejects(
    pinnedRequest({ url: url('/api/agent/v1/rules'), method: 'GET', token, fingerprint: 'AA:BB' }),
    (err) => isBreakwaterError(err, 'BW_ERR_AGENT_TLS'),
  );
});

test('the agent in the victim namespace pulls, applies and reports; attack dropped, benign delivered; a restarted agent keeps its rule and counters; rules go when the appliance stops answering', { skip }, async () => {
  const stateDir = makeTempDir('agent-state');
  const spawnAgent = (): OwnedProcess =>
    spawnOwned(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', join(repoRoot, 'appliance/src/cli/main.ts'), 'agent', '--appliance', `https://${HOST_ADDR}:${server.port}`, '--token', token, '--interval', '0.3', '--state-dir', stateDir, '--backend', 'nftables'],
      { netns: lab.victim, cwd: repoRoot },
    );
  agent = spawnAgent();
  await eventually('the agent to install the rule', 20_000, async () => ((await backend.read()).some((c) => c.id === attackId) ? true : undefined), 100);
  assert.equal(normalise(readFileSync(join(stateDir, 'appliance.fingerprint'), 'utf8').trim()), normalise(server.fingerprint), 'pinned on first use');
  assert.deepEqual((await backend.read()).map((c) => c.id), [attackId], 'only the rule in its scope');

  const attackBefore = await lab.received(ATTACK_SPORT);
  const benignBefore = await lab.received(BENIGN_SPORT);
  await lab.send(ATTACK_SPORT, 2000);
  await lab.send(BENIGN_SPORT, 200);
  assert.equal(await settled(lab, BENIGN_SPORT), benignBefore + 200);
  assert.equal(await lab.received(ATTACK_SPORT), attackBefore);
  const reported = await eventually('the agent to report the drops', 5_000, async () => {
    const c = await board.counters(attackId);
    return c !== undefined && c.packets === 2000 ? c : undefined;
  }, 100);
  assert.equal(reported.bytes, 2000 * 128);

  // A crash of the agent: the rule stays in the kernel, and the restarted agent keeps it (same entry, within its
  // lease) with its counters instead of removing and re-adding it.
  agent.kill('SIGKILL');
  await agent.exit;
  const restartedAt = Date.now();
  agent = spawnAgent();
  await eventually('the restarted agent to report', 20_000, () => ((board.lastReport('web-1')?.at ?? 0) > restartedAt ? true : undefined), 100);
  await lab.send(ATTACK_SPORT, 500);
  await eventually('the restarted agent to report the total', 10_000, async () => ((await board.counters(attackId))?.packets === 2500 ? true : undefined), 100);

  // The appliance goes silent: no renewal, so the lease (10 s) runs out and the agent removes its rule.
  await server.stop();
  const silentAt = Date.now();
  await eventually('the agent to remove its rules', 16_000, async () => ((await backend.read()).length === 0 ? true : undefined), 100);
  assert.ok(Date.now() - silentAt >= 9_000, 'not before the lease ran out');
  await lab.send(ATTACK_SPORT, 100);
  assert.equal(await settled(lab, ATTACK_SPORT), attackBefore + 100, 'delivery restored');
  assert.match(agent.output(), /lease expired without contact/);
});
