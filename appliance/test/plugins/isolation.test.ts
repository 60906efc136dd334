// What running a plugin in a child process buys: a plugin that blocks its event loop, crashes or leaks a
// rejected promise costs only its own process. The appliance's side stays responsive (the timeout arrives on
// time), the process is replaced through the ChildSupervisor, and the plugin takes calls again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPluginError } from '@breakwater/sdk';
import { createRecordingFacades, sampleAttack, sampleStage } from '@breakwater/sdk/testing';
import { PluginRegistry } from '../../src/plugins/registry.js';
import { captureLogger, fastRestart, pluginsConfig } from './helpers.js';

const fixtures = fileURLToPath(new URL('./fixtures-isolation/', import.meta.url));
const HOOK_TIMEOUT_MS = 500;

describe('a tier in a child process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bw-isolation-'));
  const { log, lines } = captureLogger();
  const registry = new PluginRegistry({
    settings: pluginsConfig({ directory: join(dataDir, 'plugins'), extraDirectories: [fixtures], hookTimeoutMs: HOOK_TIMEOUT_MS, isolation: 'child' }),
    dataDir,
    log,
    facades: createRecordingFacades(),
    restart: fastRestart,
  });
  const engage = (stage: string) => registry.engage('misbehaving-tier', sampleAttack(), sampleStage({ name: stage }));
  const pidOf = async () => (await engage('fine')).id;

  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (condition()) return;
      await sleep(25);
    }
    assert.fail(`condition not met: ${JSON.stringify(registry.list()[0])}`);
  }
  const runningAgain = () => until(() => registry.list()[0]?.state === 'running');

  before(() => registry.start());
  after(async () => {
    await registry.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('loads in its own process', async () => {
    assert.equal(registry.list()[0]?.state, 'running');
    assert.notEqual(await pidOf(), `ok-${process.pid}`);
    // It has no verify hook: taken at its word.
    assert.deepEqual(await registry.verify('misbehaving-tier', { id: 'x', summary: '' }), { state: 'active', detail: 'the tier has no verify hook' });
  });

  test('a leaked rejected promise is logged and the process keeps serving', async () => {
    const before = await pidOf();
    await engage('leak');
    await sleep(50);
    assert.equal(await pidOf(), before);
    assert.ok(lines.some((l) => l.plugin === 'misbehaving-tier' && l.msg === 'unhandled promise rejection in plugin (ignored)'));
  });

  test('a blocked event loop: the call times out on time, the process is replaced, calls work again', async () => {
    const before = await pidOf();
    const started = Date.now();
    await assert.rejects(engage('block'), (err) => isPluginError(err, 'BW_ERR_PLUGIN_TIMEOUT') && err.hook === 'engage');
    const elapsed = Date.now() - started;
    assert.ok(elapsed < HOOK_TIMEOUT_MS + 300, `the appliance side answered after ${elapsed} ms`);
    await until(() => registry.list()[0]?.state !== 'running'); // the ping grace passes unanswered: killed
    await runningAgain();
    assert.notEqual(await pidOf(), before);
    assert.ok(lines.some((l) => l.plugin === 'misbehaving-tier' && l.msg === 'killing isolated plugin process'));
  });

  test('a crash fails the call in flight with BW_ERR_PLUGIN_UNAVAILABLE and the plugin is restarted', async () => {
    const before = await pidOf();
    await assert.rejects(engage('crash'), (err) => isPluginError(err, 'BW_ERR_PLUGIN_UNAVAILABLE') && /exited \(code 3\)/.test(err.message));
    await runningAgain();
    assert.notEqual(await pidOf(), before);
  });
});

test('in-process, a leaked rejection is logged and the appliance process survives it', () => {
  // In a process of its own: node:test counts any unhandled rejection in the test process as a failure.
  const script = fileURLToPath(new URL('./support/leaky-in-process.ts', import.meta.url));
  const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', script, fixtures], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { engaged: string[]; logged: { plugin: string; msg: string }[] };
  assert.equal(report.engaged.length, 2, 'the tier keeps working after its leaked rejection');
  assert.ok(report.logged.some((l) => l.plugin === 'misbehaving-tier' && /unhandled promise rejection/.test(l.msg)), JSON.stringify(report.logged));
});
