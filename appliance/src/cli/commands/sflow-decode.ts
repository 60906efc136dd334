// `breakwater sflow decode FILE|-`: prints every sFlow sample found in a pcap or pcapng capture as one JSON
// object per line (flow and counter samples, like sflowtool's JSON output), and reports on stderr each
// datagram the decoder rejects plus a final summary. The capture is streamed, stdin included. Not a hot
// path: clarity first, allocation is fine here.
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { isBreakwaterError } from '../../errors.js';
import { addressText } from '../../net/address-text.js';
import { CapturedUdp, extractUdp, FrameStatus, frameStatusNames } from '../../pcap/captured-udp.js';
import { PcapReader, type PcapPacket } from '../../pcap/pcap-reader.js';
import { DatagramStatus, datagramStatusNames, SflowDecoder } from '../../sflow/datagram-decoder.js';
import type { SflowVisitor } from '../../sflow/flow-sample.js';
import { counterSampleJson, datagramJson, flowSampleJson } from '../../sflow/sample-json.js';
import type { Command } from '../command.js';

const defaultSflowPort = 6343;

/** Collects output lines and writes them in chunks, waiting when the stream asks for it. */
class LineOutput {
  private pending: string[] = [];
  private pendingBytes = 0;
  closed = false;

  constructor(private readonly stream: Writable) {
    // A closed pipe (`| head`) ends the run quietly instead of crashing on EPIPE.
    stream.on('error', () => {
      this.closed = true;
    });
  }

  push(line: string): void {
    this.pending.push(line);
    this.pendingBytes += line.length + 1;
  }

  async flush(force = false): Promise<void> {
    if (this.closed || (!force && this.pendingBytes < 64 * 1024) || this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.stream.write(text)) await Promise.race([once(this.stream, 'drain'), once(this.stream, 'close')]);
  }
}

function timestampText(packet: PcapPacket): string {
  const iso = new Date(packet.timestampSeconds * 1000).toISOString();
  return `${iso.slice(0, -5)}.${String(packet.timestampNanos).padStart(9, '0')}Z`;
}

interface Summary {
  packets: number;
  sflowDatagrams: number;
  datagramsOk: number;
  datagramsRejected: number;
  flowSamples: number;
  counterSamples: number;
  skippedSamples: number;
  malformedSamples: number;
  otherUdp: number;
  rejectedByStatus: number[];
  framesByStatus: number[];
}

function summaryLine(s: Summary): string {
  const parts = [
    `packets=${s.packets}`,
    `sflow_datagrams=${s.sflowDatagrams}`,
    `datagrams_ok=${s.datagramsOk}`,
    `datagrams_rejected=${s.datagramsRejected}`,
    `flow_samples=${s.flowSamples}`,
    `counter_samples=${s.counterSamples}`,
    `skipped_samples=${s.skippedSamples}`,
    `malformed_samples=${s.malformedSamples}`,
    `other_udp=${s.otherUdp}`,
  ];
  s.rejectedByStatus.forEach((n, code) => n > 0 && parts.push(`rejected_${datagramStatusNames[code]}=${n}`));
  s.framesByStatus.forEach((n, code) => code !== FrameStatus.ok && n > 0 && parts.push(`frames_${frameStatusNames[code]}=${n}`));
  return `sflow decode: ${parts.join(' ')}\n`;
}

