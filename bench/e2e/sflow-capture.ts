// When sFlow about a victim first left the router: tshark on the router's interface towards one collector,
// decoding every sFlow datagram pmacctd's sfprobe sends there and noting, for each address found in a sampled
// header, the capture time of the first datagram that carried it. One tshark runs for the whole benchmark (a
// tshark per trial would cost a second of CPU to start each time); bench/e2e asks it per trial for the victim's
// first datagram. Owns the tshark process only; it is killed by pid at stop().
import { eventually, spawnOwned, type OwnedProcess } from '../../appliance/test/support/netns.js';

export class SflowCapture {
  /** Address -> capture time (ms since the epoch, sub-ms precision) of the first datagram with a sample of it. */
  private readonly firstSeen = new Map<string, number>();
  private partial = '';
  /** Datagrams seen, and the flow samples they carried (sampled headers): how many samples pmacctd packs in one. */
  datagrams = 0;
  samples = 0;

  private constructor(private readonly tshark: OwnedProcess, private readonly collector: string) {
    tshark.child.stdout!.on('data', (chunk: Buffer | string) => {
      const lines = (this.partial + chunk.toString()).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) this.take(line);
    });
  }

  /** Starts tshark in `netns` on `ifname`, for UDP datagrams to `collector` (its address) on `port`. */
  static async start(netns: string, ifname: string, collector: string, port: number): Promise<SflowCapture> {
    const tshark = spawnOwned(
      '/usr/bin/tshark',
      ['-i', ifname, '-n', '-l', '-f', `udp and dst host ${collector} and dst port ${port}`, '-d', `udp.port==${port},sflow`, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ip.dst', '-E', 'occurrence=a', '-E', 'aggregator=,'],
      { netns },
    );
    await eventually(`tshark on ${ifname}`, 15_000, () => {
      if (tshark.exited()) throw new Error(`tshark exited: ${tshark.output()}`);
      return tshark.output().includes('Capturing on') ? true : undefined;
    }, 50);
    return new SflowCapture(tshark, collector);
  }

  /** The first datagram carrying a sample of `address`, or undefined when none was captured (yet). */
  firstFor(address: string): number | undefined {
    return this.firstSeen.get(address);
  }

  async stop(): Promise<void> {
    await this.tshark.stop(2_000);
  }

  private take(line: string): void {
    const [time, addresses] = line.split('\t');
    if (time === undefined || addresses === undefined || !/^\d+\.\d+$/.test(time)) return;
    this.datagrams++;
    const at = Number(time) * 1000;
    // The first address is the datagram's own destination (the collector); the rest are sampled headers'.
    const all = addresses.split(',');
    this.samples += all.length - 1;
    for (const address of all) {
      if (address === this.collector || this.firstSeen.has(address)) continue;
      this.firstSeen.set(address, at);
    }
  }
}
