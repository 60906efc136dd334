import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/run-cli.js';
import { freeTcpPort } from '../support/free-port.js';

const repo = new URL('../../../', import.meta.url).pathname;

test('config check: a valid file exits 0, an invalid one exits 1 and names every problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-cli-'));
  try {
    writeFileSync(join(dir, 'ok.yaml'), 'sflow:\n  listen: ["127.0.0.1:6343"]\n');
    writeFileSync(join(dir, 'bad.yaml'), 'sflow:\n  workers: -3\n  listen: ["nope"]\nextra: 1\n');
    const ok = await runCli(['config', 'check', join(dir, 'ok.yaml')]);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /configuration OK/);
    const bad = await runCli(['config', 'check', join(dir, 'bad.yaml')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /BW_ERR_CONFIG_INVALID/);
    for (const path of ['/sflow/workers', '/sflow/listen/0', '/extra']) assert.ok(bad.stderr.includes(path), path);
    const json = await runCli(['config', 'check', join(dir, 'bad.yaml'), '--json']);
    const parsed = JSON.parse(json.stdout) as { ok: boolean; problems: { path: string }[] };
    assert.equal(parsed.ok, false);
    assert.equal(parsed.problems.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unknown commands and options are usage errors with a stable code', async () => {
  const r = await runCli(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /BW_ERR_CLI_USAGE/);
  const o = await runCli(['config', 'check', '--nope', 'x']);
  assert.equal(o.code, 2);
  assert.match(o.stderr, /BW_ERR_CLI_USAGE/);
});


test('breakwater start serves /health, logs JSON lines and exits 0 on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-start-'));
  const healthPort = await freeTcpPort();
  const sflowPort = await freeTcpPort();
  writeFileSync(join(dir, 'bw.yaml'), `dataDir: ${join(dir, 'data')}\nhealth:\n  port: ${healthPort}\nsflow:\n  listen: ["127.0.0.1:${sflowPort}"]\n`);
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'appliance/src/cli/main.ts', 'start', '--config', join(dir, 'bw.yaml')], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
  try {
    let health: Record<string, unknown> | undefined;
    const deadline = Date.now() + 20_000;
    while (health === undefined && Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${healthPort}/health`);
        health = (await res.json()) as Record<string, unknown>;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(health, `health endpoint never answered; logs:\n${logs}`);
    assert.equal(health.status, 'ok');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const lines = logs.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: string });
    assert.ok(lines.some((l) => l.msg === 'appliance started'));
    assert.ok(lines.some((l) => l.msg === 'appliance stopped'));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
