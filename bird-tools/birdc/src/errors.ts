// Owns the one table of error codes this package can throw and the BirdError class that carries them.
// Every rejection of a public method is a BirdError with one of these literal codes, so callers can
// branch on `err.code` instead of parsing messages. It must not decide retry policy: that is the caller's.
import type { ReplyLine } from './reply-parser.js';
import { parseConfigLocation, type ConfigLocation } from './parse/config-error.js';

/** Stable codes; each one is documented in README.md (a test checks that). */
export const BirdErrorCodes = {
  /** BIRD answered with a runtime (8xxx) or syntax (9xxx) error; `birdCode` and `birdText` hold it. */
  BIRDC_ERR_REPLY: 'BIRD rejected the command',
  /** No complete reply within the command's timeout (time spent queued or disconnected counts). */
  BIRDC_ERR_TIMEOUT: 'BIRD did not answer in time',
  /** The socket closed while the command was in flight: it may or may not have taken effect. */
  BIRDC_ERR_DISCONNECTED: 'The BIRD control socket closed while the command was in flight',
  /** connect() could not open the socket or did not get BIRD's greeting. */
  BIRDC_ERR_CONNECT: 'Could not connect to the BIRD control socket',
  /** close() was called; queued and in-flight commands are rejected with this. */
  BIRDC_ERR_CLOSED: 'The BIRD client is closed',
  /** The peer sent something that is not the BIRD reply protocol. */
  BIRDC_ERR_PROTOCOL: 'The BIRD control socket sent a line that is not part of the reply protocol',
  /** A successful reply did not have the shape a typed helper expects (e.g. another BIRD version). */
  BIRDC_ERR_UNEXPECTED_REPLY: 'BIRD replied in a format this client does not understand',
  /** An argument would produce an invalid or unsafe command line (newline, bad symbol name, ...). */
  BIRDC_ERR_INVALID_ARGUMENT: 'Invalid argument for a BIRD command',
} as const;

export type BirdErrorCode = keyof typeof BirdErrorCodes;

export interface BirdErrorDetails {
  /** The command line that was sent (or would have been sent). */
  command?: string | undefined;
  /** BIRD's numeric reply code for BIRDC_ERR_REPLY, e.g. 8002 or 9001. */
  birdCode?: number | undefined;
  /** BIRD's text for that code, e.g. `syntax error, unexpected CF_SYM_UNDEFINED`. */
  birdText?: string | undefined;
  /** The whole reply, when there was one. */
  reply?: readonly ReplyLine[] | undefined;
  /** For configuration errors (8002 with a file position): where BIRD stopped. */
  location?: ConfigLocation | undefined;
  cause?: unknown;
}

export class BirdError extends Error {
  override readonly name = 'BirdError';
  readonly code: BirdErrorCode;
  readonly command: string | undefined;
  readonly birdCode: number | undefined;
  readonly birdText: string | undefined;
  readonly reply: readonly ReplyLine[] | undefined;
  readonly location: ConfigLocation | undefined;

  constructor(code: BirdErrorCode, message: string, details: BirdErrorDetails = {}) {
    super(`${message} [${code}]`, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.command = details.command;
    this.birdCode = details.birdCode;
    this.birdText = details.birdText;
    this.reply = details.reply;
    this.location = details.location;
  }
}

/**
 * Error for a reply carrying an 8xxx/9xxx line (by default its last line, which is where BIRD puts
 * command failures). 8002 is BIRD's "cannot read configuration" code and gets a file position.
 */
export function replyError(
  command: string,
  reply: readonly ReplyLine[],
  errorLine: ReplyLine | undefined = reply[reply.length - 1],
): BirdError {
  const birdCode = errorLine?.code ?? 0;
  const birdText = errorLine?.text ?? '';
  const location = birdCode === 8002 ? parseConfigLocation(birdText) : undefined;
  const where = location?.line !== undefined ? ` (${location.file} line ${location.line})` : '';
  return new BirdError('BIRDC_ERR_REPLY', `BIRD rejected \`${command}\`: ${birdCode} ${birdText}${where}`, {
    command,
    birdCode,
    birdText,
    reply,
    location,
  });
}

export function isBirdError(err: unknown, code?: BirdErrorCode): err is BirdError {
  return err instanceof BirdError && (code === undefined || err.code === code);
}
