// Owns reading `show protocols [all]` (1002 rows, 1006 detail blocks) and the one-line results of
// enable/disable/restart/reload. Column widths are not used: a protocol name longer than the
// 10-character column shifts every later column, so rows are split on whitespace instead.
import type { ReplyLine } from '../reply-parser.js';
import { unexpectedReply } from './unexpected.js';

export interface ProtocolRow {
  name: string;
  /** Protocol type as BIRD prints it: "BGP", "Static", "Device", "Kernel", ... */
  proto: string;
  /** Table of the main channel, or "---" when the protocol has none (or several, for BGP). */
  table: string;
  /** "up", "down", "start", "stop", "flush". */
  state: string;
  /** When the state last changed, in BIRD's `timeformat protocol`. */
  since: string;
  /** Protocol-specific info, e.g. "Established" or "Active        Socket: Connection refused". */
  info: string;
}

export interface RouteCounters {
  imported?: number;
  filtered?: number;
  exported?: number;
  preferred?: number;
}

/** One row of "Route change stats": received / rejected / filtered / ignored / accepted; `---` is null. */
export type RouteChangeStats = Record<string, Record<string, number | null>>;

export interface ChannelDetails {
  /** "ipv4", "ipv6", "flow4", ... */
  name: string;
  state?: string;
  table?: string;
  preference?: number;
  inputFilter?: string;
  outputFilter?: string;
  routes?: RouteCounters;
  /** Keyed `importUpdates`, `importWithdraws`, `exportUpdates`, `exportWithdraws`. */
  routeChangeStats?: RouteChangeStats;
  /** Every "Key: value" line of the channel as printed (e.g. "BGP Next hop"). */
  fields: Record<string, string>;
}

export interface ProtocolDetails {
  description?: string;
  /** Top-level "Key: value" lines, as printed: "BGP state", "Neighbor address", "Neighbor AS", ... */
  fields: Record<string, string>;
  channels: ChannelDetails[];
  /** The whole detail block verbatim (capability lists and anything else not parsed above). */
  lines: string[];
}

export interface ProtocolWithDetails extends ProtocolRow {
  details: ProtocolDetails;
}

export interface ProtocolActionResult {
  protocol: string;
  /** BIRD's wording: "disabled", "already disabled", "enabled", "restarted", "reloading", ... */
  result: string;
  code: number;
}

const ROW = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/;
// `timeformat protocol iso long` puts a space inside the time; the default formats do not.
const DATE_TIME = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(.*)$/;
const WORD = /^(\S*)\s*(.*)$/;

export function parseProtocolRow(text: string): ProtocolRow | undefined {
  const m = ROW.exec(text);
  if (!m) return undefined;
  const rest = m[5]!;
  const when = DATE_TIME.exec(rest) ?? WORD.exec(rest)!;
  return { name: m[1]!, proto: m[2]!, table: m[3]!, state: m[4]!, since: when[1]!, info: when[2]!.trim() };
}

export function parseProtocols(reply: readonly ReplyLine[]): ProtocolRow[] {
  return parseProtocolsWithDetails(reply).map(({ details: _details, ...row }) => row);
}

export function parseProtocolsWithDetails(reply: readonly ReplyLine[]): ProtocolWithDetails[] {
  const result: ProtocolWithDetails[] = [];
  let detailLines: string[] = [];
  for (const { code, text } of reply) {
    if (code === 1002) {
      const row = parseProtocolRow(text);
      if (!row) throw unexpectedReply(`a protocol row from ${JSON.stringify(text)}`, reply);
      detailLines = [];
      result.push({ ...row, details: { fields: {}, channels: [], lines: detailLines } });
    } else if (code === 1006) {
      detailLines.push(text);
    }
  }
  for (const protocol of result) protocol.details = parseProtocolDetails(protocol.details.lines);
  return result;
}

const CHANNEL = /^Channel (\S+)$/;
const KEY_VALUE = /^([^:]+):\s*(.*)$/;
const STATS_HEADER = /^Route change stats:\s+(.*)$/;
// Top-level facts sit at indent 2 or 4; deeper lines are lists such as BGP capabilities.
const MAX_FIELD_INDENT = 4;

export function parseProtocolDetails(lines: readonly string[]): ProtocolDetails {
  const details: ProtocolDetails = { fields: {}, channels: [], lines: [...lines] };
  let channel: ChannelDetails | undefined;
  let statsColumns: string[] | undefined;
  let statsIndent = 0;
  for (const raw of lines) {
    const text = raw.trim();
    if (text === '') continue;
    const indent = raw.length - raw.trimStart().length;
    const channelStart = CHANNEL.exec(text);
    if (channelStart) {
      channel = { name: channelStart[1]!, fields: {} };
      details.channels.push(channel);
      statsColumns = undefined;
      continue;
    }
    if (channel) {
      const header = STATS_HEADER.exec(text);
      if (header) {
        statsColumns = header[1]!.split(/\s+/);
        statsIndent = indent;
        channel.routeChangeStats = {};
        continue;
      }
      const kv = KEY_VALUE.exec(text);
      if (!kv) continue;
      if (statsColumns && indent > statsIndent) {
        const values = kv[2]!.split(/\s+/);
        const row: Record<string, number | null> = {};
        statsColumns.forEach((column, i) => {
          const v = values[i];
          row[column] = v === undefined || v === '---' ? null : Number(v);
        });
        channel.routeChangeStats![camelCase(kv[1]!)] = row;
        continue;
      }
      statsColumns = undefined;
      setChannelField(channel, kv[1]!, kv[2]!);
      continue;
    }
    if (indent > MAX_FIELD_INDENT) continue;
    const kv = KEY_VALUE.exec(text);
    if (kv) details.fields[kv[1]!] = kv[2]!;
  }
  if (details.fields.Description !== undefined) details.description = details.fields.Description;
  return details;
}

function setChannelField(channel: ChannelDetails, key: string, value: string): void {
  channel.fields[key] = value;
  switch (key) {
    case 'State':
      channel.state = value;
      break;
    case 'Table':
      channel.table = value;
      break;
    case 'Preference':
      channel.preference = Number(value);
      break;
    case 'Input filter':
      channel.inputFilter = value;
      break;
    case 'Output filter':
      channel.outputFilter = value;
      break;
    case 'Routes': {
      // "3 imported, 1 filtered, 0 exported, 3 preferred"
      const routes: Record<string, number> = {};
      for (const m of value.matchAll(/(\d+) (\w+)/g)) routes[m[2]!] = Number(m[1]);
      channel.routes = routes as RouteCounters;
      break;
    }
  }
}

function camelCase(words: string): string {
  return words
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1)))
    .join('');
}

// nest/proto.c prints one "<name>: <result>" line per matching protocol: 8 already disabled,
// 9 disabled, 10 already enabled, 11 enabled, 12 restarted, 15 reloading, 8006 reload failed
// (a non-final error line); then an empty 0000 line. A protocol that is not up prints nothing on reload.
const ACTION_LINE = /^(\S+): (.*)$/;

export function parseProtocolActions(reply: readonly ReplyLine[]): ProtocolActionResult[] {
  const results: ProtocolActionResult[] = [];
  for (const { code, text } of reply) {
    if (code === 0) continue;
    const m = ACTION_LINE.exec(text);
    if (!m) throw unexpectedReply(`a protocol action result from ${JSON.stringify(text)}`, reply);
    results.push({ protocol: m[1]!, result: m[2]!, code });
  }
  return results;
}
