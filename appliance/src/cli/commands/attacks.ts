// `breakwater attacks list|show ID|pcap ID`: reads the attack history (history/attack-history-store.ts), the
// audit trail and the mitigation state from the appliance database, read-only, so it works while the appliance
// runs; `pcap` copies the attack's capture file (capture/attack-pcap-path.ts) to a file or stdout. Times are ISO
// or "30m", "2h", "7d" ago (parseWhen, as `breakwater audit`); text or --json.
import { createReadStream, existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { attackPcapPath } from '../../capture/attack-pcap-path.js';
import { loadConfig } from '../../config/load.js';
import type { AttackRecord, Share } from '../../detection/attack.js';
import { BreakwaterError, isBreakwaterError } from '../../errors.js';
import { attackCapture, readAttackDetail, type AttackDetail } from '../../history/attack-detail.js';
import { AttackHistoryStore, type AttackQuery, type StoredAttack } from '../../history/attack-history-store.js';
import type { AttackSeriesPoint, AttackSeriesSummary } from '../../history/attack-series-store.js';
import { databasePath, openDatabase, type SqliteDatabase } from '../../storage/sqlite.js';
import type { Command, CommandIo } from '../command.js';
import { METRIC_UNIT, ratesText, si } from '../rate-text.js';
import { formatRecord, parseWhen } from './audit.js';
import { formatMitigation } from './mitigations.js';

const where = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

async function dataDirOf(values: { config?: string; 'data-dir'?: string }): Promise<string> {
  return values['data-dir'] ?? (await loadConfig(values.config)).dataDir;
}

/** Opens the database read-only and hands the history (and the raw handle) to `work`. */
function readHistory<R>(dataDir: string, work: (history: AttackHistoryStore, db: SqliteDatabase) => R): R {
  const path = databasePath(dataDir);
  if (!existsSync(path)) throw new BreakwaterError('BW_ERR_HISTORY_READ', [path, 'there is no database yet (the appliance has not run with this data directory)']);
  const handle = openDatabase(path, { readonly: true });
  try {
    return work(new AttackHistoryStore(handle.db, { readonly: true }), handle.db);
  } catch (err) {
    if (isBreakwaterError(err)) throw err;
    throw new BreakwaterError('BW_ERR_HISTORY_READ', [path, (err as Error).message], { cause: err });
  } finally {
    handle.release();
  }
}

/** Prints the error with its code; usage problems exit 2, everything else 1. */
function fail(io: CommandIo, err: unknown): number {
  const code = isBreakwaterError(err) ? err.code : ((err as NodeJS.ErrnoException).code ?? 'error');
  io.stderr.write(`${code}: ${(err as Error).message}\n`);
  return isBreakwaterError(err) && (err.code === 'BW_ERR_CLI_USAGE' || err.code === 'BW_ERR_HISTORY_QUERY' || err.code === 'BW_ERR_CAPTURE_ATTACK_ID') ? 2 : 1;
}

function usage(io: CommandIo, command: Command, message: string): number {
  io.stderr.write(`BW_ERR_CLI_USAGE: ${message}\nusage: ${command.usage}\n`);
  return 2;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function status(s: StoredAttack): string {
  return s.endReason === null ? 'active' : `ended (${s.endReason})`;
}

/** One line per attack: id, start, how long, target, vector, severity, peak, status. */
export function formatAttackLine(s: StoredAttack): string {
  const a = s.attack;
  const lasted = (a.endedAt ?? a.updatedAt) - a.startedAt;
  return [
    a.id.padEnd(13),
    iso(a.startedAt),
    (s.endReason === null ? `${duration(lasted)}+` : duration(lasted)).padStart(7),
    a.target.padEnd(18),
    a.vector.padEnd(24),
    a.severity.padEnd(8),
    `peak ${ratesText(a.peak)}`.padEnd(34),
    status(s),
  ].join('  ');
}

function shares<K>(list: Share<K>[], label: (k: K) => string = String): string {
  return list.length === 0 ? '-' : list.map((s) => `${label(s.key)} ${(s.share * 100).toFixed(1)}%`).join(', ');
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function seriesPointText(p: AttackSeriesPoint): string {
  return `${iso(p.t)}  ${ratesText(p)}`;
}

/** The rate series' lines of `attacks show`: how many points, the first, the last, the peak. */
export function formatSeriesSummary(s: AttackSeriesSummary, metric: AttackRecord['threshold']['metric']): string[] {
  if (s.points === 0 || s.first === null || s.last === null || s.peak === null) return ['  rate series   none recorded (an attack from before this release, or no update written yet)'];
  return [
    `  rate series   ${s.points} point${s.points === 1 ? '' : 's'} over ${duration(s.last.t - s.first.t)} (GET /api/v1/attacks/ID/series has them all)`,
    `    first       ${seriesPointText(s.first)}`,
    `    last        ${seriesPointText(s.last)}`,
    `    peak        ${seriesPointText(s.peak)}  (by ${metric === 'flows' ? 'pps' : metric}; threshold ${si(s.peak.threshold)}${METRIC_UNIT[metric]}${s.peak.baseline !== null ? `, baseline ${si(s.peak.baseline)}${METRIC_UNIT[metric]}` : ''})`,
  ];
}

/** Everything about one attack, as `attacks show` prints it. */
export function formatAttackDetail(d: AttackDetail): string {
  const a: AttackRecord = d.attack;
  const t = a.threshold;
  const p = a.profile;
  const lines = [
    `attack ${a.id}: ${a.vector} on ${a.target} (${a.targetKind}, IPv${a.ipVersion}, host group ${a.hostGroup})`,
    `  status        ${status(d)}`,
    `  first sample  ${iso(a.firstSampleAt)}`,
    `  started       ${iso(a.startedAt)}  (detection latency ${a.detectionLatencyMs} ms)`,
    a.endedAt !== undefined ? `  ended         ${iso(a.endedAt)}  (lasted ${duration(a.endedAt - a.startedAt)})` : `  last update   ${iso(a.updatedAt)}`,
    `  severity      ${a.severity}, confidence ${a.confidence.toFixed(2)}`,
    `  threshold     ${t.key} ${t.metric} > ${si(t.value)}${METRIC_UNIT[t.metric]} (${t.source}, group ${t.hostGroup}): measured ${si(t.measured)}${METRIC_UNIT[t.metric]} (lower bound ${si(t.lowerBound)}${METRIC_UNIT[t.metric]}) over ${t.windowMs} ms`,
    `  rates         last ${ratesText(a.rates)}; peak ${ratesText(a.peak)}${a.baseline !== undefined ? `; baseline ${ratesText(a.baseline)}` : ''}`,
    ...formatSeriesSummary(d.series, t.metric),
    `  samples       ${a.samples} at sampling ${a.samplingRates.map((r) => `1:${r}`).join(', ') || '-'}`,
    `  signature     coverage ${percent(a.signature.coverage)}, collateral ${percent(a.signature.collateral)} (${a.signature.attackSamples} attack / ${a.signature.benignSamples} benign samples)`,
    `    match       ${JSON.stringify(a.signature.match)}`,
    '  profile',
    `    vectors            ${shares(p.vectors)}`,
    ...(p.topDestinations.length > 0 ? [`    destinations       ${shares(p.topDestinations)}`] : []),
    `    sources            ${shares(p.topSources)}`,
    `    source ports       ${shares(p.topSourcePorts)}`,
    `    destination ports  ${shares(p.topDestinationPorts)}`,
    `    protocols          ${shares(p.protocols)}`,
    `    packet sizes       ${shares(p.packetSizes, (k) => `<=${k}`)}`,
    `    tcp flags          ${shares(p.tcpFlags, (k) => `0x${k.toString(16).padStart(2, '0')}`)}`,
    `    flash crowd        ${p.flashCrowdLikely ? 'likely' : 'no'}`,
    `  capture       ${d.capture === null ? 'none' : `${d.capture.path} (${d.capture.bytes} bytes): breakwater attacks pcap ${a.id} -o FILE`}`,
  ];
  if (d.mitigation === null) lines.push('  mitigation    none running');
  else lines.push('  mitigation', ...formatMitigation(d.mitigation).split('\n').map((l) => `    ${l}`));
  lines.push(`  audit trail   ${d.audit.length} entr${d.audit.length === 1 ? 'y' : 'ies'}`, ...d.audit.map((r) => `    ${formatRecord(r)}`));
  return lines.join('\n');
}

export const attacksList: Command = {
  path: ['attacks', 'list'],
  summary: 'list attacks from the history, newest first (filter by time, target, vector, active)',
  usage: 'breakwater attacks list [--since T] [--until T] [--target ADDR|PREFIX] [--vector V] [--active] [--limit N] [--json] [--config FILE | --data-dir DIR]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        ...where,
        since: { type: 'string' },
        until: { type: 'string' },
        target: { type: 'string' },
        vector: { type: 'string' },
        active: { type: 'boolean', default: false },
        limit: { type: 'string', default: '100' },
        json: { type: 'boolean', default: false },
      },
      allowPositionals: true,
    });
    if (positionals.length > 0) return usage(io, this, `unexpected argument "${positionals[0]}"`);
    try {
      const limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new BreakwaterError('BW_ERR_CLI_USAGE', ['--limit must be a positive integer']);
      const query: AttackQuery = { limit };
      if (values.since !== undefined) query.since = parseWhen(values.since);
      if (values.until !== undefined) query.until = parseWhen(values.until);
      if (values.target !== undefined) query.target = values.target;
      if (values.vector !== undefined) query.vector = values.vector;
      if (values.active) query.active = true;
      const attacks = readHistory(await dataDirOf(values), (history) => history.list(query));
      if (values.json) io.stdout.write(JSON.stringify(attacks, null, 2) + '\n');
      else {
        for (const s of attacks) io.stdout.write(formatAttackLine(s) + '\n');
        io.stderr.write(`${attacks.length} attack${attacks.length === 1 ? '' : 's'}${attacks.length === limit ? ` (the newest ${limit}; --limit for more)` : ''}\n`);
      }
      return 0;
    } catch (err) {
      return fail(io, err);
    }
  },
};

