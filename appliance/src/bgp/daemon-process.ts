// One BGP daemon process (exabgp, bird, gobgpd, an FRR daemon) as the speakers run it: a ChildSupervisor child
// with bounded restart backoff, started in its own process group with its output going to a log file under
// the speaker's state directory, and a pid file next to it.
//
// Why a log file and not a pipe: with `bgp.shutdown: retain`, and after a kill -9 of the controller, the
// daemon must outlive the controller with its routes still announced; a daemon writing to a pipe whose
// reader died gets SIGPIPE (gobgpd exits on it). Why the pid file: the next controller start finds that
// leftover daemon and replaces it, so exactly one daemon per speaker runs and its routes are exactly the
// desired state (the pid is only killed when its command line names our config file, so a recycled pid of
// an unrelated process is never touched).
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChildSupervisor, type RestartPolicy, type SupervisorState } from '../supervisor/child-supervisor.js';
import type { Logger } from '../log.js';

export interface DaemonProcessSpec {
  /** Also the pid and log file name: DIR/NAME.pid, DIR/NAME.log. */
  name: string;
  command: string;
  args: readonly string[];
  /** Directory for the pid and log files. */
  dir: string;
  /** A string the daemon's command line contains only when it is ours (its config file path). */
  marker: string;
  env?: NodeJS.ProcessEnv;
  restart?: Partial<RestartPolicy>;
  stopTimeoutMs?: number;
}

export interface DaemonProcessEvents {
  spawn: [child: ChildProcess, generation: number];
  exit: [info: { code: number | null; signal: NodeJS.Signals | null; expected: boolean }];
  failed: [reason: string];
}

export class DaemonProcess extends EventEmitter<DaemonProcessEvents> {
  private supervisor: ChildSupervisor | undefined;
  private logFd: number | undefined;
  private readonly pidFile: string;
  readonly logFile: string;

  constructor(private readonly spec: DaemonProcessSpec, private readonly log: Logger) {
    super();
    this.pidFile = join(spec.dir, `${spec.name}.pid`);
    this.logFile = join(spec.dir, `${spec.name}.log`);
  }

  get pid(): number | undefined {
    return this.supervisor?.pid;
  }

  get state(): SupervisorState {
    return this.supervisor?.state ?? 'idle';
  }

  async start(): Promise<void> {
    await replaceLeftover(this.pidFile, this.spec.marker, this.log);
    // The supervisor is built here, not in the constructor, because its spawn options carry the open log fd.
    this.logFd = openSync(this.logFile, 'a', 0o640);
    const supervisor = new ChildSupervisor(
      {
        name: this.spec.name,
        command: this.spec.command,
        args: this.spec.args,
        restart: this.spec.restart,
        stopTimeoutMs: this.spec.stopTimeoutMs ?? 5_000,
        options: { detached: true, env: this.spec.env ?? process.env, stdio: ['ignore', this.logFd, this.logFd] },
      },
      this.log,
    );
    supervisor.on('spawn', (child, generation) => {
      if (child.pid !== undefined) writeFileSync(this.pidFile, `${child.pid}\n`);
      this.emit('spawn', child, generation);
    });
    supervisor.on('exit', (info) => this.emit('exit', info));
    supervisor.on('failed', (reason) => this.emit('failed', reason));
    this.supervisor = supervisor;
    await supervisor.start();
  }

  /** Stops the daemon (SIGTERM, then SIGKILL) and removes its pid file. */
  async stop(): Promise<void> {
    await this.supervisor?.stop();
    await rm(this.pidFile, { force: true });
    this.closeLog();
  }

  /** Leaves the daemon running on its own after this controller exits (bgp.shutdown: retain). */
  detach(): void {
    this.supervisor?.removeAllListeners();
    this.supervisor?.process?.unref();
    this.closeLog();
  }

  /** The end of the daemon's log, for error messages. */
  async logTail(bytes = 2_000): Promise<string> {
    try {
      const handle = await open(this.logFile, 'r');
      try {
        const { size } = await handle.stat();
        const length = Math.min(bytes, size);
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, size - length);
        return buffer.toString('utf8');
      } finally {
        await handle.close();
      }
    } catch {
      return '';
    }
  }

  private closeLog(): void {
    if (this.logFd !== undefined) closeSync(this.logFd);
    this.logFd = undefined;
  }
}

/** Kills the daemon a previous controller left behind, if the pid file names one that is still ours. */
export async function replaceLeftover(pidFile: string, marker: string, log: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(await readFile(pidFile, 'utf8'), 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !commandLineContains(pid, marker)) return;
  log.warn({ pid, pidFile }, 'replacing a daemon left running by a previous controller');
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (alive(pid) && Date.now() < deadline) await sleep(25);
  if (alive(pid)) {
    signal(pid, 'SIGKILL');
    while (alive(pid)) await sleep(25);
  }
}

function commandLineContains(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg.includes(marker));
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0; /proc tells it apart.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
