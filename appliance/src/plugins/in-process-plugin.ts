// A plugin run inside the appliance's process. Cheapest to call, and every hook is still bounded in time and
// its failures contained; what it cannot contain is a plugin that blocks the event loop (a synchronous
// loop) or exhausts the heap: such a plugin belongs in a child process (docs/plugins.md, "Isolation").
import { isPluginError, type PluginHookName } from '@breakwater/sdk';
import { checkConfig, createHooks, importDefinition, type PluginHooks } from './definition.js';
import { guardFacades } from './facades.js';
import { runHook } from './hook-call.js';
import { MAX_HUNG_CALLS, type CallableHook, type PluginCallStats, type PluginHandle, type PluginHostOptions, type PluginState } from './plugin-handle.js';
import { pluginError } from './plugin-error.js';

export class InProcessPlugin implements PluginHandle {
  readonly isolation = 'in-process' as const;
  readonly stats: PluginCallStats = { calls: 0, failures: 0, timeouts: 0, hung: 0 };
  private stateValue: PluginState = 'loading';
  private hooks: PluginHooks | undefined;
  private readonly controller = new AbortController();

  constructor(private readonly options: PluginHostOptions) {}

  get manifest() {
    return this.options.manifest;
  }

  get state(): PluginState {
    return this.stateValue;
  }

  async load(): Promise<void> {
    const { manifest } = this.options;
    try {
      // The import itself cannot be cancelled: one that never finishes is abandoned after the timeout.
      const def = await withinTimeout(importDefinition(manifest), manifest.name, this.options.hookTimeoutMs);
      const config = checkConfig(def, this.options.config);
      const signal = this.controller.signal;
      const base = {
        name: manifest.name,
        log: this.options.log.child({ plugin: manifest.name }),
        config,
        metrics: this.options.metrics.forPlugin(manifest.name),
        signal,
      };
      const ctx = def.kind === 'tier' ? { ...base, ...guardFacades(manifest.name, this.options.facades, signal) } : base;
      const hooks = createHooks(def, ctx);
      if (hooks.start !== undefined) await this.run(hooks, 'start', []).result;
      this.hooks = hooks;
      this.stateValue = 'running';
    } catch (err) {
      this.stateValue = 'failed';
      this.controller.abort(err);
      throw err;
    }
  }

  hasHook(hook: string): boolean {
    return typeof (this.hooks as unknown as Record<string, unknown> | undefined)?.[hook] === 'function';
  }

  async call(hook: CallableHook, args: readonly unknown[]): Promise<unknown> {
    const name = this.options.manifest.name;
    if (this.stateValue !== 'running' || this.hooks === undefined) {
      throw pluginError('BW_ERR_PLUGIN_UNAVAILABLE', name, hook, [name, `hook ${hook}`, `the plugin is ${this.stateValue}`]);
    }
    if (this.stats.hung >= MAX_HUNG_CALLS) {
      throw pluginError('BW_ERR_PLUGIN_UNAVAILABLE', name, hook, [name, `hook ${hook}`, `${this.stats.hung} earlier calls timed out and never finished`]);
    }
    const fn = (this.hooks as unknown as Record<string, unknown>)[hook];
    if (typeof fn !== 'function') return undefined;
    this.stats.calls++;
    // A copy, so the plugin cannot change the engine's attack record or engagement under it (plain messages).
    return this.run(this.hooks, hook, structuredClone(args)).result;
  }

  async stop(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    const hooks = this.stateValue === 'running' ? this.hooks : undefined;
    this.stateValue = 'stopping';
    this.controller.abort(new Error('plugin stopped'));
    if (hooks?.stop !== undefined) {
      // Its own signal is fresh: ctx.signal is already aborted, but stop gets its full timeout.
      await this.run(hooks, 'stop', [], new AbortController().signal).result.catch((err: unknown) => {
        this.options.log.warn({ plugin: this.options.manifest.name, err }, 'plugin stop hook failed');
      });
    }
    this.stateValue = 'stopped';
  }

  private run(hooks: PluginHooks, hook: PluginHookName, args: readonly unknown[], parent = this.controller.signal) {
    const fn = (hooks as unknown as Record<string, (...a: unknown[]) => unknown>)[hook]!;
    const run = runHook({ plugin: this.options.manifest.name, hook, timeoutMs: this.options.hookTimeoutMs, parent }, (signal) => fn.call(hooks, ...args, signal));
    let timedOut = false;
    run.result.catch((err: unknown) => {
      if (isPluginError(err, 'BW_ERR_PLUGIN_TIMEOUT')) {
        timedOut = true;
        this.stats.timeouts++;
        this.stats.hung++;
      } else {
        this.stats.failures++;
      }
    });
    void run.settled.then(() => {
      if (timedOut) this.stats.hung--;
    });
    return run;
  }
}

function withinTimeout<T>(work: Promise<T>, plugin: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(pluginError('BW_ERR_PLUGIN_TIMEOUT', plugin, 'import', [plugin, 'import', timeoutMs])), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
