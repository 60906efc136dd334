// Runs Wireshark's tshark on a pcap file and hands back its dissection as plain objects, so tests can check
// our bytes against a decoder we did not write. Owns the child process and the JSON shape only; what to
// compare is up to each test.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One dissected frame: `_source.layers` of `tshark -T json`, keyed by protocol (eth, ip, udp, sflow, ...). */
export type TsharkLayers = Record<string, unknown>;

export interface TsharkOptions {
  /** Extra arguments, e.g. ['-d', 'udp.port==16343,sflow'] or ['-o', 'ip.defragment:FALSE']. */
  args?: readonly string[];
}

/** Preferences that make tshark check every checksum we compute (GRE's it always checks) and keep each fragment as it is. */
export const CHECK_CHECKSUMS_AND_KEEP_FRAGMENTS: readonly string[] = [
  '-o', 'ip.check_checksum:TRUE',
  '-o', 'udp.check_checksum:TRUE',
  '-o', 'tcp.check_checksum:TRUE',
  '-o', 'ip.defragment:FALSE',
  '-o', 'ipv6.defragment:FALSE',
];

/**
 * `tshark -r FILE -T json --no-duplicate-keys`: the last flag turns repeated keys (two `ip` layers in a GRE
 * frame, several samples in one sFlow datagram) into arrays instead of letting JSON.parse keep only the last.
 */
export async function tsharkJson(pcapPath: string, options: TsharkOptions = {}): Promise<TsharkLayers[]> {
  const { stdout } = await run('tshark', ['-n', '-r', pcapPath, '-T', 'json', '--no-duplicate-keys', ...(options.args ?? [])], {
    maxBuffer: 512 * 1024 * 1024,
  });
  const frames = JSON.parse(stdout) as Array<{ _source: { layers: TsharkLayers } }>;
  return frames.map((f) => f._source.layers);
}

/** The value at a dotted path of keys, e.g. get(layers, 'ip', 'ip.ttl'); arrays index with numbers. */
export function get(node: unknown, ...path: Array<string | number>): unknown {
  let at: unknown = node;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

/** Every value stored under `key` anywhere below `node` (depth first, document order). */
export function findAll(node: unknown, key: string): unknown[] {
  const out: unknown[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) {
      n.forEach(walk);
      return;
    }
    if (n === null || typeof n !== 'object') return;
    for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
      if (k === key) {
        if (Array.isArray(v)) out.push(...v);
        else out.push(v);
      }
      walk(v);
    }
  };
  walk(node);
  return out;
}