export const attacksShow: Command = {
  path: ['attacks', 'show'],
  summary: 'show one attack: record, profile, signature, capture, mitigation and its audit trail',
  usage: 'breakwater attacks show ID [--json] [--config FILE | --data-dir DIR]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { ...where, json: { type: 'boolean', default: false } }, allowPositionals: true });
    if (positionals.length !== 1) return usage(io, this, 'give one attack id (breakwater attacks list shows them)');
    const id = positionals[0]!;
    try {
      const dataDir = await dataDirOf(values);
      const detail = readHistory(dataDir, (history, db) => readAttackDetail(history, db, dataDir, id));
      if (detail === undefined) throw new BreakwaterError('BW_ERR_ATTACK_NOT_FOUND', [id, databasePath(dataDir)]);
      io.stdout.write(values.json ? JSON.stringify(detail, null, 2) + '\n' : formatAttackDetail(detail) + '\n');
      return 0;
    } catch (err) {
      return fail(io, err);
    }
  },
};

export const attacksPcap: Command = {
  path: ['attacks', 'pcap'],
  summary: "write an attack's capture (pcap) to a file or stdout",
  usage: 'breakwater attacks pcap ID [-o FILE|-] [--config FILE | --data-dir DIR]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { ...where, output: { type: 'string', short: 'o', default: '-' } }, allowPositionals: true });
    if (positionals.length !== 1) return usage(io, this, 'give one attack id (breakwater attacks list shows them)');
    const id = positionals[0]!;
    const toStdout = values.output === '-';
    if (toStdout && (io.stdout as { isTTY?: boolean }).isTTY === true) return usage(io, this, 'stdout is a terminal: give -o FILE, or pipe the capture (| tshark -r -)');
    try {
      const dataDir = await dataDirOf(values);
      // An id that could not have come from detection (a path) is refused before anything is read.
      attackPcapPath(dataDir, id);
      const known = readHistory(dataDir, (history) => history.get(id) !== undefined);
      if (!known) throw new BreakwaterError('BW_ERR_ATTACK_NOT_FOUND', [id, databasePath(dataDir)]);
      const capture = attackCapture(dataDir, id);
      if (capture === null) throw new BreakwaterError('BW_ERR_ATTACK_PCAP_MISSING', [id, 'capture was off when it was detected, or retention removed the file']);
      if (toStdout) {
        for await (const chunk of createReadStream(capture.path)) {
          if (!io.stdout.write(chunk)) await once(io.stdout, 'drain');
        }
      } else {
        await copyFile(capture.path, values.output);
        io.stderr.write(`${capture.bytes} bytes written to ${values.output}\n`);
      }
      return 0;
    } catch (err) {
      return fail(io, err);
    }
  },
};
