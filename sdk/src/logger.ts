// The logger a plugin gets as ctx.log: the pino call shape (a pino child logger satisfies it), already bound
// to the plugin's name, so every line a plugin writes says whose it is. Declared here rather than imported
// from pino so that a plugin does not depend on the appliance's logging library or its version.

export interface PluginLogFn {
  (message: string): void;
  (bindings: object, message?: string): void;
}

export interface PluginLogger {
  trace: PluginLogFn;
  debug: PluginLogFn;
  info: PluginLogFn;
  warn: PluginLogFn;
  error: PluginLogFn;
  fatal: PluginLogFn;
  /** A logger that adds these bindings to every line (e.g. the attack id during one engagement). */
  child(bindings: Record<string, unknown>): PluginLogger;
}

export type PluginLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