export const sflowDecode: Command = {
  path: ['sflow', 'decode'],
  summary: 'print the sFlow samples of a pcap/pcapng capture as JSON lines',
  usage: 'breakwater sflow decode FILE|- [--port N] [--any-port]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { port: { type: 'string' }, 'any-port': { type: 'boolean', default: false } },
      allowPositionals: true,
    });
    const file = positionals[0];
    const port = values.port === undefined ? defaultSflowPort : Number(values.port);
    if (file === undefined || positionals.length > 1 || !Number.isInteger(port) || port < 1 || port > 65535) {
      io.stderr.write(`BW_ERR_CLI_USAGE: ${file === undefined || positionals.length > 1 ? 'give one capture file, or - for stdin' : `--port ${values.port} is not a UDP port`}\nusage: ${this.usage}\n`);
      return 2;
    }
    const anyPort = values['any-port'] === true;
    const source = file === '-' ? (io.stdin as AsyncIterable<Uint8Array>) : createReadStream(file, { highWaterMark: 64 * 1024 });
    const reader = new PcapReader(source);
    const out = new LineOutput(io.stdout);
    const decoder = new SflowDecoder();
    const udp = new CapturedUdp();
    const summary: Summary = {
      packets: 0,
      sflowDatagrams: 0,
      datagramsOk: 0,
      datagramsRejected: 0,
      flowSamples: 0,
      counterSamples: 0,
      skippedSamples: 0,
      malformedSamples: 0,
      otherUdp: 0,
      rejectedByStatus: new Array<number>(datagramStatusNames.length).fill(0),
      framesByStatus: new Array<number>(frameStatusNames.length).fill(0),
    };
    // What every sample line repeats about its datagram; built on the datagram's first sample, when decode()
    // has already read the header.
    let packet: PcapPacket | undefined;
    let exporter = '';
    let context: Record<string, unknown> | undefined;
    const datagramContext = (): Record<string, unknown> =>
      (context ??= { time: packet === undefined ? undefined : timestampText(packet), exporter, ...datagramJson(decoder.header) });
    const visitor: SflowVisitor = {
      onFlowSample: (s) => out.push(JSON.stringify({ type: 'flow', ...datagramContext(), ...flowSampleJson(s) })),
      onCounterSample: (c) => out.push(JSON.stringify({ type: 'counter', ...datagramContext(), ...counterSampleJson(c) })),
    };

    let exitCode = 0;
    try {
      for await (packet of reader) {
        summary.packets++;
        const frameStatus = extractUdp(packet.data, packet.linkType, udp);
        summary.framesByStatus[frameStatus]!++;
        const exporterAddress = addressText(udp.ipVersion, udp.srcAddress) ?? '?';
        exporter = udp.ipVersion === 6 ? `[${exporterAddress}]:${udp.srcPort}` : `${exporterAddress}:${udp.srcPort}`;
        if (frameStatus !== FrameStatus.ok) {
          if (frameStatus === FrameStatus.truncated && udp.dstPort === port) io.stderr.write(`packet ${packet.number}: sFlow datagram from ${exporter} cut by the capture's snap length, not decoded\n`);
          continue;
        }
        if (!anyPort && udp.dstPort !== port) {
          summary.otherUdp++;
          continue;
        }
        summary.sflowDatagrams++;
        const datagram = packet.data.subarray(udp.payloadOffset, udp.payloadOffset + udp.payloadLength);
        context = undefined;
        const status = decoder.decode(datagram, visitor);
        if (status === DatagramStatus.ok) {
          summary.datagramsOk++;
          summary.flowSamples += decoder.lastFlowSamples;
          summary.counterSamples += decoder.lastCounterSamples;
          summary.skippedSamples += decoder.lastSkippedSamples;
          summary.malformedSamples += decoder.lastMalformedSamples;
          if (decoder.lastMalformedSamples > 0) {
            io.stderr.write(`packet ${packet.number}: ${decoder.lastMalformedSamples} malformed sample(s) dropped from the datagram of agent ${String(datagramContext().agent)} (${exporter})\n`);
          }
        } else {
          summary.datagramsRejected++;
          summary.rejectedByStatus[status]!++;
          io.stderr.write(`packet ${packet.number}: sFlow datagram from ${exporter} rejected: ${datagramStatusNames[status]}\n`);
        }
        await out.flush();
        if (out.closed) break;
      }
    } catch (err) {
      exitCode = 1;
      io.stderr.write(`${isBreakwaterError(err) ? err.code : ((err as NodeJS.ErrnoException).code ?? 'error')}: ${(err as Error).message}\n`);
    }
    await out.flush(true);
    io.stderr.write(summaryLine(summary));
    return exitCode;
  },
};
