// The engine inside the appliance: an approve-mode runbook waits for `breakwater mitigations approve`, the
// CLI's list, stop-all and resume go through the loopback control endpoint, `breakwater audit` reads what
// they did and who did it; and a running `breakwater start` reloads its runbooks on SIGHUP, refusing an
// invalid file while the running configuration stays.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sampleAttack } from '@breakwater/sdk/testing';
import { Appliance } from '../../src/appliance.js';
import { AuditStore, type AuditRecord } from '../../src/audit/audit-store.js';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { isLoopback } from '../../src/mitigation/control-routes.js';
import { databasePath, openDatabase } from '../../src/storage/sqlite.js';
import { runCli as cli } from '../support/run-cli.js';
import { freeTcpPort } from '../support/free-port.js';

const REPO = new URL('../../../', import.meta.url).pathname;
const NOOP = new URL('./fixtures/approve/', import.meta.url).pathname;
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bwt-mit-app-'));
  dirs.push(dir);
  return dir;
}


function auditOf(dataDir: string): AuditRecord[] {
  const handle = openDatabase(databasePath(dataDir), { readonly: true });
  try {
    return new AuditStore(handle.db, { readonly: true }).query();
  } finally {
    handle.release();
  }
}

test('approve mode through the CLI and the control endpoint; stop-all and resume; the audit trail names who did it', async () => {
  const dataDir = tempDir();
  const result = validateConfig({
    dataDir,
    health: { port: 0 },
    sflow: { listen: [`127.0.0.1:${await freeTcpPort()}`] },
    plugins: { extraDirectories: [NOOP] },
    mitigation: { mode: 'approve' },
    runbooks: [{ name: 'ask-first', stages: [{ name: 'noop', tier: 'noop-tier', effect: 'filter' }], approval: { timeoutSeconds: 600 } }],
  });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  const appliance = new Appliance({ config: result.config, log: silentLogger() });
  await appliance.start();
  try {
    const url = `http://127.0.0.1:${appliance.health.port}`;
    const health = (await (await fetch(`${url}/health`)).json()) as { mitigation: { mode: string; stopAll: unknown } };
    assert.deepEqual([health.mitigation.mode, health.mitigation.stopAll], ['approve', false]);

    const attack = sampleAttack({ id: 'attack-approve', startedAt: Date.now(), updatedAt: Date.now() });
    appliance.bus.publish({ type: 'attack.started', attack });
    await appliance.mitigation.idle();
    const listed = await cli(['mitigations', 'list', '--url', url]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /attack-approve {2}203\.0\.113\.10 ntp_amplification {2}runbook ask-first \(approve\) {2}active at noop/);
    assert.match(listed.stdout, /noop-tier +awaiting-approval +awaiting approval until/);

    const approved = await cli(['mitigations', 'approve', 'attack-approve', '--user', 'alice', '--url', url]);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /engaged +nothing done for 203\.0\.113\.10/);
    const again = await cli(['mitigations', 'approve', 'attack-approve', '--user', 'alice', '--url', url]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /BW_ERR_MITIGATION_NOT_FOUND: No mitigation attack-approve: it has no stage awaiting approval/);

    assert.equal((await cli(['mitigations', 'stop-all', '--user', 'bob', '--url', url])).code, 0);
    assert.equal(appliance.mitigation.list()[0]?.phase, 'stopped');
    const resumed = await cli(['mitigations', 'resume', '--user', 'bob', '--url', url, '--json']);
    assert.equal((JSON.parse(resumed.stdout) as { status: { stopAll: unknown } }).status.stopAll, false);

    const trail = await cli(['audit', '--data-dir', dataDir, '--json']);
    assert.equal(trail.code, 0, trail.stderr);
    const records = JSON.parse(trail.stdout) as AuditRecord[];
    assert.deepEqual(
      records.filter((r) => r.actor.startsWith('user:')).map((r) => `${r.action} ${r.actor}`),
      ['approval.granted user:alice', 'stop-all user:bob', 'mitigation.stopped user:bob', 'resume user:bob'],
    );
    const text = await cli(['audit', '--data-dir', dataDir, '--attack', 'attack-approve', '--action', 'stage.']);
    assert.match(text.stdout, /engine +stage\.engaged +attack=attack-approve target=203\.0\.113\.10 runbook=ask-first stage=0\/noop tier=noop-tier resource=noop-attack-approve-0/);
    assert.match((await cli(['audit', '--data-dir', dataDir, '--since', 'yesterday'])).stderr, /BW_ERR_CLI_USAGE/);
  } finally {
    await appliance.stop();
  }
  assert.equal((await cli(['mitigations', 'list', '--url', 'http://127.0.0.1:1'])).stderr.split(':')[0], 'BW_ERR_CONTROL_UNREACHABLE');
  assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('::ffff:127.0.0.1'));
  assert.ok(!isLoopback('192.0.2.7') && !isLoopback('::ffff:192.0.2.7') && !isLoopback(undefined));
});

test('`breakwater start` on detect-only defaults reloads its runbooks on SIGHUP and refuses an invalid file, keeping the running one', async () => {
  const dir = tempDir();
  const dataDir = join(dir, 'data');
  const file = join(dir, 'bw.yaml');
  const healthPort = await freeTcpPort();
  const base = `dataDir: ${dataDir}\nhealth:\n  port: ${healthPort}\nsflow:\n  listen: ["127.0.0.1:${await freeTcpPort()}"]\n`;
  writeFileSync(file, base);
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'appliance/src/cli/main.ts', 'start', '--config', file], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = async <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const value = await Promise.resolve().then(probe).catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; logs:\n${logs}`);
      await sleep(100);
    }
  };
  try {
    const health = await until('the health endpoint', async () => (await (await fetch(`http://127.0.0.1:${healthPort}/health`)).json()) as { mitigation: { mode: string } });
    assert.equal(health.mitigation.mode, 'detect-only', 'embedded defaults: alerts only');
    // The health endpoint answers before the engine (started later) has opened the database.
    const started = await until('engine.started in the audit trail', () => auditOf(dataDir).find((r) => r.action === 'engine.started'));
    assert.equal(started.detail?.mitigations, 0);

    writeFileSync(file, `${base}mitigation:\n  mode: auto\nrunbooks:\n  - name: reloaded\n    stages:\n      - { name: rtbh, tier: "@breakwater/tier-rtbh" }\n`);
    child.kill('SIGHUP');
    const reloaded = await until('config.reloaded in the audit trail', () => auditOf(dataDir).find((r) => r.action === 'config.reloaded'));
    assert.deepEqual(reloaded.detail?.runbooks, ['reloaded']);
    assert.equal(((await (await fetch(`http://127.0.0.1:${healthPort}/health`)).json()) as { mitigation: { mode: string } }).mitigation.mode, 'auto');

    writeFileSync(file, `${base}runbooks:\n  - name: broken\n    stages: nope\n`);
    child.kill('SIGHUP');
    const rejected = await until('config.rejected in the audit trail', () => auditOf(dataDir).find((r) => r.action === 'config.rejected'));
    assert.match(rejected.reason ?? '', /\/runbooks\/0\/stages/);
    assert.equal(((await (await fetch(`http://127.0.0.1:${healthPort}/health`)).json()) as { mitigation: { mode: string } }).mitigation.mode, 'auto', 'the running configuration stays');
    assert.match(logs, /BW_ERR_CONFIG_RELOAD/);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, logs);
});
