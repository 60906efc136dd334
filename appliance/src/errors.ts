// The one table of Breakwater's stable error codes. Every code here is documented in docs/errors.md
// (a test checks it). A code never changes meaning once released; retire it instead of reusing it.

export interface ErrorSpec {
  /** What went wrong, in words an operator can act on. May contain %s placeholders filled in order. */
  readonly message: string;
  /** HTTP status when the error crosses the REST API. */
  readonly status: number;
}

export const errorCodes = {
  BW_ERR_CONFIG_PARSE: { message: 'Configuration file %s is not valid YAML or JSON: %s', status: 400 },
  BW_ERR_CONFIG_INVALID: { message: 'Configuration is invalid: %s', status: 400 },
  BW_ERR_CONFIG_READ: { message: 'Cannot read configuration file %s: %s', status: 500 },
  BW_ERR_DATA_DIR: { message: 'Data directory %s is not usable: %s', status: 500 },
  BW_ERR_LISTEN: { message: 'Cannot listen on %s: %s', status: 500 },
  BW_ERR_INTAKE_WORKER: { message: 'sFlow decoder worker failed to start: %s', status: 500 },
  BW_ERR_PCAP_FORMAT: { message: 'Not a pcap file, or an unsupported pcap variant: %s', status: 400 },
  BW_ERR_PCAP_TRUNCATED: { message: 'Pcap file ends inside a record at byte %s', status: 400 },
  BW_ERR_CLI_USAGE: { message: '%s', status: 400 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCodes;

/** An error with a stable code, a message that says what to do, and the cause. */
export class BreakwaterError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, args: readonly unknown[] = [], options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(formatMessage(errorCodes[code].message, args), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BreakwaterError';
    this.code = code;
    this.status = errorCodes[code].status;
    this.details = options.details;
  }
}

function formatMessage(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%s/g, () => (i < args.length ? String(args[i++]) : '%s'));
}

export function isBreakwaterError(err: unknown, code?: ErrorCode): err is BreakwaterError {
  return err instanceof BreakwaterError && (code === undefined || err.code === code);
}
