// The Tier 1 lab: an attacker and a victim namespace joined by a veth pair (100.64.N.1 → 100.64.N.2), a UDP
// receiver in the victim counting datagrams per source port, and a bounded sender in the attacker. Shared by the
// nftables, iptables and agent tests. Everything is removed through support/netns.ts by pid and name.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createNetns, eventually, linkNetns, spawnOwned, type OwnedProcess, type VethLink } from '../../support/netns.js';

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
export const RECEIVER_PORT = 9999;
/** The "attack" comes from source port 53 (a DNS reflection shape); benign traffic from 40000. */
export const ATTACK_SPORT = 53;
export const BENIGN_SPORT = 40000;
export const PAYLOAD = 100;

export interface TrafficLab {
  attacker: string;
  victim: string;
  link: VethLink;
  receiver: OwnedProcess;
  /** Datagrams received so far from a source port. */
  received(sport: number): Promise<number>;
  /** Sends `count` datagrams of `size` payload bytes (PAYLOAD) from `sport` to the victim; resolves when all left the sender. */
  send(sport: number, count: number, size?: number): Promise<void>;
  /** The same over IPv6 (2001:db8:64:N::1 → ::2). */
  send6(sport: number, count: number, size?: number): Promise<void>;
  received6(sport: number): Promise<number>;
  /** Opens `count` TCP connections to the victim's `port` (RECEIVER_PORT+1 or +2); resolves to how many completed. */
  connect(port: number, count: number, timeoutMs: number): number;
  /** TCP connections the victim accepted on `port`. */
  accepted(port: number): Promise<number>;
}

export async function startTrafficLab(label: string, n: number): Promise<TrafficLab> {
  const attacker = createNetns(label, 'a');
  const victim = createNetns(label, 'v');
  const link = linkNetns(attacker, victim, n);
  const receiver = spawnOwned(process.execPath, [here('./udp-receiver.mjs'), String(RECEIVER_PORT), '4'], { netns: victim, stdin: 'pipe' });
  await eventually('the receiver to bind', 5_000, () => (receiver.output().includes('ready') ? true : undefined));
  let asked = 0;
  const count = async (key: string): Promise<number> => {
    const before = receiver.output().split('\n').filter((l) => l.startsWith('{')).length;
    asked++;
    receiver.child.stdin!.write(`${asked}\n`);
    const line = await eventually('the receiver to report', 5_000, () => {
      const lines = receiver.output().split('\n').filter((l) => l.startsWith('{'));
      return lines.length > before ? lines.at(-1) : undefined;
    });
    return (JSON.parse(line) as Record<string, number>)[key] ?? 0;
  };
  const received = (sport: number): Promise<number> => count(String(sport));
  const accepted = (port: number): Promise<number> => count(`tcp:${port}`);
  const sendTo = (host: string) => async (sport: number, count: number, size = PAYLOAD): Promise<void> => {
    execFileSync('ip', ['netns', 'exec', attacker, process.execPath, here('./udp-sender.mjs'), host, String(RECEIVER_PORT), String(sport), String(count), String(size)]);
  };
  const send = sendTo(link.b.ipv4);
  const send6 = sendTo(link.b.ipv6);
  const received6 = (sport: number): Promise<number> => count(`v6:${sport}`);
  const connect = (port: number, count: number, timeoutMs: number): number =>
    Number(execFileSync('ip', ['netns', 'exec', attacker, process.execPath, here('./tcp-connector.mjs'), link.b.ipv4, String(port), String(count), String(timeoutMs)], { encoding: 'utf8' }).trim());
  return { attacker, victim, link, receiver, received, send, send6, received6, connect, accepted };
}

/** Waits until the receiver's count for `sport` stops changing (datagrams in flight have landed). */
export async function settled(lab: TrafficLab, sport: number): Promise<number> {
  let last = -1;
  return eventually('delivery to settle', 5_000, async () => {
    const now = await lab.received(sport);
    if (now === last) return now;
    last = now;
    return undefined;
  }, 50);
}
