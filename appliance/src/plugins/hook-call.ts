// One call of one plugin hook, bounded in time. The caller gets a result or a coded error within timeoutMs,
// whatever the plugin does: a throw (sync or async) becomes BW_ERR_PLUGIN_HOOK (or _LOAD for start), a hook
// that does not settle becomes BW_ERR_PLUGIN_TIMEOUT and its signal is aborted so a well-behaved plugin stops
// working on it. `settled` tells the owner when the plugin's own promise really ends (it may never), which is
// how hung calls are counted.
import type { PluginHookName } from '@breakwater/sdk';
import { describeThrown, pluginError } from './plugin-error.js';

export interface HookCall {
  plugin: string;
  hook: PluginHookName;
  timeoutMs: number;
  /** The plugin's own signal (aborted when it is stopped); the call's signal follows it. */
  parent: AbortSignal;
}

export interface HookRun<T> {
  result: Promise<T>;
  settled: Promise<void>;
}

export function runHook<T>(call: HookCall, fn: (signal: AbortSignal) => T | Promise<T>): HookRun<T> {
  const controller = new AbortController();
  // Linked by hand rather than AbortSignal.any: the plugin's signal lives long and sees many calls.
  const onParentAbort = () => controller.abort(call.parent.reason);
  if (call.parent.aborted) controller.abort(call.parent.reason);
  else call.parent.addEventListener('abort', onParentAbort, { once: true });

  // Starting the hook from a promise turns a synchronous throw into a rejection like any other.
  const underlying = Promise.resolve().then(() => fn(controller.signal));
  const settled = underlying.then(
    () => call.parent.removeEventListener('abort', onParentAbort),
    () => call.parent.removeEventListener('abort', onParentAbort),
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = pluginError('BW_ERR_PLUGIN_TIMEOUT', call.plugin, call.hook, [call.plugin, call.hook, call.timeoutMs]);
      controller.abort(err);
      reject(err);
    }, call.timeoutMs);
  });
  const failed = (err: unknown) => {
    throw call.hook === 'start'
      ? pluginError('BW_ERR_PLUGIN_LOAD', call.plugin, 'start', [call.plugin, 'start', describeThrown(err)], err)
      : pluginError('BW_ERR_PLUGIN_HOOK', call.plugin, call.hook, [call.plugin, call.hook, describeThrown(err)], err);
  };
  const result = Promise.race([underlying.catch(failed), timedOut]).finally(() => clearTimeout(timer));
  return { result, settled };
}
