// Owns turning helper arguments into command-line text that BIRD parses as intended.
// Every value is checked against what BIRD's grammar accepts in that position before it is
// interpolated: a stray newline would start a second command, a stray quote would end a string.
import { BirdError } from './errors.js';

const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;
// BIRD's protocol patterns (`disable "bw_*"`) use shell-like * and ? wildcards.
const PATTERN = /^[A-Za-z0-9_*?]+$/;
const ADDRESS = /^[0-9A-Fa-f:.]+$/;
const NETWORK = /^[0-9A-Fa-f:.]+\/\d{1,3}$/;

function invalid(message: string): BirdError {
  return new BirdError('BIRDC_ERR_INVALID_ARGUMENT', message);
}

/** A table, protocol or filter name as declared in the config (`t4`, `bw_flow4`). */
export function symbol(value: unknown, what: string): string {
  if (typeof value !== 'string' || !SYMBOL.test(value)) {
    throw invalid(`${what} must be a BIRD symbol name (letters, digits, _), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A protocol name, `all`, or a wildcard pattern, as enable/disable/restart/reload accept. */
export function protocolSpec(value: unknown): string {
  if (typeof value === 'string' && SYMBOL.test(value)) return value;
  if (typeof value === 'string' && PATTERN.test(value)) return `"${value}"`;
  throw invalid(`protocol must be a protocol name, "all" or a pattern with * and ?, got ${JSON.stringify(value)}`);
}

/** A string argument such as a config file name, quoted for BIRD's lexer (which has no escapes). */
export function quoted(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '' || /["\\\r\n\0]/.test(value)) {
    throw invalid(`${what} must be a non-empty string without quotes, backslashes or newlines`);
  }
  return `"${value}"`;
}

export function network(value: unknown): string {
  if (typeof value !== 'string' || !NETWORK.test(value)) {
    throw invalid(`prefix must be an IPv4 or IPv6 prefix such as 203.0.113.0/24, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function address(value: unknown): string {
  if (typeof value !== 'string' || !ADDRESS.test(value)) {
    throw invalid(`for must be an IPv4 or IPv6 address, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function wholeSeconds(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw invalid(`${what} must be a positive whole number of seconds`);
  }
  return value;
}
