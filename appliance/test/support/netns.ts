// Test harness for anything that talks to a real daemon in a network namespace: namespaces and veth pairs,
// child processes the test owns, temporary directories, and polling with a deadline. Everything created is
// recorded and removed by pid and by name — in the test's after() hook (cleanUp) and again on process exit
// and on SIGINT/SIGTERM in case a test crashed first. Adapted from bird-tools/birdc/test/helpers/bird.ts.
//
// Addresses: only 100.64.0.0/10 (shared address space), 198.18.0.0/15 (benchmarking) and the documentation
// ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32): never routed off this machine.
import { spawn, execFileSync, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const livePids = new Set<number>();
const liveNetns = new Set<string>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

export function netnsUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (ip) not found';
  return undefined;
}

export function commandMissing(...paths: string[]): string | undefined {
  const missing = paths.filter((p) => !existsSync(p));
  return missing.length > 0 ? `not installed: ${missing.join(', ')}` : undefined;
}

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
export function cleanUpEverything(): void {
  for (const pid of livePids) killQuietly(pid, 'SIGKILL');
  for (const ns of liveNetns) {
    // Daemons the code under test started inside the namespace (and that outlived it) die with it here.
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean);
    for (const pid of pids) killQuietly(Number(pid), 'SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
  }
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  livePids.clear();
  liveNetns.clear();
  liveDirs.clear();
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export function makeTempDir(label: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), `bwt-${label}-`));
  liveDirs.add(dir);
  return dir;
}

export function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A fresh namespace `bwt-<label>-<pid>-<role>` with loopback up. */
export function createNetns(label: string, role: string): string {
  installExitHook();
  const ns = `bwt-${label}-${process.pid}-${role}`;
  spawnSync('ip', ['netns', 'del', ns]);
  ip('netns', 'add', ns);
  liveNetns.add(ns);
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  return ns;
}

export function deleteNetns(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean);
  for (const pid of pids) killQuietly(Number(pid), 'SIGKILL');
  spawnSync('ip', ['netns', 'del', ns]);
  liveNetns.delete(ns);
}

export interface VethLink {
  a: { ns: string; ifname: string; ipv4: string; ipv6: string };
  b: { ns: string; ifname: string; ipv4: string; ipv6: string };
}

/**
 * Joins two namespaces with a veth pair: 100.64.<n>.1/30 <-> .2 and 2001:db8:64:<n>::1/64 <-> ::2.
 * The pair is created inside `a` with its peer moved straight into `b`, so no interface ever appears in the
 * host namespace and names cannot clash with other users of this machine.
 */
export function linkNetns(a: string, b: string, n: number): VethLink {
  const link: VethLink = {
    a: { ns: a, ifname: `bw${n}a`, ipv4: `100.64.${n}.1`, ipv6: `2001:db8:64:${n}::1` },
    b: { ns: b, ifname: `bw${n}b`, ipv4: `100.64.${n}.2`, ipv6: `2001:db8:64:${n}::2` },
  };
  ip('-n', a, 'link', 'add', link.a.ifname, 'type', 'veth', 'peer', 'name', link.b.ifname, 'netns', b);
  for (const side of [link.a, link.b]) {
    ip('-n', side.ns, 'addr', 'add', `${side.ipv4}/30`, 'dev', side.ifname);
    // nodad: the address is usable at once instead of after duplicate address detection (~2 s).
    ip('-n', side.ns, 'addr', 'add', `${side.ipv6}/64`, 'dev', side.ifname, 'nodad');
    ip('-n', side.ns, 'link', 'set', side.ifname, 'up');
  }
  return link;
}

export interface OwnedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  output(): string;
  exited(): boolean;
  /** Resolves when the process has exited. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns a process the test owns (inside `netns` when given: `ip netns exec` execs in place, so the pid is the program's). */
export function spawnOwned(command: string, args: readonly string[], options: { netns?: string; env?: NodeJS.ProcessEnv; cwd?: string; stdin?: 'pipe' | 'ignore' } = {}): OwnedProcess {
  installExitHook();
  const spawnOptions: SpawnOptions = { stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd };
  const child = options.netns ? spawn('ip', ['netns', 'exec', options.netns, command, ...args], spawnOptions) : spawn(command, args as string[], spawnOptions);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  livePids.add(pid);
  let log = '';
  // Drain the pipes continuously: a full pipe would block the daemon's logging and with it the daemon.
  const keep = (s: string): void => {
    log = (log + s).slice(-65_536);
  };
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  let exited = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      livePids.delete(pid);
      resolve({ code, signal });
    });
  });
  return {
    pid,
    child,
    output: () => log,
    exited: () => exited,
    exit,
    kill: (signal = 'SIGTERM') => {
      if (!exited) killQuietly(pid, signal);
    },
    stop: async (graceMs = 3_000) => {
      if (exited) return;
      killQuietly(pid, 'SIGTERM');
      const timer = setTimeout(() => killQuietly(pid, 'SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Retries `probe` until it returns a value other than undefined, or fails after `withinMs`. */
export async function eventually<T>(what: string, withinMs: number, probe: () => Promise<T | undefined> | T | undefined, everyMs = 25): Promise<T> {
  const deadline = Date.now() + withinMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`, { cause: lastError });
    await sleep(everyMs);
  }
}
