// A plugin run in its own child process, under the same ChildSupervisor as BIRD and ExaBGP: an unexpected
// exit is followed by a restart with bounded, jittered backoff, and too many restarts in a window give up.
// The appliance talks to it only in plain messages (ipc-protocol.ts). What this buys over in-process: a plugin
// that blocks its event loop, exhausts its heap, crashes or leaks promises takes down only its own process.
// A call that times out is abandoned; if the child then does not answer a ping within PING_GRACE_MS (its event
// loop is blocked) or too many calls hang, the process is killed and a fresh one is started.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { PLUGIN_ERROR_CODES, PluginError, type PluginErrorCode, type PluginStage } from '@breakwater/sdk';
import { ChildSupervisor, type RestartPolicy } from '../supervisor/child-supervisor.js';
import { guardFacades, type TierFacades } from './facades.js';
import { ChildMessageSchema, FACADE_METHODS, fromWireError, toWireError, type ChildMessage, type HostMessage, type WireError } from './ipc-protocol.js';
import { MAX_HUNG_CALLS, type CallableHook, type PluginCallStats, type PluginHandle, type PluginHostOptions, type PluginState } from './plugin-handle.js';
import { pluginError } from './plugin-error.js';

/** Default time a fresh process gets to start Node and import the plugin, on top of the hook timeout for start. */
export const CHILD_STARTUP_ALLOWANCE_MS = 10_000;
/** How long a child whose call timed out has to answer a ping before it is judged blocked and killed. */
export const PING_GRACE_MS = 1_000;

interface PendingCall {
  hook: CallableHook;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface ChildPluginOptions extends PluginHostOptions {
  restart?: Partial<RestartPolicy>;
}

/** The child's program: the .ts source under tsx (tests, development), the bundled file in dist. */
function childEntry(): string {
  return import.meta.url.endsWith('.ts')
    ? fileURLToPath(new URL('./child-entry.ts', import.meta.url))
    : fileURLToPath(new URL('./plugin-child.js', import.meta.url));
}

/**
 * The appliance's Node flags for the child, with `--import` specifiers made absolute: the child runs in the
 * plugin's folder, where a bare `--import tsx` (development and tests) would not resolve.
 */
function inheritedNodeFlags(): string[] {
  const flags = [...process.execArgv];
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (flag === '--import' && i + 1 < flags.length) flags[i + 1] = absoluteSpecifier(flags[i + 1]!);
    else if (flag.startsWith('--import=')) flags[i] = `--import=${absoluteSpecifier(flag.slice('--import='.length))}`;
  }
  return flags;
}

function absoluteSpecifier(specifier: string): string {
  try {
    return import.meta.resolve(specifier);
  } catch {
    return specifier;
  }
}

export class ChildProcessPlugin implements PluginHandle {
  readonly isolation = 'child' as const;
  private stateValue: PluginState = 'loading';
  private supervisor: ChildSupervisor | undefined;
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, PendingCall>();
  private readonly hungIds = new Set<number>();
  private readonly counts = { calls: 0, failures: 0, timeouts: 0 };
  private nextId = 1;
  private firstLoad: { resolve(): void; reject(err: Error): void } | undefined;
  private pingWaiters = new Map<number, () => void>();
  private stopWaiter: (() => void) | undefined;
  private readonly facades: TierFacades;
  /** Aborted at stop: facade calls still arriving from the child are refused. */
  private readonly controller = new AbortController();
  private readonly log;
  private hookNames = new Set<string>();

  constructor(private readonly options: ChildPluginOptions) {
    this.log = options.log.child({ plugin: options.manifest.name });
    this.facades = guardFacades(options.manifest.name, options.facades, this.controller.signal);
  }

  get manifest() {
    return this.options.manifest;
  }

  get state(): PluginState {
    return this.stateValue;
  }

  get stats(): PluginCallStats {
    return { ...this.counts, hung: this.hungIds.size };
  }

  hasHook(hook: string): boolean {
    return this.hookNames.has(hook);
  }

