// Structured logging for the whole appliance: one pino root logger, child loggers per component.
import { pino, destination, stdSerializers, stdTimeFunctions, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface LogSettings {
  level: string;
  /** Where log lines go: a file descriptor (1 = stdout, 2 = stderr). */
  fd?: number;
}

export function createLogger(settings: LogSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    base: { app: 'breakwater' },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: stdSerializers.err },
  };
  return pino(options, destination({ fd: settings.fd ?? 1, sync: false }));
}

/** A logger that drops everything: for tests and for CLI commands whose stdout is data. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
