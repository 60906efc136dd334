// Owns reading `show status` (nest/cmds.c cmd_show_status) into a BirdStatus.
// Times stay strings: BIRD prints them in its own local time and `timeformat`, with no zone, so
// converting them here would invent precision the reply does not carry.
import type { ReplyLine } from '../reply-parser.js';
import { unexpectedReply } from './unexpected.js';

export interface BirdStatus {
  /** e.g. "2.0.12" (reply code 1000). */
  version: string;
  /** e.g. "198.18.0.1". */
  routerId: string;
  /** Present from BIRD 2.0.11 on. */
  hostname?: string;
  serverTime: string;
  lastReboot: string;
  lastReconfiguration: string;
  /** Final line (code 13): "Daemon is up and running", "Reconfiguration in progress", "Shutdown in progress", ... */
  message: string;
  /** Lines of code 1011 this parser does not know (e.g. graceful-restart progress), verbatim. */
  other: string[];
}

const FIELDS: ReadonlyArray<[RegExp, 'routerId' | 'hostname' | 'serverTime' | 'lastReboot' | 'lastReconfiguration']> = [
  [/^Router ID is (.+)$/, 'routerId'],
  [/^Hostname is (.+)$/, 'hostname'],
  [/^Current server time is (.+)$/, 'serverTime'],
  [/^Last reboot on (.+)$/, 'lastReboot'],
  [/^Last reconfiguration on (.+)$/, 'lastReconfiguration'],
];

export function parseStatus(reply: readonly ReplyLine[]): BirdStatus {
  const found: Partial<Record<(typeof FIELDS)[number][1], string>> = {};
  const other: string[] = [];
  let version: string | undefined;
  let message: string | undefined;
  for (const { code, text } of reply) {
    if (code === 1000) {
      version = /^BIRD (\S+)/.exec(text)?.[1];
    } else if (code === 1011) {
      const hit = FIELDS.find(([re]) => re.test(text));
      if (hit) found[hit[1]] = hit[0].exec(text)![1]!;
      else other.push(text);
    } else if (code === 13) {
      message = text;
    }
  }
  const { routerId, hostname, serverTime, lastReboot, lastReconfiguration } = found;
  if (!version || !routerId || !serverTime || !lastReboot || !lastReconfiguration || message === undefined) {
    throw unexpectedReply('the status', reply, 'show status');
  }
  const status: BirdStatus = { version, routerId, serverTime, lastReboot, lastReconfiguration, message, other };
  if (hostname !== undefined) status.hostname = hostname;
  return status;
}