  /** The child's pid while one runs (for tests and `plugins list`). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async load(): Promise<void> {
    const { manifest } = this.options;
    const supervisor = new ChildSupervisor(
      {
        name: `plugin ${manifest.name}`,
        command: process.execPath,
        // The same Node flags as the appliance: under tsx in development and tests, none from dist.
        args: [...inheritedNodeFlags(), childEntry()],
        options: { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json', cwd: manifest.dir },
        ...(this.options.restart !== undefined ? { restart: this.options.restart } : {}),
        stopTimeoutMs: 2_000,
      },
      this.log,
    );
    this.supervisor = supervisor;
    supervisor.on('spawn', (child) => this.attach(child));
    supervisor.on('exit', (info) => this.onExit(info.code, info.signal, info.expected));
    supervisor.on('failed', (reason) => {
      this.stateValue = 'failed';
      this.log.error({ reason }, 'isolated plugin gave up restarting');
    });
    const loaded = new Promise<void>((resolve, reject) => (this.firstLoad = { resolve, reject }));
    const loadBoundMs = this.options.hookTimeoutMs + (this.options.childStartupMs ?? CHILD_STARTUP_ALLOWANCE_MS);
    const timer = setTimeout(() => {
      this.firstLoad?.reject(pluginError('BW_ERR_PLUGIN_TIMEOUT', manifest.name, 'start', [manifest.name, 'load', loadBoundMs]));
    }, loadBoundMs);
    try {
      await supervisor.start();
      await loaded;
      this.stateValue = 'running';
    } catch (err) {
      this.stateValue = 'failed';
      this.controller.abort(err);
      await supervisor.stop();
      throw err instanceof PluginError ? err : pluginError('BW_ERR_PLUGIN_LOAD', manifest.name, 'import', [manifest.name, 'process start', (err as Error).message], err);
    } finally {
      clearTimeout(timer);
      this.firstLoad = undefined;
    }
  }

  call(hook: CallableHook, args: readonly unknown[]): Promise<unknown> {
    const name = this.options.manifest.name;
    const child = this.child;
    if (this.stateValue !== 'running' || child === undefined || !child.connected) {
      return Promise.reject(pluginError('BW_ERR_PLUGIN_UNAVAILABLE', name, hook, [name, `hook ${hook}`, `its process is ${this.stateValue === 'running' ? 'not connected' : this.stateValue}`]));
    }
    const id = this.nextId++;
    this.counts.calls++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.onTimeout(id), this.options.hookTimeoutMs);
      this.pending.set(id, { hook, resolve, reject, timer });
      this.send(child, { t: 'call', id, hook, args: [...args] });
    });
  }

  async stop(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    const wasRunning = this.stateValue === 'running';
    this.stateValue = 'stopping';
    this.controller.abort(new Error('plugin stopped'));
    const child = this.child;
    if (wasRunning && child?.connected) {
      // The stop hook gets its timeout; then the supervisor ends the process whatever it is doing.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.hookTimeoutMs);
        this.stopWaiter = () => {
          clearTimeout(timer);
          resolve();
        };
        this.send(child, { t: 'stop' });
      });
    }
    await this.supervisor?.stop();
    this.failPending('the plugin is stopped');
    this.stateValue = 'stopped';
  }

  private attach(child: ChildProcess): void {
    this.child = child;
    child.on('message', (raw: unknown) => this.onMessage(child, raw));
    // What a plugin prints instead of logging still reaches the log, attributed to it.
    if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => this.log.info({ stream: 'stdout' }, line));
    if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => this.log.warn({ stream: 'stderr' }, line));
  }

  private onMessage(child: ChildProcess, raw: unknown): void {
    if (child !== this.child) return;
    if (!Value.Check(ChildMessageSchema, raw)) {
      this.log.warn({ message: JSON.stringify(raw)?.slice(0, 200) }, 'isolated plugin sent a malformed message (dropped)');
      return;
    }
    const message = raw as ChildMessage;
    const name = this.options.manifest.name;
    switch (message.t) {
      case 'ready':
        this.send(child, { t: 'load', plugin: { name, dir: this.options.manifest.dir, kind: this.options.manifest.kind, entry: this.options.manifest.entry }, config: this.options.config });
        return;
      case 'loaded':
        this.hookNames = new Set(message.hooks);
        if (this.firstLoad !== undefined) this.firstLoad.resolve();
        else if (this.stateValue === 'restarting') {
          this.stateValue = 'running';
          this.log.info('isolated plugin restarted and loaded');
        }
        return;
      case 'refused': {
        const err = refusal(name, message.error);
        if (this.firstLoad !== undefined) this.firstLoad.reject(err);
        else {
          // It loaded before; a restart that cannot load is a crash like any other, with backoff.
          this.log.error({ err }, 'isolated plugin refused to load after a restart');
          child.kill('SIGKILL');
        }
        return;
      }
      case 'result': {
        const call = this.pending.get(message.id);
        this.hungIds.delete(message.id);
        if (call === undefined) return;
        this.pending.delete(message.id);
        clearTimeout(call.timer);
        if (message.ok) call.resolve(message.value);
        else {
          this.counts.failures++;
          const cause = fromWireError(message.error);
          call.reject(pluginError('BW_ERR_PLUGIN_HOOK', name, call.hook, [name, call.hook, cause.message], cause));
        }
        return;
      }
      case 'pong':
        this.pingWaiters.get(message.id)?.();
        return;
      case 'facade':
        void this.runFacade(child, message);
        return;
      case 'log':
        this.log[message.level](message.bindings, message.message);
        return;
      case 'metric':
        try {
          this.options.metrics.apply(name, message);
        } catch (err) {
          this.log.warn({ err }, 'isolated plugin sent a bad metric update (dropped)');
        }
        return;
      case 'stopped':
        this.stopWaiter?.();
        return;
    }
  }

  private async runFacade(child: ChildProcess, message: Extract<ChildMessage, { t: 'facade' }>): Promise<void> {
    const allowed = FACADE_METHODS[message.facade] as readonly string[];
    let reply: HostMessage;
    try {
      if (!allowed.includes(message.method)) throw new TypeError(`${message.facade}.${message.method} is not a facade method`);
      const facade = this.facades[message.facade] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      reply = { t: 'facade-result', id: message.id, ok: true, value: await facade[message.method]!(...message.args) };
    } catch (err) {
      reply = { t: 'facade-result', id: message.id, ok: false, error: toWireError(err) };
    }
    if (child === this.child) this.send(child, reply);
  }

  private onTimeout(id: number): void {
    const call = this.pending.get(id);
    const child = this.child;
    if (call === undefined) return;
    this.pending.delete(id);
    this.counts.timeouts++;
    this.hungIds.add(id);
    const name = this.options.manifest.name;
    call.reject(pluginError('BW_ERR_PLUGIN_TIMEOUT', name, call.hook, [name, call.hook, this.options.hookTimeoutMs]));
    if (child === undefined) return;
    this.send(child, { t: 'abort', id });
    if (this.hungIds.size >= MAX_HUNG_CALLS) {
      this.replace(child, `${this.hungIds.size} calls timed out and never finished`);
      return;
    }
    // A plugin that merely waits can take further calls; one whose event loop is blocked cannot answer a ping.
    const pingId = this.nextId++;
    const timer = setTimeout(() => {
      this.pingWaiters.delete(pingId);
      this.replace(child, `no answer to a ping within ${PING_GRACE_MS} ms after hook ${call.hook} timed out (event loop blocked?)`);
    }, PING_GRACE_MS);
    this.pingWaiters.set(pingId, () => {
      clearTimeout(timer);
      this.pingWaiters.delete(pingId);
    });
    this.send(child, { t: 'ping', id: pingId });
  }

  /** Kills a child that cannot recover; the supervisor sees an unexpected exit and starts a new one. */
  private replace(child: ChildProcess, reason: string): void {
    if (child !== this.child || this.stateValue !== 'running') return;
    this.log.error({ reason }, 'killing isolated plugin process');
    child.kill('SIGKILL');
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, expected: boolean): void {
    this.child = undefined;
    this.hungIds.clear();
    for (const done of this.pingWaiters.values()) done();
    this.stopWaiter?.();
    const how = `its process exited (${signal ?? `code ${code}`})`;
    this.failPending(how);
    if (this.firstLoad !== undefined) {
      const name = this.options.manifest.name;
      this.firstLoad.reject(pluginError('BW_ERR_PLUGIN_LOAD', name, 'import', [name, 'import', `${how} before it loaded`]));
    }
    if (!expected && this.stateValue === 'running') this.stateValue = 'restarting';
  }

  private failPending(reason: string): void {
    const name = this.options.manifest.name;
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(pluginError('BW_ERR_PLUGIN_UNAVAILABLE', name, call.hook, [name, `hook ${call.hook}`, reason]));
      this.pending.delete(id);
    }
  }

  private send(child: ChildProcess, message: HostMessage): void {
    if (!child.connected) return;
    child.send(message, (err) => {
      if (err) this.log.warn({ err, t: message.t }, 'could not send to isolated plugin');
    });
  }
}

/** A load refusal from the child, as the PluginError the in-process loader would have thrown. */
function refusal(plugin: string, wire: WireError): PluginError {
  const hook = (wire.hook ?? 'import') as PluginStage;
  if (wire.code !== undefined && (PLUGIN_ERROR_CODES as readonly string[]).includes(wire.code)) {
    return new PluginError(wire.code as PluginErrorCode, wire.message, { plugin, hook });
  }
  return pluginError('BW_ERR_PLUGIN_LOAD', plugin, hook, [plugin, hook, wire.message], fromWireError(wire));
}
