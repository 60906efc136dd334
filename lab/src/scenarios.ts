// The lab's traffic: one attack per vector family, benign background and a flash crowd, each described as the
// frames of a pcap the project writes itself (synthetic/packet-builder + pcap/pcap-writer) and the rate and
// length it is replayed at. What a scenario should lead to (vector, target, the FlowSpec match the router must
// hold) sits next to it, so the tests, the lab command and the benchmark read the same table.
//
// Frames are generated from a seeded PRNG: the same scenario always gives the same file. A pcap holds a few
// thousand distinct frames; tcpreplay loops it up to the scenario's packet count.
import type { FrameSpec } from '../../appliance/src/synthetic/packet-builder.js';
import { fragmentDatagram } from '../../appliance/src/synthetic/ip-fragments.js';
import { VICTIM4, VICTIM6, WEB_HOSTS4 } from './address-plan.js';

/** One phase of a replay: the pcap's frames sent at `pps` for `seconds`. */
export interface ReplayPhase {
  pps: number;
  seconds: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** Distinct frames in the pcap (looped by tcpreplay). */
  frames(): FrameSpec[];
  /** Default replay: phases back to back (a flash crowd rises; an attack is one phase). */
  phases: ReplayPhase[];
  /** What Breakwater should make of it; undefined: nothing must be mitigated. */
  expect?: {
    vector: string;
    /** The attack's target: a host address or, for carpet bombing, the block. */
    target: string;
    ipVersion: 4 | 6;
    /** Parts of the FlowSpec rule text BIRD prints for the rule at the router (`show route` of flowtab4/6). */
    flowMatch: RegExp[];
    /**
     * What Tier 3 (RTBH) puts at the router: the victim's host route, or for a carpet-bombed block host routes
     * of its busiest addresses (tier-rtbh blackholes up to 10 hosts of a block, never the block itself).
     */
    rtbh: { host: string } | { hostsInside: string };
    /**
     * Tier 1 on the victim: 'drops' (the agent's nftables rule drops the attack), or 'refused' when the signature
     * has no nftables form (firewall/render-nft.ts refuses it), so the runbook escalates to FlowSpec at once.
     * Default 'drops'.
     */
    tier1?: 'drops' | 'refused';
    /** What the agent's nftables rule on the victim must say, as `nft list ruleset` prints it. */
    tier1Match?: RegExp;
  };
}

/** mulberry32: small, seeded, good enough to spread addresses and ports. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (r: () => number, n: number): number => Math.floor(r() * n);
/** A spoofed source anywhere in 198.18.0.0/15. */
const spoofed4 = (r: () => number): string => `198.${18 + pick(r, 2)}.${pick(r, 256)}.${1 + pick(r, 254)}`;
/** One of ~750 addresses in the documentation ranges (reflectors, or web clients). */
const reflector4 = (r: () => number): string => `${['192.0.2', '198.51.100', '203.0.113'][pick(r, 3)]}.${1 + pick(r, 250)}`;
const ephemeral = (r: () => number): number => 32768 + pick(r, 28232);

/** The attack rate used by the tests: 4x the lab's 5,000 pps host threshold at 1:100 sampling (200 samples/s). */
export const LAB_ATTACK_PPS = 20_000;
export const LAB_ATTACK_SECONDS = 14;

const attack = (seconds = LAB_ATTACK_SECONDS, pps = LAB_ATTACK_PPS): ReplayPhase[] => [{ pps, seconds }];

function udpFlood(count: number, seed: number, target = VICTIM4): FrameSpec[] {
  const r = prng(seed);
  return Array.from({ length: count }, () => ({
    ip: { version: 4 as const, src: spoofed4(r), dst: target },
    transport: { protocol: 'udp' as const, srcPort: 1024 + pick(r, 64000), dstPort: 9999 },
    frameSize: 512,
  }));
}

