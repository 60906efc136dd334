// Runs one child process and keeps it running: restarts it after an unexpected exit with exponential backoff
// (with jitter), gives up after too many restarts inside a window, and stops it within a bound (SIGTERM, then
// SIGKILL). The same shape supervises BIRD, ExaBGP and GoBGP and plugins isolated in a child process.
// It owns the process only: what the child says on its pipes belongs to whoever started it (onSpawn).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Component } from '../component.js';
import type { Logger } from '../log.js';

export interface RestartPolicy {
  /** First delay after a crash. */
  initialDelayMs: number;
  /** Upper bound of the delay; it doubles per consecutive crash up to this. */
  maxDelayMs: number;
  /** Give up when this many restarts happen within windowMs. */
  maxRestarts: number;
  windowMs: number;
  /** A child that stayed up this long resets the backoff to initialDelayMs. */
  stableAfterMs: number;
}

export const defaultRestartPolicy: RestartPolicy = {
  initialDelayMs: 200,
  maxDelayMs: 30_000,
  maxRestarts: 10,
  windowMs: 300_000,
  stableAfterMs: 60_000,
};

export interface ChildSpec {
  name: string;
  command: string;
  args: readonly string[];
  options?: SpawnOptions;
  restart?: Partial<RestartPolicy>;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
}

export type SupervisorState = 'idle' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

export interface ChildSupervisorEvents {
  spawn: [child: ChildProcess, generation: number];
  exit: [info: { code: number | null; signal: NodeJS.Signals | null; expected: boolean; uptimeMs: number }];
  restart: [info: { delayMs: number; restartsInWindow: number }];
  failed: [reason: string];
}

export class ChildSupervisor extends EventEmitter<ChildSupervisorEvents> implements Component {
  readonly name: string;
  private readonly policy: RestartPolicy;
  private child: ChildProcess | undefined;
  private stateValue: SupervisorState = 'idle';
  private generationValue = 0;
  private spawnedAt = 0;
  private nextDelayMs: number;
  private restartTimes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private exitWaiters: (() => void)[] = [];

  constructor(private readonly spec: ChildSpec, private readonly log: Logger) {
    super();
    this.name = spec.name;
    this.policy = { ...defaultRestartPolicy, ...spec.restart };
    this.nextDelayMs = this.policy.initialDelayMs;
  }

  get state(): SupervisorState {
    return this.stateValue;
  }

  /** The running child's pid, or undefined. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How many times the child was spawned (1 after start). */
  get generation(): number {
    return this.generationValue;
  }

  get process(): ChildProcess | undefined {
    return this.child;
  }

  async start(): Promise<void> {
    if (this.stateValue === 'running' || this.stateValue === 'backoff') return;
    this.restartTimes = [];
    this.nextDelayMs = this.policy.initialDelayMs;
    await this.spawnChild();
  }

  private spawnChild(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.spec.command, this.spec.args as string[], { stdio: ['pipe', 'pipe', 'pipe'], ...this.spec.options });
      this.child = child;
      this.stateValue = 'running';
      this.generationValue++;
      this.spawnedAt = Date.now();
      let settled = false;
      child.once('spawn', () => {
        settled = true;
        this.log.info({ child: this.name, pid: child.pid, generation: this.generationValue }, 'child started');
        this.emit('spawn', child, this.generationValue);
        resolve();
      });
      child.once('error', (err) => {
        // 'error' without 'spawn' means the command could not be started at all: no point retrying.
        if (!settled) {
          settled = true;
          this.child = undefined;
          this.stateValue = 'failed';
          this.log.error({ child: this.name, err }, 'child could not be started');
          this.emit('failed', err.message);
          reject(err);
        }
      });
      child.once('exit', (code, signal) => this.onExit(child, code, signal));
    });
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    const expected = this.stateValue === 'stopping' || this.stateValue === 'stopped';
    const uptimeMs = Date.now() - this.spawnedAt;
    this.emit('exit', { code, signal, expected, uptimeMs });
    for (const w of this.exitWaiters.splice(0)) w();
    if (expected) return;
    this.log.warn({ child: this.name, code, signal, uptimeMs }, 'child exited unexpectedly');
    this.scheduleRestart(uptimeMs);
  }

  private scheduleRestart(uptimeMs: number): void {
    const now = Date.now();
    if (uptimeMs >= this.policy.stableAfterMs) this.nextDelayMs = this.policy.initialDelayMs;
    this.restartTimes = this.restartTimes.filter((t) => now - t < this.policy.windowMs);
    if (this.restartTimes.length >= this.policy.maxRestarts) {
      this.stateValue = 'failed';
      const reason = `${this.restartTimes.length} restarts within ${this.policy.windowMs} ms`;
      this.log.error({ child: this.name, reason }, 'child keeps crashing; giving up');
      this.emit('failed', reason);
      return;
    }
    this.restartTimes.push(now);
    // Full jitter on the upper half keeps several crashing children from restarting in lockstep.
    const delayMs = Math.round(this.nextDelayMs / 2 + Math.random() * (this.nextDelayMs / 2));
    this.nextDelayMs = Math.min(this.nextDelayMs * 2, this.policy.maxDelayMs);
    this.stateValue = 'backoff';
    this.emit('restart', { delayMs, restartsInWindow: this.restartTimes.length });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stateValue !== 'backoff') return;
      this.spawnChild().catch(() => undefined);
    }, delayMs);
  }

  /** Stops the child: SIGTERM, then SIGKILL after stopTimeoutMs. Resolves once it has exited. */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    this.stateValue = 'stopping';
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), this.spec.stopTimeoutMs ?? 5_000);
      await exited;
      clearTimeout(killTimer);
    }
    this.stateValue = 'stopped';
  }
}
