// The program an isolated plugin runs in: one child process per plugin, started by child-process-plugin.ts
// through the ChildSupervisor. It loads the plugin with the same steps as the appliance (definition.ts), then
// answers hook calls from the IPC channel. The plugin's context here is a set of proxies: log lines, metric
// updates and facade calls become messages to the appliance, which owns the logger, the metrics and the BGP
// speaker. If the appliance goes away (the channel closes) the child exits, so no plugin outlives it.
import {
  METRIC_NAME_PATTERN,
  type BgpFacade,
  type FirewallFacade,
  type PluginLogger,
  type PluginLogLevel,
  type PluginMetrics,
} from '@breakwater/sdk';
import { checkConfig, createHooks, importDefinition, type PluginHooks } from './definition.js';
import { describeThrown, pluginError } from './plugin-error.js';
import { FACADE_METHODS, fromWireError, toWireError, type ChildMessage, type HostMessage } from './ipc-protocol.js';

const pluginController = new AbortController();
const callControllers = new Map<number, AbortController>();
const facadeCalls = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
let nextFacadeId = 1;
let hooks: PluginHooks | undefined;

function send(message: ChildMessage, then?: () => void): void {
  if (!process.connected) return;
  try {
    process.send!(message, undefined, {}, () => then?.());
  } catch (err) {
    // A value JSON cannot carry (a BigInt, a cycle) is a plugin bug: answer with an error instead.
    if (message.t === 'result' && message.ok) send({ t: 'result', id: message.id, ok: false, error: toWireError(new TypeError(`result is not plain JSON: ${(err as Error).message}`)) });
    else throw err;
  }
}

function proxyLogger(bindings: Record<string, unknown>): PluginLogger {
  const level = (l: PluginLogLevel) => (first: string | object, message?: string) => {
    if (typeof first === 'string') send({ t: 'log', level: l, bindings, message: first });
    else send({ t: 'log', level: l, bindings: { ...bindings, ...jsonSafe(first) }, message: message ?? '' });
  };
  return {
    trace: level('trace'),
    debug: level('debug'),
    info: level('info'),
    warn: level('warn'),
    error: level('error'),
    fatal: level('fatal'),
    child: (more) => proxyLogger({ ...bindings, ...jsonSafe(more) }),
  };
}

/** Log bindings may hold Errors, which JSON would turn into {}: keep their message and stack. */
function jsonSafe(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v;
  return out;
}

function proxyMetrics(): PluginMetrics {
  const update = (type: 'counter' | 'gauge', name: string, help: string, op: 'inc' | 'set' | 'dec', value: number) => {
    send({ t: 'metric', type, name, help, op, value });
  };
  const check = (name: string) => {
    if (!METRIC_NAME_PATTERN.test(name)) throw new TypeError(`metric name ${JSON.stringify(name)} must match ${METRIC_NAME_PATTERN}`);
  };
  return {
    counter(name, help) {
      check(name);
      update('counter', name, help, 'inc', 0);
      return {
        inc: (value = 1) => {
          if (!(value >= 0)) throw new RangeError(`counter ${name} cannot decrease`);
          update('counter', name, help, 'inc', value);
        },
      };
    },
    gauge(name, help) {
      check(name);
      update('gauge', name, help, 'inc', 0);
      return {
        set: (value) => update('gauge', name, help, 'set', value),
        inc: (value = 1) => update('gauge', name, help, 'inc', value),
        dec: (value = 1) => update('gauge', name, help, 'dec', value),
      };
    },
  };
}

function facadeProxy<F extends 'bgp' | 'firewall'>(facade: F): F extends 'bgp' ? BgpFacade : FirewallFacade {
  const methods = Object.fromEntries(
    FACADE_METHODS[facade].map((method) => [
      method,
      (...args: unknown[]) =>
        new Promise((resolve, reject) => {
          const id = nextFacadeId++;
          facadeCalls.set(id, { resolve, reject });
          send({ t: 'facade', id, facade, method, args });
        }),
    ]),
  );
  return methods as unknown as F extends 'bgp' ? BgpFacade : FirewallFacade;
}