function webClientTraffic(r: () => number, dst: string): FrameSpec {
  // Mostly ACK/PSH data both small and full-size, a few SYNs: what a busy HTTPS server receives.
  const roll = r();
  const flags: ('SYN' | 'ACK' | 'PSH')[] = roll < 0.08 ? ['SYN'] : roll < 0.6 ? ['ACK'] : ['PSH', 'ACK'];
  const size = flags[0] === 'SYN' ? 74 : roll < 0.6 ? 66 : 200 + pick(r, 1200);
  return {
    ip: { version: 4, src: reflector4(r), dst },
    transport: { protocol: 'tcp', srcPort: ephemeral(r), dstPort: 443, flags, seq: pick(r, 2 ** 31), ack: flags[0] === 'SYN' ? 0 : pick(r, 2 ** 31) },
    frameSize: size,
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'udp-flood',
    description: `UDP to ${VICTIM4}:9999 from spoofed 198.18.0.0/15 sources, 512-byte frames`,
    frames: () => udpFlood(4000, 1),
    phases: attack(),
    expect: { vector: 'udp_flood', target: VICTIM4, ipVersion: 4, flowMatch: [/dst 100\.64\.128\.10\/32/, /proto 17/], rtbh: { host: `${VICTIM4}/32` } },
  },
  {
    name: 'syn-flood',
    description: `TCP SYN to ${VICTIM4}:80 from spoofed sources`,
    frames: () => {
      const r = prng(2);
      return Array.from({ length: 4000 }, () => ({
        ip: { version: 4 as const, src: spoofed4(r), dst: VICTIM4 },
        transport: { protocol: 'tcp' as const, srcPort: 1024 + pick(r, 64000), dstPort: 80, flags: ['SYN'] as const, seq: pick(r, 2 ** 31) },
      }));
    },
    phases: attack(),
    expect: { vector: 'syn_flood', target: VICTIM4, ipVersion: 4, flowMatch: [/dst 100\.64\.128\.10\/32/, /proto 6/, /tcp flags/], rtbh: { host: `${VICTIM4}/32` } },
  },
  {
    name: 'dns-amplification',
    description: `DNS responses (source port 53, 1,200-1,400 bytes) from ~750 reflectors to ${VICTIM4}`,
    frames: () => {
      const r = prng(3);
      return Array.from({ length: 4000 }, () => ({
        ip: { version: 4 as const, src: reflector4(r), dst: VICTIM4 },
        transport: { protocol: 'udp' as const, srcPort: 53, dstPort: ephemeral(r) },
        frameSize: 1200 + pick(r, 200),
      }));
    },
    phases: attack(),
    expect: { vector: 'dns_amplification', target: VICTIM4, ipVersion: 4, flowMatch: [/dst 100\.64\.128\.10\/32/, /proto 17/, /sport 53/], rtbh: { host: `${VICTIM4}/32` } },
  },
  {
    name: 'ntp-amplification',
    description: `NTP monlist responses (source port 123, 482 bytes) from ~750 reflectors to ${VICTIM4}`,
    frames: () => {
      const r = prng(4);
      return Array.from({ length: 4000 }, () => ({
        ip: { version: 4 as const, src: reflector4(r), dst: VICTIM4 },
        transport: { protocol: 'udp' as const, srcPort: 123, dstPort: ephemeral(r) },
        frameSize: 482,
      }));
    },
    phases: attack(),
    expect: { vector: 'ntp_amplification', target: VICTIM4, ipVersion: 4, flowMatch: [/dst 100\.64\.128\.10\/32/, /proto 17/, /sport 123/], rtbh: { host: `${VICTIM4}/32` } },
  },
  {
    name: 'ip-fragments',
    description: `3,000-byte UDP datagrams cut into 4 fragments each, to ${VICTIM4}, from spoofed sources`,
    frames: () => {
      const r = prng(5);
      const out: FrameSpec[] = [];
      for (let i = 0; out.length < 4000; i++) {
        const spec: FrameSpec = { ip: { version: 4, src: spoofed4(r), dst: VICTIM4, id: i & 0xffff }, transport: { protocol: 'udp', srcPort: 1024 + pick(r, 64000), dstPort: 9999 }, payloadSize: 3000 };
        out.push(...fragmentDatagram(spec, { maxFragmentPayload: 800 }));
      }
      return out;
    },
    phases: attack(),
    expect: { vector: 'ip_fragments', target: VICTIM4, ipVersion: 4, flowMatch: [/dst 100\.64\.128\.10\/32/, /fragment is_fragment && !first_fragment/], rtbh: { host: `${VICTIM4}/32` }, tier1Match: /ip frag-off & 8191 != 0 / },
  },
  {
    name: 'icmp-flood',
    description: `ICMP echo requests (1,000-byte frames) to ${VICTIM4} from spoofed sources`,
    frames: () => {
      const r = prng(6);
      return Array.from({ length: 4000 }, (_, i) => ({
        ip: { version: 4 as const, src: spoofed4(r), dst: VICTIM4 },
        transport: { protocol: 'icmp' as const, type: 8, code: 0, restOfHeader: i },
        frameSize: 1000,
      }));
    },
    phases: attack(),
    expect: { vector: 'icmp_flood', target: VICTIM4, ipVersion: 4, flowMatch: [/dst 100\.64\.128\.10\/32/, /proto 1\b/], rtbh: { host: `${VICTIM4}/32` } },
  },
  {
    name: 'ipv6-udp-flood',
    description: `UDP over IPv6 to [${VICTIM6}]:9999 from spoofed 2001:db8:198::/48 sources`,
    frames: () => {
      const r = prng(7);
      return Array.from({ length: 4000 }, () => ({
        ip: { version: 6 as const, src: `2001:db8:198:${pick(r, 65536).toString(16)}::${(1 + pick(r, 65534)).toString(16)}`, dst: VICTIM6 },
        transport: { protocol: 'udp' as const, srcPort: 1024 + pick(r, 64000), dstPort: 9999 },
        frameSize: 512,
      }));
    },
    phases: attack(),
    expect: { vector: 'udp_flood', target: VICTIM6, ipVersion: 6, flowMatch: [/dst 2001:db8:128::10\/128/, /next header 17|proto 17/], rtbh: { host: `${VICTIM6}/128` } },
  },
  {
    name: 'carpet-bombing',
    description: 'UDP spread over every host of 100.64.128.0/24 (~80 pps each, far below the host threshold; the /24 far above its block threshold)',
    frames: () => {
      const r = prng(8);
      return Array.from({ length: 5080 }, (_, i) => ({
        ip: { version: 4 as const, src: spoofed4(r), dst: `100.64.128.${1 + (i % 254)}` },
        transport: { protocol: 'udp' as const, srcPort: 1024 + pick(r, 64000), dstPort: 9999 },
        frameSize: 512,
      }));
    },
    phases: attack(),
    expect: { vector: 'carpet_bombing', target: '100.64.128.0/24', ipVersion: 4, flowMatch: [/dst 100\.64\.128\.0\/24/, /proto 17/], rtbh: { hostsInside: '100.64.128.' } },
  },
  {
    name: 'benign',
    description: `web traffic to ${WEB_HOSTS4.join(', ')} (HTTPS, mixed sizes) and DNS queries, 1,500 pps in all`,
    frames: () => {
      const r = prng(9);
      return Array.from({ length: 4000 }, (_, i) => {
        if (i % 10 === 0) {
          return { ip: { version: 4 as const, src: `198.51.100.${1 + pick(r, 250)}`, dst: WEB_HOSTS4[0] }, transport: { protocol: 'udp' as const, srcPort: ephemeral(r), dstPort: 53 }, frameSize: 80 };
        }
        return webClientTraffic(r, WEB_HOSTS4[i % WEB_HOSTS4.length]!);
      });
    },
    phases: [{ pps: 1_500, seconds: 12 }],
  },
  {
    name: 'flash-crowd',
    description: `HTTPS clients on ${VICTIM4}: 3,500 pps for 10 s, then the same mix at 15,000 pps (~4x) for 10 s`,
    frames: () => {
      const r = prng(10);
      return Array.from({ length: 6000 }, () => webClientTraffic(r, VICTIM4));
    },
    phases: [
      { pps: 3_500, seconds: 10 },
      { pps: 15_000, seconds: 10 },
    ],
  },
];

export function scenario(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no lab scenario "${name}"; known: ${SCENARIOS.map((x) => x.name).join(', ')}`);
  return s;
}

/** A bench flood on `target`: the udp-flood's kind of frames, replayed at any rate (bench/e2e: 2x and 10x the threshold). */
export function benchFloodFrames(target: string): FrameSpec[] {
  return udpFlood(4000, 11, target);
}
