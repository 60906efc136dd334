import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ChildSupervisor } from '../../src/supervisor/child-supervisor.js';
import { silentLogger } from '../../src/log.js';

const node = process.execPath;
const fastRestart = { initialDelayMs: 20, maxDelayMs: 80, maxRestarts: 3, windowMs: 60_000, stableAfterMs: 60_000 };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('restarts a crashing child with growing delays, then gives up after maxRestarts', async () => {
  const sup = new ChildSupervisor({ name: 'crasher', command: node, args: ['-e', 'process.exit(3)'], restart: fastRestart }, silentLogger());
  const delays: number[] = [];
  const exits: (number | null)[] = [];
  sup.on('restart', (r) => delays.push(r.delayMs));
  sup.on('exit', (e) => exits.push(e.code));
  const failed = once(sup, 'failed');
  await sup.start();
  const [reason] = (await failed) as [string];
  assert.match(reason, /3 restarts/);
  assert.equal(sup.state, 'failed');
  assert.equal(sup.generation, 4, 'first run plus three restarts');
  assert.deepEqual(exits, [3, 3, 3, 3]);
  assert.equal(delays.length, 3);
  // Each delay lies in the upper half of a doubling step: [10,20], [20,40], [40,80].
  assert.ok(delays[0]! >= 10 && delays[0]! <= 20, String(delays));
  assert.ok(delays[1]! >= 20 && delays[1]! <= 40, String(delays));
  assert.ok(delays[2]! >= 40 && delays[2]! <= 80, String(delays));
});

test('stop() sends SIGTERM and the child is gone; no restart follows an expected exit', async () => {
  const sup = new ChildSupervisor({ name: 'sleeper', command: node, args: ['-e', 'setInterval(() => {}, 1000)'], restart: fastRestart }, silentLogger());
  let restarts = 0;
  sup.on('restart', () => restarts++);
  await sup.start();
  const pid = sup.pid!;
  assert.ok(alive(pid));
  await sup.stop();
  assert.equal(alive(pid), false);
  assert.equal(sup.state, 'stopped');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(restarts, 0);
});

test('stop() escalates to SIGKILL when the child ignores SIGTERM', async () => {
  const script = "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)";
  const sup = new ChildSupervisor({ name: 'stubborn', command: node, args: ['-e', script], stopTimeoutMs: 300, restart: fastRestart }, silentLogger());
  await sup.start();
  await once(sup.process!.stdout!, 'data');
  const pid = sup.pid!;
  const exited = once(sup, 'exit');
  const t0 = Date.now();
  await sup.stop();
  const [info] = (await exited) as [{ signal: string | null; expected: boolean }];
  assert.equal(info.signal, 'SIGKILL');
  assert.equal(info.expected, true);
  assert.ok(Date.now() - t0 >= 250);
  assert.equal(alive(pid), false);
});

test('a child killed from outside is restarted with a new pid', async () => {
  const sup = new ChildSupervisor({ name: 'victim', command: node, args: ['-e', 'setInterval(() => {}, 1000)'], restart: fastRestart }, silentLogger());
  await sup.start();
  const firstPid = sup.pid!;
  const respawned = once(sup, 'spawn');
  process.kill(firstPid, 'SIGKILL');
  await respawned;
  assert.notEqual(sup.pid, firstPid);
  assert.equal(sup.generation, 2);
  await sup.stop();
});

test('a command that does not exist fails start() at once, without retrying', async () => {
  const sup = new ChildSupervisor({ name: 'ghost', command: '/nonexistent/bw-binary', args: [], restart: fastRestart }, silentLogger());
  await assert.rejects(sup.start(), /ENOENT/);
  assert.equal(sup.state, 'failed');
  assert.equal(sup.generation, 1);
});
