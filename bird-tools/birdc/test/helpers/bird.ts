// Test harness: runs real BIRD 2 daemons as child processes this test owns (`bird -f -c CONF -s SOCK`),
// optionally inside network namespaces joined by a veth pair, and cleans everything up by pid and
// by name: in the test's after() hook, and again on process exit in case a test crashed first.
import { spawn, execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const BIRD_BIN = process.env.BIRD_BIN ?? '/usr/sbin/bird';

/** Why real-BIRD tests cannot run here, or undefined when they can. */
export function birdUnavailableReason(): string | undefined {
  if (!existsSync(BIRD_BIN)) return `${BIRD_BIN} not found (install bird2 or set BIRD_BIN)`;
  return undefined;
}

export function netnsUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (ip) not found';
  return undefined;
}

const livePids = new Set<number>();
const liveNetns = new Set<string>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', cleanUpEverything);
  // 'exit' does not run when a signal ends the process (the test runner's timeout, Ctrl-C).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanUpEverything();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  }
}

/** Synchronous on purpose: it also runs from the 'exit' event, where async work never completes. */
function cleanUpEverything(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const ns of liveNetns) spawnSync('ip', ['netns', 'del', ns]);
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  livePids.clear();
  liveNetns.clear();
  liveDirs.clear();
}

export function makeTempDir(label: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), `bwt-birdc-${label}-`));
  liveDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

export interface BirdDaemon {
  readonly name: string;
  readonly pid: number;
  readonly socketPath: string;
  readonly configPath: string;
  readonly netns: string | undefined;
  /** BIRD's own log (config has `log stderr all`), kept for failure messages. */
  stderr(): string;
  exited(): boolean;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if BIRD has not exited within 3 s. */
  stop(): Promise<void>;
}

export interface StartBirdOptions {
  dir: string;
  name: string;
  config: string;
  netns?: string;
  /** Reuse this socket path (to restart "the same" BIRD); defaults to DIR/NAME.ctl. */
  socketPath?: string;
}

export async function startBird(options: StartBirdOptions): Promise<BirdDaemon> {
  installExitHook();
  const configPath = join(options.dir, `${options.name}.conf`);
  const socketPath = options.socketPath ?? join(options.dir, `${options.name}.ctl`);
  writeFileSync(configPath, options.config);
  const birdArgs = ['-f', '-c', configPath, '-s', socketPath];
  // `ip netns exec` execs BIRD in place, so the pid we record is BIRD's own.
  const child: ChildProcess = options.netns
    ? spawn('ip', ['netns', 'exec', options.netns, BIRD_BIN, ...birdArgs], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(BIRD_BIN, birdArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${BIRD_BIN}`);
  const pid = child.pid;
  livePids.add(pid);
  let log = '';
  // Drain stderr continuously: a full pipe would block BIRD's logging and with it the daemon.
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    log = (log + s).slice(-32_768);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      livePids.delete(pid);
      resolve();
    });
  });
  const daemon: BirdDaemon = {
    name: options.name,
    pid,
    socketPath,
    configPath,
    netns: options.netns,
    stderr: () => log,
    exited: () => exited,
    signal: (sig) => {
      if (!exited) process.kill(pid, sig);
    },
    stop: async () => {
      if (exited) return;
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) process.kill(pid, 'SIGKILL');
      }, 3_000);
      await exit;
      clearTimeout(timer);
    },
  };
  await waitForGreeting(daemon, 5_000);
  return daemon;
}

/** Polls the control socket until BIRD greets, so tests never race the daemon's start-up. */
async function waitForGreeting(daemon: BirdDaemon, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (daemon.exited()) throw new Error(`BIRD ${daemon.name} exited during start-up:\n${daemon.stderr()}`);
    if (existsSync(daemon.socketPath) && (await greets(daemon.socketPath))) return;
    await sleep(25);
  }
  await daemon.stop();
  throw new Error(`BIRD ${daemon.name} did not greet on ${daemon.socketPath} within ${withinMs} ms:\n${daemon.stderr()}`);
}

function greets(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path: socketPath });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk) => done(chunk.toString('utf8').startsWith('0001 ')));
  });
}

export interface NetnsPair {
  a: string;
  b: string;
  /** Addresses on the veth pair, from 100.64.0.0/10 (shared address space, never routed here). */
  addressA: string;
  addressB: string;
  interfaceA: string;
  interfaceB: string;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Two fresh namespaces `bwt-birdc-<pid>-<label>-a|b` joined by a veth pair, 100.64.0.1/30 <-> .2. */
export function createNetnsPair(label: string): NetnsPair {
  installExitHook();
  const pair: NetnsPair = {
    a: `bwt-birdc-${process.pid}-${label}-a`,
    b: `bwt-birdc-${process.pid}-${label}-b`,
    addressA: '100.64.0.1',
    addressB: '100.64.0.2',
    interfaceA: 'bwa0',
    interfaceB: 'bwb0',
  };
  for (const ns of [pair.a, pair.b]) {
    ip('netns', 'add', ns);
    liveNetns.add(ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  // Created inside namespace a with its peer moved straight to b: no interface ever appears in
  // the host namespace, so names cannot clash with other users of this machine.
  ip('-n', pair.a, 'link', 'add', pair.interfaceA, 'type', 'veth', 'peer', 'name', pair.interfaceB, 'netns', pair.b);
  ip('-n', pair.a, 'addr', 'add', `${pair.addressA}/30`, 'dev', pair.interfaceA);
  ip('-n', pair.b, 'addr', 'add', `${pair.addressB}/30`, 'dev', pair.interfaceB);
  ip('-n', pair.a, 'link', 'set', pair.interfaceA, 'up');
  ip('-n', pair.b, 'link', 'set', pair.interfaceB, 'up');
  return pair;
}

export function deleteNetns(...names: string[]): void {
  for (const ns of names) {
    spawnSync('ip', ['netns', 'del', ns]);
    liveNetns.delete(ns);
  }
}

/** Retries `probe` until it returns a value other than undefined, or fails after `withinMs`. */
export async function eventually<T>(what: string, withinMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + withinMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${withinMs} ms waiting for ${what}`, { cause: lastError });
    }
    await sleep(50);
  }
}
