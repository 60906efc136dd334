// The router's sFlow agent: pmacctd with the sfprobe plugin sniffing the router's transit interface and
// exporting sampled headers to each collector (the appliance; in bench/e2e FastNetMon too, one named plugin per
// collector, so both get samples of the same packets). Real sFlow from an agent we did not write.
//
// pmacctd forks its plugins, so it runs as a session leader (setsid) and its whole group is killed on stop.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, spawnOwned, type OwnedProcess } from '../../appliance/test/support/netns.js';

export interface SflowCollector {
  name: string;
  /** host:port the datagrams go to. */
  address: string;
}

export interface SflowProbeOptions {
  netns: string;
  ifname: string;
  /** The agent address put in every datagram (the router's). */
  agentIp: string;
  samplingRate: number;
  collectors: readonly SflowCollector[];
  dir: string;
}

export interface SflowProbe {
  process: OwnedProcess;
  config: string;
  stop(): Promise<void>;
}

export function sfprobeConfig(o: SflowProbeOptions): string {
  const lines = ['daemonize: false', `pcap_interface: ${o.ifname}`, 'pcap_direction: in', `plugins: ${o.collectors.map((c) => `sfprobe[${c.name}]`).join(', ')}`];
  for (const c of o.collectors) {
    lines.push(`sfprobe_receiver[${c.name}]: ${c.address}`, `sfprobe_agentip[${c.name}]: ${o.agentIp}`, `sampling_rate[${c.name}]: ${o.samplingRate}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function startSflowProbe(o: SflowProbeOptions): Promise<SflowProbe> {
  const config = sfprobeConfig(o);
  const path = join(o.dir, 'pmacctd-sfprobe.conf');
  writeFileSync(path, config);
  const proc = spawnOwned('setsid', ['pmacctd', '-f', path], { netns: o.netns });
  await eventually('pmacctd to start exporting', 10_000, () => {
    if (proc.exited()) throw new Error(`pmacctd exited:\n${proc.output()}`);
    return o.collectors.every((c) => proc.output().includes(`( ${c.name}/sfprobe ): Exporting flows`)) ? true : undefined;
  }, 50);
  return {
    process: proc,
    config,
    async stop() {
      try {
        process.kill(-proc.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await proc.stop(2_000);
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        // the group is gone
      }
    },
  };
}