async function load(message: Extract<HostMessage, { t: 'load' }>): Promise<void> {
  const def = await importDefinition(message.plugin);
  const config = checkConfig(def, message.config);
  const base = { name: def.name, log: proxyLogger({}), config, metrics: proxyMetrics(), signal: pluginController.signal };
  const ctx = def.kind === 'tier' ? { ...base, bgp: facadeProxy('bgp'), firewall: facadeProxy('firewall') } : base;
  const created = createHooks(def, ctx);
  if (created.start !== undefined) {
    try {
      await created.start(pluginController.signal);
    } catch (err) {
      throw pluginError('BW_ERR_PLUGIN_LOAD', def.name, 'start', [def.name, 'start', describeThrown(err)], err);
    }
  }
  hooks = created;
}

function call(message: Extract<HostMessage, { t: 'call' }>): void {
  const fn = hooks === undefined ? undefined : (hooks as unknown as Record<string, (...a: unknown[]) => unknown>)[message.hook];
  if (fn === undefined) {
    send({ t: 'result', id: message.id, ok: true, value: undefined });
    return;
  }
  const controller = new AbortController();
  callControllers.set(message.id, controller);
  const onPluginAbort = () => controller.abort(pluginController.signal.reason);
  pluginController.signal.addEventListener('abort', onPluginAbort, { once: true });
  Promise.resolve()
    .then(() => fn.call(hooks, ...message.args, controller.signal))
    .then(
      (value) => send({ t: 'result', id: message.id, ok: true, value }),
      (err: unknown) => send({ t: 'result', id: message.id, ok: false, error: toWireError(err) }),
    )
    .finally(() => {
      callControllers.delete(message.id);
      pluginController.signal.removeEventListener('abort', onPluginAbort);
    });
}

async function onMessage(message: HostMessage): Promise<void> {
  switch (message.t) {
    case 'load':
      try {
        await load(message);
        send({ t: 'loaded', hooks: Object.keys(hooks ?? {}).filter((k) => typeof (hooks as unknown as Record<string, unknown>)[k] === 'function') });
      } catch (err) {
        send({ t: 'refused', error: toWireError(err) });
      }
      return;
    case 'call':
      call(message);
      return;
    case 'abort':
      callControllers.get(message.id)?.abort(new Error('the call timed out'));
      return;
    case 'ping':
      send({ t: 'pong', id: message.id });
      return;
    case 'facade-result': {
      const pending = facadeCalls.get(message.id);
      facadeCalls.delete(message.id);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(fromWireError(message.error));
      return;
    }
    case 'stop':
      pluginController.abort(new Error('plugin stopped'));
      try {
        await hooks?.stop?.(new AbortController().signal);
      } catch (err) {
        send({ t: 'log', level: 'warn', bindings: { err: toWireError(err) }, message: 'plugin stop hook failed' });
      }
      send({ t: 'stopped' });
      return;
  }
}

process.on('message', (message: HostMessage) => void onMessage(message));
process.on('disconnect', () => process.exit(0));
// A promise the plugin leaked and that rejected later is reported, not fatal: it has no caller left to fail.
process.on('unhandledRejection', (reason) => {
  send({ t: 'log', level: 'error', bindings: { err: toWireError(reason) }, message: 'unhandled promise rejection in plugin (ignored)' });
});
// An exception outside any hook leaves the plugin in an unknown state: report it and exit; the supervisor
// starts a fresh process with backoff.
process.on('uncaughtException', (err) => {
  send({ t: 'log', level: 'fatal', bindings: { err: toWireError(err) }, message: 'uncaught exception in plugin; its process exits' }, () => process.exit(70));
  setTimeout(() => process.exit(70), 500).unref();
});
send({ t: 'ready' });
