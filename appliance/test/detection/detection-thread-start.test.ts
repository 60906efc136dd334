// `breakwater start` from the built package (appliance/dist, what scripts/setup.sh builds) with detection.thread:
// the thread's entry is bundled and found next to the chunks, /health shows it running, and SIGTERM stops the
// appliance with the thread's baselines saved and exit code 0 (no thread keeps the process alive).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from '../support/free-port.js';

const repo = new URL('../../../', import.meta.url).pathname;
const cli = join(repo, 'appliance/dist/cli.js');
const entry = join(repo, 'appliance/dist/detection-thread.js');


test('breakwater start (built) with detection.thread: the thread runs, and SIGTERM ends the process cleanly', { skip: existsSync(entry) ? false : 'appliance/dist is not built with the detection thread (npm run build -w appliance)' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-start-thread-'));
  const healthPort = await freeTcpPort();
  const sflowPort = await freeTcpPort();
  writeFileSync(
    join(dir, 'bw.yaml'),
    `dataDir: ${join(dir, 'data')}\nhealth:\n  port: ${healthPort}\nsflow:\n  listen: ["127.0.0.1:${sflowPort}"]\nnetworks: ["198.51.100.0/24"]\ndetection:\n  thread: true\n  maxDestinations: 4096\n  maxBlocks: 256\n  maxPromoted: 64\n`,
  );
  const child = spawn(process.execPath, [cli, 'start', '--config', join(dir, 'bw.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
  try {
    let detection: { thread?: { running: boolean; tid: number }; samples?: unknown } | undefined;
    const deadline = Date.now() + 20_000;
    while (detection?.thread?.running !== true && Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${healthPort}/health`);
        detection = ((await res.json()) as { detection: typeof detection }).detection;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.equal(detection?.thread?.running, true, `the detection thread never ran; logs:\n${logs}`);
    assert.ok(detection.samples !== undefined, "the thread's report is in /health");
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, logs);
    const lines = logs.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: string });
    assert.ok(lines.some((l) => l.msg === 'detection running in its own thread'));
    assert.ok(lines.some((l) => l.msg === 'baselines loaded' || l.msg === 'baselines not loaded; learning afresh'), 'the thread logs through the appliance');
    assert.ok(lines.some((l) => l.msg === 'appliance stopped'));
    assert.ok(existsSync(join(dir, 'data', 'baselines.bin')), 'baselines saved by the thread at stop');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
