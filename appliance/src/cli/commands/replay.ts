// `breakwater replay FILE.pcap|- --config FILE`: runs detection over a capture of sFlow datagrams with the
// capture's own clock (replay/sflow-replay.ts) and prints the attacks this configuration would have raised: a
// table, or with --json one JSON object per line (the AttackRecord as last published, with its start and end in
// capture time and why it ended). Progress on stderr about once a second (--quiet: none), and a summary on
// stderr that counts every datagram that was not decoded. Touches no data directory and no database.
// Exit 0: replayed; 2: usage, configuration or unreadable input; 1: the capture is cut or corrupt part way
// (the attacks of what came before are printed).
import { createReadStream, statSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig, splitHostPort } from '../../config/load.js';
import { BreakwaterError, isBreakwaterError } from '../../errors.js';
import { replaySflow, ReplayBaselineError, type ReplayedAttack, type ReplayProgress, type ReplaySummary } from '../../replay/sflow-replay.js';
import type { Command, CommandIo } from '../command.js';
import { METRIC_UNIT, ratesText, si } from '../rate-text.js';
import { parseWhen } from './audit.js';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** One JSON line per attack: the record, plus its start and end as capture times and the end reason. */
export function replayedAttackJson(r: ReplayedAttack): string {
  const a = r.attack;
  return JSON.stringify({ ...a, startedTime: iso(a.startedAt), endedTime: a.endedAt === undefined ? null : iso(a.endedAt), endReason: r.endReason });
}

const COLUMNS = ['STARTED (capture time)', 'ENDED', 'LATENCY', 'TARGET', 'VECTOR', 'SEVERITY', 'CONF', 'PEAK', 'THRESHOLD CROSSED', 'END'];

export function replayTable(attacks: readonly ReplayedAttack[]): string {
  const rows = attacks.map(({ attack: a, endReason }) => [
    iso(a.startedAt),
    a.endedAt === undefined ? '-' : iso(a.endedAt),
    `${a.detectionLatencyMs} ms`,
    a.target,
    a.vector,
    a.severity,
    a.confidence.toFixed(2),
    ratesText(a.peak),
    `${a.threshold.key} ${a.threshold.metric} > ${si(a.threshold.value)}${METRIC_UNIT[a.threshold.metric]} (${a.threshold.source})`,
    endReason,
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(COLUMNS), ...rows.map(line)].join('\n');
}

function count(n: number): string {
  return si(n).trimEnd();
}

export function summaryLine(s: ReplaySummary, attacks: number): string {
  const parts = [
    `packets=${s.packets}`,
    `sflow_datagrams=${s.sflowDatagrams}`,
    `datagrams_ok=${s.datagramsOk}`,
    `datagrams_rejected=${s.datagramsRejected}`,
    ...Object.entries(s.rejectedByReason).map(([reason, n]) => `rejected_${reason}=${n}`),
    `other_udp=${s.otherUdp}`,
    ...Object.entries(s.frames).map(([reason, n]) => `frames_${reason}=${n}`),
    `out_of_order=${s.outOfOrder}`,
    ...(s.skippedBeforeFrom > 0 ? [`skipped_before_from=${s.skippedBeforeFrom}`] : []),
    ...(s.receiveErrors > 0 ? [`receive_errors=${s.receiveErrors}`] : []),
    ...(s.baselinesLoaded !== null ? [`baselines_loaded=${s.baselinesLoaded}`] : []),
    ...Object.entries(s.samples).map(([k, n]) => `samples_${k}=${n}`),
    `ticks=${s.ticks}`,
    `attacks=${attacks}`,
  ];
  const span = s.firstCaptureMs !== null && s.lastCaptureMs !== null ? s.lastCaptureMs - s.firstCaptureMs : 0;
  const timing =
    s.firstCaptureMs !== null && s.lastCaptureMs !== null
      ? ` capture=${iso(s.firstCaptureMs)}..${iso(s.lastCaptureMs)} (${(span / 1000).toFixed(1)} s) wall=${(s.wallMs / 1000).toFixed(2)} s (${span > 0 && s.wallMs > 0 ? `${(span / s.wallMs).toFixed(0)}x capture speed, ` : ''}${count((s.sflowDatagrams * 1000) / Math.max(s.wallMs, 1))} datagrams/s)`
      : ' (no sFlow datagram in the capture)';
  return `replay: ${parts.join(' ')}${timing}\n`;
}

function progressLine(p: ReplayProgress, bytesRead: number, fileBytes: number | undefined): string {
  const share = fileBytes !== undefined && fileBytes > 0 ? ` (${((bytesRead * 100) / fileBytes).toFixed(0)}% of the file)` : '';
  return `replay: ${count(p.datagrams)} datagrams (${count((p.datagrams * 1000) / Math.max(p.wallMs, 1))}/s), capture time ${iso(p.captureTimeMs)}${share}, ${p.attacksStarted} attack${p.attacksStarted === 1 ? '' : 's'} so far\n`;
}

async function readable(path: string, what: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
    if (!statSync(path).isFile()) throw new Error('not a file');
  } catch (err) {
    throw new BreakwaterError('BW_ERR_REPLAY_INPUT', [path, `the ${what} cannot be read: ${(err as Error).message}`], { cause: err });
  }
}

