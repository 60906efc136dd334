// Structured logging for the whole appliance: one pino root logger, child loggers per component.
import { pino, destination, stdSerializers, stdTimeFunctions, type Logger, type LoggerOptions } from 'pino';
import { REDACTED_PATHS } from './config/secret.js';

export type { Logger };

export interface LogSettings {
  level: string;
  /** Where log lines go: a file descriptor (1 = stdout, 2 = stderr). */
  fd?: number;
}

/** The root logger's options (tests build a logger on their own stream from them). */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { app: 'breakwater' },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: stdSerializers.err },
    // Configured secrets are Secret objects that log masked; this also censors a plain secret value that is
    // logged under one of the usual key names.
    redact: { paths: REDACTED_PATHS, censor: '[secret]' },
  };
}

export function createLogger(settings: LogSettings): Logger {
  return pino(loggerOptions(settings.level), destination({ fd: settings.fd ?? 1, sync: false }));
}

/** A logger that drops everything: for tests and for CLI commands whose stdout is data. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
