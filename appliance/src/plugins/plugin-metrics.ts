// The counters and gauges plugins keep through ctx.metrics, labelled by plugin, plus nothing else: the
// registry's own per-plugin call counts live in its status. In memory; whoever exports metrics reads snapshot().
import { METRIC_NAME_PATTERN, type PluginMetrics } from '@breakwater/sdk';

export interface PluginMetricSample {
  plugin: string;
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  value: number;
}

export class PluginMetricStore {
  private readonly series = new Map<string, PluginMetricSample>();

  /** The ctx.metrics of one plugin. */
  forPlugin(plugin: string): PluginMetrics {
    return {
      counter: (name, help) => {
        const s = this.seriesFor(plugin, name, 'counter', help);
        return {
          inc: (value = 1) => {
            if (!(value >= 0)) throw new RangeError(`counter ${name} cannot decrease`);
            s.value += value;
          },
        };
      },
      gauge: (name, help) => {
        const s = this.seriesFor(plugin, name, 'gauge', help);
        return {
          set: (value) => void (s.value = value),
          inc: (value = 1) => void (s.value += value),
          dec: (value = 1) => void (s.value -= value),
        };
      },
    };
  }

  /** Applies one update sent by an isolated plugin (see ipc-protocol.ts). Throws like forPlugin's methods. */
  apply(plugin: string, update: { type: 'counter' | 'gauge'; name: string; help: string; op: 'inc' | 'set' | 'dec'; value: number }): void {
    const m = this.forPlugin(plugin);
    if (update.type === 'counter') m.counter(update.name, update.help).inc(update.value);
    else m.gauge(update.name, update.help)[update.op](update.value);
  }

  snapshot(): PluginMetricSample[] {
    return [...this.series.values()].map((s) => ({ ...s }));
  }

  private seriesFor(plugin: string, name: string, type: 'counter' | 'gauge', help: string): PluginMetricSample {
    if (!METRIC_NAME_PATTERN.test(name)) throw new TypeError(`metric name ${JSON.stringify(name)} must match ${METRIC_NAME_PATTERN}`);
    const key = `${plugin}\u0000${name}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = { plugin, name, type, help, value: 0 };
      this.series.set(key, s);
    } else if (s.type !== type) {
      throw new TypeError(`metric ${name} is a ${s.type}, not a ${type}`);
    }
    return s;
  }
}
