// Fake plugin contexts for unit tests (backstage's mockServices): a logger and metrics that remember what they
// were given, the recording facades, and a signal the test can abort. No appliance, no daemon, no network.
import type { BgpFacade } from '../bgp-facade.js';
import type { NotifierContext, TierContext } from '../context.js';
import type { FirewallFacade } from '../firewall-facade.js';
import type { PluginLogger, PluginLogLevel } from '../logger.js';
import { METRIC_NAME_PATTERN, type PluginMetrics } from '../metrics.js';
import { createRecordingFacades, type ActiveMitigation, type FacadeCall } from './recording-facades.js';

export interface RecordedLog {
  level: PluginLogLevel;
  message: string;
  bindings: Record<string, unknown>;
}

export interface FakeContextOptions<Config> {
  /** Defaults to "test-plugin". */
  name?: string;
  config: Config;
  bgp?: Partial<BgpFacade>;
  firewall?: Partial<FirewallFacade>;
  /** Clock for receipts' expiresAt. */
  now?: () => number;
}

export interface FakeNotifierContext<Config> extends NotifierContext<Config> {
  readonly logs: RecordedLog[];
  /** A metric's current value (counters and gauges alike), undefined when never created. */
  metricValue(name: string): number | undefined;
  /** Aborts ctx.signal, as the appliance does when it stops the plugin. */
  abort(): void;
}

export interface FakeTierContext<Config> extends FakeNotifierContext<Config>, TierContext<Config> {
  /** Every facade call, in order. */
  readonly calls: FacadeCall[];
  /** Mitigations announced or applied and not yet withdrawn, by receipt id. */
  readonly active: ReadonlyMap<string, ActiveMitigation>;
}

export function createFakeNotifierContext<Config>(options: FakeContextOptions<Config>): FakeNotifierContext<Config> {
  const logs: RecordedLog[] = [];
  const values = new Map<string, number>();
  const controller = new AbortController();
  return {
    name: options.name ?? 'test-plugin',
    config: options.config,
    log: recordingLogger(logs, {}),
    metrics: recordingMetrics(values),
    signal: controller.signal,
    logs,
    metricValue: (name) => values.get(name),
    abort: () => controller.abort(new Error('plugin stopped')),
  };
}

export function createFakeTierContext<Config>(options: FakeContextOptions<Config>): FakeTierContext<Config> {
  const facades = createRecordingFacades(options);
  return { ...createFakeNotifierContext(options), bgp: facades.bgp, firewall: facades.firewall, calls: facades.calls, active: facades.active };
}

const LEVELS: readonly PluginLogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function recordingLogger(logs: RecordedLog[], bound: Record<string, unknown>): PluginLogger {
  const fn = (level: PluginLogLevel) => (first: string | object, message?: string) => {
    if (typeof first === 'string') logs.push({ level, message: first, bindings: { ...bound } });
    else logs.push({ level, message: message ?? '', bindings: { ...bound, ...first } });
  };
  const logger = Object.fromEntries(LEVELS.map((l) => [l, fn(l)])) as unknown as PluginLogger;
  logger.child = (bindings) => recordingLogger(logs, { ...bound, ...bindings });
  return logger;
}

function recordingMetrics(values: Map<string, number>): PluginMetrics {
  const checkName = (name: string) => {
    if (!METRIC_NAME_PATTERN.test(name)) throw new TypeError(`metric name ${JSON.stringify(name)} must match ${METRIC_NAME_PATTERN}`);
    if (!values.has(name)) values.set(name, 0);
  };
  const add = (name: string, value: number) => values.set(name, (values.get(name) ?? 0) + value);
  return {
    counter(name) {
      checkName(name);
      return {
        inc(value = 1) {
          if (value < 0) throw new RangeError(`counter ${name} cannot decrease`);
          add(name, value);
        },
      };
    },
    gauge(name) {
      checkName(name);
      return { set: (value) => void values.set(name, value), inc: (value = 1) => add(name, value), dec: (value = 1) => add(name, -value) };
    },
  };
}
