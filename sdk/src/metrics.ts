// ctx.metrics: counters and gauges a plugin keeps about its own work. The appliance labels every series with
// the plugin's name, so two plugins may use the same metric names. Names are lower snake case.

export interface PluginCounter {
  /** Adds value (default 1; must not be negative). */
  inc(value?: number): void;
}

export interface PluginGauge {
  set(value: number): void;
  inc(value?: number): void;
  dec(value?: number): void;
}

export interface PluginMetrics {
  /** The same name returns the same counter. */
  counter(name: string, help: string): PluginCounter;
  gauge(name: string, help: string): PluginGauge;
}

/** What a metric name must look like (the appliance refuses others with a thrown TypeError). */
export const METRIC_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
