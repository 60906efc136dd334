// Runs pmacct's pmacctd with the sfprobe plugin over a pcap file and catches the sFlow v5 datagrams it
// sends: real sFlow from an agent we did not write. Owns the pmacctd child (config file, process group,
// stop) and the receiving UDP socket; decoding is left to the tests.
//
// Why it looks the way it does:
// - pmacctd reading a savefile ignores timestamps and sends in one burst, so the socket asks for a 4 MiB
//   receive buffer (the most these machines allow) and the caller checks sequence numbers for loss.
// - sfprobe sends counter samples only from its once-a-second tick, after a random 1..20 s countdown, and
//   it ticks only when packets reach it. pmacctd runs under libfaketime at 20x with pcap_savefile_delay 21:
//   the packets arrive 21 fake seconds after start (about one real second), the plugin then ticks 21
//   times and the countdown is sure to expire, so every run carries at least one counter sample.
// - pmacctd forks its plugins; it is started in its own process group and the group is signalled, so
//   nothing outlives a test. It replays the file in a loop (see pmacctConfig) and never exits by itself:
//   the caller's `until` condition (or the timeout) ends the run.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LinkType, openPcapFile } from '../../src/pcap/pcap-writer.js';
import { buildFrame } from '../../src/synthetic/packet-builder.js';

export interface SfprobeRunOptions {
  /** Traffic to replay (Ethernet pcap). */
  pcapPath: string;
  /** Directory for pmacctd's config file. */
  workDir: string;
  /** sFlow agent address put in every datagram; IPv4, since the receiver is 127.0.0.1. */
  agentIp?: string;
  agentSubId?: number;
  /** 1 samples every packet. */
  samplingRate?: number;
  /** ifIndex sfprobe reports as input (direction in) or output (direction out). */
  ifIndex?: number;
  direction?: 'in' | 'out';
  /** Fake-clock speed-up for pmacctd (needs the `faketime` command); 0 runs it on the real clock. Default 20. */
  clockSpeedup?: number;
  /** Seconds pmacctd sleeps before the first and each later round of the file; fake seconds under the speed-up. Default 21. */
  savefileDelaySeconds?: number;
  /**
   * Called after each datagram with all received so far; true ends the run (pmacctd is killed after a short
   * grace period). pmacctd replays the file until then, so expect samples beyond the file's packet count.
   */
  until: (datagrams: readonly ReceivedDatagram[]) => boolean;
  /** End the run anyway after this long. Default 15 s. */
  timeoutMs?: number;
}

export interface ReceivedDatagram {
  data: Buffer;
  sender: RemoteInfo;
  /** Wall-clock receive time in microseconds, for the capture file. */
  receivedAtMicros: number;
}

export interface SfprobeRun {
  /** The UDP port pmacctd sent to (the receiver's ephemeral port). */
  port: number;
  datagrams: ReceivedDatagram[];
  /** 'until' when the caller's condition was met; otherwise why the run ended early. */
  endedBy: 'until' | 'timeout' | 'exit';
  /** pmacctd's combined stdout/stderr, for failure messages. */
  log: string;
  /** The configuration it ran with. */
  config: string;
}

/** A running capture; `stop` kills pmacctd's process group and closes the socket (safe to call twice). */
export interface SfprobeCapture {
  readonly pid: number | undefined;
  readonly done: Promise<SfprobeRun>;
  stop(): void;
}

/** Receive buffer asked for: 4 MiB is net.core.rmem_max on these machines (docs/protocols.md). */
const RECEIVE_BUFFER = 4 * 1024 * 1024;
/** How long to keep listening after `until` is met, to catch anything pmacctd should not have sent. */
const GRACE_MS = 300;

function pmacctConfig(options: SfprobeRunOptions, port: number): string {
  // A named plugin: pmacctd refuses sfprobe_ifindex / sfprobe_direction as global keys.
  const lines = [
    'daemonize: false',
    `pcap_savefile: ${options.pcapPath}`,
    `pcap_savefile_delay: ${options.savefileDelaySeconds ?? 21}`,
    // Replay the file (for all practical purposes) until killed. pmacctd hands packet buffers to its plugin through shared memory and
    // pokes a pipe only when the plugin says it is asleep; a buffer written while the plugin is busy (its
    // 21 catch-up ticks, say) waits for the next poke, and after the last packet of a burst there is none.
    // Seen with 1.7.7: runs that stopped after 33 or 94 of 99 packets. The next round's first packet is
    // that poke, so the first round always arrives whole; later rounds are sampled too and continue the
    // same sequence numbers.
    'pcap_savefile_replay: 1000',
    'plugins: sfprobe[bw]',
    `sfprobe_receiver[bw]: 127.0.0.1:${port}`,
    `sfprobe_agentip[bw]: ${options.agentIp ?? '192.0.2.1'}`,
    `sampling_rate[bw]: ${options.samplingRate ?? 1}`,
  ];
  if (options.agentSubId !== undefined) lines.push(`sfprobe_agentsubid[bw]: ${options.agentSubId}`);
  if (options.ifIndex !== undefined) lines.push(`sfprobe_ifindex[bw]: ${options.ifIndex}`);
  if (options.direction !== undefined) lines.push(`sfprobe_direction[bw]: ${options.direction}`);
  return `${lines.join('\n')}\n`;
}