function fail(io: CommandIo, err: unknown, code: number): number {
  io.stderr.write(`${isBreakwaterError(err) ? err.code : ((err as NodeJS.ErrnoException).code ?? 'error')}: ${(err as Error).message}\n`);
  return code;
}

export const replay: Command = {
  path: ['replay'],
  summary: 'run detection over a capture of sFlow (pcap/pcapng) on its own clock and print the attacks it would raise',
  usage: 'breakwater replay FILE.pcap|- --config FILE [--json] [--from T] [--speed max|N] [--baselines FILE] [--port N | --any-port] [--quiet]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        config: { type: 'string' },
        json: { type: 'boolean', default: false },
        from: { type: 'string' },
        speed: { type: 'string', default: 'max' },
        baselines: { type: 'string' },
        port: { type: 'string' },
        'any-port': { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
      },
      allowPositionals: true,
    });
    const usage = (message: string): number => {
      io.stderr.write(`BW_ERR_CLI_USAGE: ${message}\nusage: ${this.usage}\n`);
      return 2;
    };
    const file = positionals[0];
    if (file === undefined || positionals.length > 1) return usage('give one capture file, or - for stdin');
    if (values.config === undefined) return usage('give --config FILE: its networks, host groups and thresholds are what the capture is replayed against');
    const speed = values.speed === 'max' ? 'max' : Number(values.speed);
    if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) return usage(`--speed ${values.speed} is neither "max" nor a positive factor of capture speed`);
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) return usage(`--port ${values.port} is not a UDP port`);

    let fileBytes: number | undefined;
    let fromMs: number | undefined;
    let config;
    try {
      if (values.from !== undefined) fromMs = parseWhen(values.from);
      config = await loadConfig(values.config);
      if (file !== '-') {
        await readable(file, 'capture');
        fileBytes = statSync(file).size;
      }
      if (values.baselines !== undefined) await readable(values.baselines, 'baselines file');
    } catch (err) {
      return fail(io, err, 2);
    }
    if (config.networks.length === 0 && config.hostGroups.length === 0) {
      io.stderr.write('replay: the configuration protects no networks (networks, hostGroups): nothing can be detected\n');
    }

    let bytesRead = 0;
    const raw = file === '-' ? (io.stdin as AsyncIterable<Uint8Array>) : createReadStream(file, { highWaterMark: 256 * 1024 });
    async function* counted(): AsyncIterable<Uint8Array> {
      for await (const chunk of raw) {
        bytesRead += chunk.length;
        yield chunk;
      }
    }
    let result;
    try {
      result = await replaySflow({
        source: counted(),
        config: { networks: config.networks, hostGroups: config.hostGroups, detection: config.detection },
        ...(values.baselines !== undefined ? { baselinesFile: values.baselines } : {}),
        ...(fromMs !== undefined ? { fromMs } : {}),
        // The capture was taken where the appliance listens: its sflow.listen ports, unless --port says otherwise.
        port: values['any-port'] ? 'any' : (port ?? [...new Set(config.sflow.listen.map((l) => splitHostPort(l).port))]),
        speed,
        ...(values.quiet ? {} : { onProgress: (p: ReplayProgress) => io.stderr.write(progressLine(p, bytesRead, fileBytes)) }),
      });
    } catch (err) {
      if (err instanceof ReplayBaselineError) return fail(io, new BreakwaterError('BW_ERR_REPLAY_INPUT', [values.baselines, `the baselines file is not usable: ${err.message}`]), 2);
      throw err;
    }
    const { attacks, summary, error } = result;
    if (values.json) {
      if (attacks.length > 0) io.stdout.write(attacks.map(replayedAttackJson).join('\n') + '\n');
    } else if (attacks.length > 0) io.stdout.write(replayTable(attacks) + '\n');
    else io.stdout.write('no attacks\n');
    io.stderr.write(summaryLine(summary, attacks.length));
    if (error !== undefined) {
      // Not a capture at all is bad input; a capture cut or corrupt part way was replayed up to the damage.
      const notACapture = isBreakwaterError(error, 'BW_ERR_PCAP_FORMAT') && summary.packets === 0;
      return fail(io, error, notACapture ? 2 : 1);
    }
    return 0;
  },
};
