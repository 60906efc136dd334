// Owns reading the replies of `configure`, `configure check|soft|confirm|undo` (sysdep/unix/main.c).
// Failures (8002 unreadable or invalid config, any other 8xxx/9xxx) never get here: they are
// BirdErrors raised by the connection. Everything else is a success code, reported as a status.
import type { ReplyLine } from '../reply-parser.js';
import { unexpectedReply } from './unexpected.js';

export type ConfigureStatus =
  | 'reconfigured'
  | 'in-progress'
  | 'queued'
  | 'unqueued'
  | 'confirmed'
  | 'shutting-down'
  | 'nothing-to-do'
  | 'ok';

// Final reply codes, from cmd_reconfig_msg() and cmd_check_config().
const STATUS_BY_CODE: ReadonlyMap<number, ConfigureStatus> = new Map([
  [3, 'reconfigured'], // "Reconfigured"
  [4, 'in-progress'], // "Reconfiguration in progress": protocols are still being reconfigured
  [5, 'queued'], // "Reconfiguration already in progress, queueing new config"
  [17, 'unqueued'], // "Reconfiguration already in progress, removing queued config"
  [18, 'confirmed'], // "Reconfiguration confirmed"
  [6, 'shutting-down'], // "Reconfiguration ignored, shutting down"
  [19, 'nothing-to-do'], // "Nothing to do" (confirm/undo without a pending timeout)
  [20, 'ok'], // "Configuration OK" (configure check)
]);

export interface ConfigureResult {
  status: ConfigureStatus;
  /** BIRD's final reply code, e.g. 3 or 20. */
  code: number;
  /** BIRD's final line, e.g. "Reconfigured". */
  message: string;
  /** From "0002-Reading configuration from <file>". */
  file?: string;
  /** From "0022-Undo scheduled in N s" (configure ... timeout N). */
  undoInSeconds?: number;
  /** True after `configure undo` ("0021-Undo requested"). */
  undoRequested?: boolean;
}

export function parseConfigureResult(reply: readonly ReplyLine[]): ConfigureResult {
  const last = reply[reply.length - 1];
  const status = last ? STATUS_BY_CODE.get(last.code) : undefined;
  if (!last || !status) throw unexpectedReply('the result of configure', reply);
  const result: ConfigureResult = { status, code: last.code, message: last.text };
  for (const { code, text } of reply) {
    if (code === 2) {
      const file = /^Reading configuration from (.+)$/.exec(text)?.[1];
      if (file !== undefined) result.file = file;
    } else if (code === 22) {
      const seconds = /^Undo scheduled in (\d+) s$/.exec(text)?.[1];
      if (seconds !== undefined) result.undoInSeconds = Number(seconds);
    } else if (code === 21) {
      result.undoRequested = true;
    }
  }
  return result;
}
