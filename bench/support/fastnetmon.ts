// FastNetMon 1.2.4 (the Debian package) as a benchmark peer: one generator for its configuration file and the
// files it reads, shared by bench/ingest, bench/detect and bench/e2e, so every comparison runs the same
// FastNetMon set-up apart from what each states it changes. disable_usage_report is ALWAYS on (the Debian
// default sends usage data off the machine every hour), and callers run it in a namespace with no route off
// the machine. Owns files only; each benchmark starts and stops the process its own way.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FASTNETMON_BIN = '/usr/sbin/fastnetmon';

export interface FastnetmonOptions {
  /** Directory for the configuration, the networks lists, the pid and stats files, the log and the notify log. */
  dir: string;
  /** networks_list: the prefixes it watches. */
  networks: readonly string[];
  sflowHost: string;
  sflowPort: number;
  /** Seconds its speed averaging runs over (average_calculation_time). */
  averageSeconds: number;
  /** threshold_pps with ban_for_pps on; undefined: no bans at all (enable_ban off). */
  banThresholdPps?: number;
  /** Count outgoing traffic as well (process_outgoing_traffic); default off. */
  processOutgoing?: boolean;
  /** Record every notify call (time in ms, then its arguments) in DIR/notify.log; otherwise /bin/true. */
  recordNotify?: boolean;
  /** Serve its Prometheus counters on 127.0.0.1:PORT. */
  prometheusPort?: number;
  /** Announce bans as RTBH host routes through gobgpd's API on localhost:50051 (FastNetMon's fixed address). */
  gobgp?: { nextHop: string; community: string };
}

export interface FastnetmonFiles {
  configPath: string;
  logPath: string;
  notifyLogPath: string;
  /** Arguments for FASTNETMON_BIN. */
  args: string[];
}

export function fastnetmonConfig(o: FastnetmonOptions): string {
  const ban = o.banThresholdPps !== undefined;
  const notify = o.recordNotify ? join(o.dir, 'notify.sh') : '/bin/true';
  const lines = [
    'disable_usage_report = on',
    'logging_level = info',
    'logging_local_syslog_logging = off',
    'logging_remote_syslog_logging = off',
    `enable_ban = ${ban ? 'on' : 'off'}`,
    'enable_ban_ipv6 = off',
    'process_incoming_traffic = on',
    `process_outgoing_traffic = ${o.processOutgoing ? 'on' : 'off'}`,
    ...(ban
      ? ['ban_details_records_count = 1', 'ban_time = 3600', 'unban_only_if_attack_finished = on', 'ban_for_pps = on', 'ban_for_bandwidth = off', 'ban_for_flows = off', `threshold_pps = ${o.banThresholdPps}`, 'threshold_mbps = 100000', 'threshold_flows = 1000000']
      : []),
    `networks_list_path = ${join(o.dir, 'networks_list')}`,
    `white_list_path = ${join(o.dir, 'networks_whitelist')}`,
    'check_period = 1',
    'enable_connection_tracking = off',
    'mirror_afpacket = off',
    'mirror_afxdp = off',
    'mirror_netmap = off',
    'pcap = off',
    'netflow = off',
    'sflow = on',
    `sflow_port = ${o.sflowPort}`,
    `sflow_host = ${o.sflowHost}`,
    `average_calculation_time = ${o.averageSeconds}`,
    'speed_calculation_delay = 1',
    `notify_script_path = ${notify}`,
    'collect_attack_pcap_dumps = off',
    'redis_enabled = off',
    'mongodb_enabled = off',
    'exabgp = off',
    ...(o.gobgp
      ? ['gobgp = on', `gobgp_next_hop = ${o.gobgp.nextHop}`, 'gobgp_announce_host = on', 'gobgp_announce_whole_subnet = off', `gobgp_community_host = ${o.gobgp.community}`, 'gobgp_announce_host_ipv6 = off', 'gobgp_announce_whole_subnet_ipv6 = off']
      : ['gobgp = off']),
    'influxdb = off',
    'graphite = off',
    'kafka_traffic_export = off',
    'monitor_local_ip_addresses = off',
    `pid_path = ${join(o.dir, 'fastnetmon.pid')}`,
    `cli_stats_file_path = ${join(o.dir, 'fastnetmon.dat')}`,
    `cli_stats_ipv6_file_path = ${join(o.dir, 'fastnetmon_ipv6.dat')}`,
    'enable_api = off',
    ...(o.prometheusPort !== undefined ? ['prometheus = on', `prometheus_port = ${o.prometheusPort}`, 'prometheus_host = 127.0.0.1'] : ['prometheus = off']),
  ];
  return `${lines.join('\n')}\n`;
}

/** Writes the configuration and the files it names into `dir`. */
export function writeFastnetmonFiles(o: FastnetmonOptions): FastnetmonFiles {
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(join(o.dir, 'networks_list'), `${o.networks.join('\n')}\n`);
  writeFileSync(join(o.dir, 'networks_whitelist'), '');
  const notifyLogPath = join(o.dir, 'notify.log');
  if (o.recordNotify) {
    // Records when FastNetMon calls it: ms since the epoch, then its arguments (ip, direction, pps, action).
    writeFileSync(join(o.dir, 'notify.sh'), `#!/bin/sh\necho "$(date +%s%3N) $1 $2 $3 $4" >> ${notifyLogPath}\ncat > /dev/null\n`, { mode: 0o755 });
  }
  const configPath = join(o.dir, 'fastnetmon.conf');
  const logPath = join(o.dir, 'fastnetmon.log');
  writeFileSync(configPath, fastnetmonConfig(o));
  return { configPath, logPath, notifyLogPath, args: ['--configuration_file', configPath, '--log_file', logPath] };
}

/** The first ban of each address in the notify log: address -> ms since the epoch. */
export function readFastnetmonBans(notifyLogPath: string): Map<string, number> {
  const bans = new Map<string, number>();
  if (!existsSync(notifyLogPath)) return bans;
  for (const line of readFileSync(notifyLogPath, 'utf8').split('\n')) {
    const [at, ip, , , action] = line.split(' ');
    if (ip && action === 'ban' && !bans.has(ip)) bans.set(ip, Number(at));
  }
  return bans;
}