/** Starts the receiver, then pmacctd. */
export async function startSfprobeCapture(options: SfprobeRunOptions): Promise<SfprobeCapture> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: RECEIVE_BUFFER });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const port = socket.address().port;

  const config = pmacctConfig(options, port);
  const configPath = join(options.workDir, 'pmacctd-sfprobe.conf');
  writeFileSync(configPath, config);

  const speedup = options.clockSpeedup ?? 20;
  const command = speedup > 0 ? 'faketime' : 'pmacctd';
  const args = speedup > 0 ? ['-f', `+0 x${speedup}`, 'pmacctd', '-f', configPath] : ['-f', configPath];
  const child: ChildProcess = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));

  // The whole group, even after the leader exited: a forked plugin process could outlive it.
  const killGroup = (): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is already gone.
    }
  };
  let socketOpen = true;
  const stop = (): void => {
    killGroup();
    if (socketOpen) {
      socketOpen = false;
      socket.close();
    }
  };

  const datagrams: ReceivedDatagram[] = [];
  const done = new Promise<SfprobeRun>((resolve, reject) => {
    let ending = false;
    const end = (endedBy: SfprobeRun['endedBy'], graceMs: number): void => {
      if (ending) return;
      ending = true;
      clearTimeout(timer);
      setTimeout(() => {
        stop();
        resolve({ port, datagrams, endedBy, log, config });
      }, graceMs);
    };
    const timer = setTimeout(() => end('timeout', 0), options.timeoutMs ?? 15_000);
    socket.on('message', (data, sender) => {
      datagrams.push({ data, sender, receivedAtMicros: Math.round((performance.timeOrigin + performance.now()) * 1000) });
      if (options.until(datagrams)) end('until', GRACE_MS);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      stop();
      reject(new Error(`cannot run ${command} (Debian packages pmacct and faketime: scripts/setup.sh --dev): ${err.message}`));
    });
    child.on('exit', () => end('exit', GRACE_MS));
  });

  return { pid: child.pid, done, stop };
}

/**
 * The sequence numbers of the flow (0:1, 0:3) and counter (0:2, 0:4) samples in one sFlow v5 datagram, found
 * by walking only the framing (format, length, first word of each sample), so a run can tell when
 * everything has arrived without a full decoder.
 */
export function sampleSequences(datagram: Buffer): { flow: number[]; counter: number[] } {
  const out = { flow: [] as number[], counter: [] as number[] };
  if (datagram.length < 28 || datagram.readUInt32BE(0) !== 5) return out;
  let at = datagram.readUInt32BE(4) === 2 ? 8 + 16 : 8 + 4; // past the agent address
  at += 12; // sub-agent id, sequence, uptime
  const samples = datagram.readUInt32BE(at);
  at += 4;
  for (let i = 0; i < samples && at + 12 <= datagram.length; i++) {
    const format = datagram.readUInt32BE(at);
    const length = datagram.readUInt32BE(at + 4);
    const sequence = datagram.readUInt32BE(at + 8);
    if (format === 1 || format === 3) out.flow.push(sequence);
    if (format === 2 || format === 4) out.counter.push(sequence);
    at += 8 + length;
  }
  return out;
}

/**
 * Writes received datagrams as an Ethernet pcap, each wrapped in IPv4/UDP headers that carry the real
 * sender and receiver (loopback) and ports, so tshark and `breakwater sflow decode` read them like a capture.
 */
export async function writeDatagramPcap(path: string, datagrams: readonly ReceivedDatagram[], receiverPort: number): Promise<void> {
  const writer = await openPcapFile(path, { linkType: LinkType.ETHERNET });
  for (const [i, datagram] of datagrams.entries()) {
    const frame = buildFrame({
      ethernet: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' },
      ip: { version: 4, src: datagram.sender.address, dst: '127.0.0.1', id: i & 0xffff, dontFragment: true },
      transport: { protocol: 'udp', srcPort: datagram.sender.port, dstPort: receiverPort },
      payload: datagram.data,
    });
    await writer.writeAndWait(frame, { timestampMicros: datagram.receivedAtMicros });
  }
  await writer.close();
}
