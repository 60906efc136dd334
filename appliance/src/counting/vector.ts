// Traffic vectors: the exclusive class of one sampled packet (TCP SYN, ACK, RST, other TCP; UDP; UDP from an
// amplification source port, one vector per reflected service; ICMP; non-first IP fragments; GRE; other IP
// protocols), and the threshold keys that group vectors (total, per protocol, "amplification", ...). Counting
// splits every promoted destination's traffic by vector; thresholds, baselines and classification read sums
// over keys. This module owns the tables only; it knows nothing of thresholds or attacks.
import { FlowFlag as FlowFlagBinding } from '../intake/flow-batch.js';

// Imported constants copied into module constants: the hot loops below read them per sample or per cell, and
// an import binding can compile to a getter call (as it does under tsx).
const FlowFlag = FlowFlagBinding;

export const Vector = {
  tcpSyn: 0,
  tcpAck: 1,
  tcpRst: 2,
  tcpOther: 3,
  udp: 4,
  dns: 5,
  ntp: 6,
  memcached: 7,
  ssdp: 8,
  cldap: 9,
  snmp: 10,
  chargen: 11,
  wsd: 12,
  /** UDP from another well-known reflector port (QOTD, portmap, NetBIOS, RIP, mDNS, CoAP, ...). */
  amplificationOther: 13,
  icmp: 14,
  /** Non-first fragments: no L4 header to classify by. First fragments count under their L4 vector. */
  fragments: 15,
  gre: 16,
  otherIp: 17,
} as const;

export type VectorIndex = (typeof Vector)[keyof typeof Vector];
export const VECTOR_COUNT = 18;

export const VECTOR_NAMES: readonly string[] = [
  'tcp_syn', 'tcp_ack', 'tcp_rst', 'tcp_other', 'udp', 'udp_dns', 'udp_ntp', 'udp_memcached', 'udp_ssdp', 'udp_cldap',
  'udp_snmp', 'udp_chargen', 'udp_wsd', 'udp_amplification_other', 'icmp', 'ip_fragments', 'gre', 'other_ip',
];

/**
 * Source port → vector for UDP, as a 65536-entry table (one load per sample, no branches). Reflected traffic
 * comes FROM the service port; traffic TO these ports is ordinary UDP (queries, or a flood aimed at them).
 */
const udpSourcePortVector = new Uint8Array(65536).fill(Vector.udp);
const namedAmplifiers: [number, number][] = [
  [53, Vector.dns],
  [123, Vector.ntp],
  [11211, Vector.memcached],
  [1900, Vector.ssdp],
  [389, Vector.cldap],
  [161, Vector.snmp],
  [19, Vector.chargen],
  [3702, Vector.wsd],
];
/** Reflectors without a family of their own: QOTD, portmap, NetBIOS-NS, RIP, MSSQL browser, ARD, mDNS, CoAP, Ubiquiti discovery, DVR DHCPDiscover, OpenVPN, TFTP, L2TP, Steam. */
export const OTHER_AMPLIFICATION_PORTS: readonly number[] = [17, 69, 111, 137, 520, 1194, 1434, 1701, 3283, 5353, 5683, 10001, 27015, 37810];
for (const [port, v] of namedAmplifiers) udpSourcePortVector[port] = v;
for (const port of OTHER_AMPLIFICATION_PORTS) udpSourcePortVector[port] = Vector.amplificationOther;

/** Source ports that make a UDP packet an amplification vector (named services first). */
export const AMPLIFICATION_PORTS: readonly number[] = [...namedAmplifiers.map(([p]) => p), ...OTHER_AMPLIFICATION_PORTS];

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

/**
 * The vector of one flow record, from the FlowBatch fields. Allocation-free and branch-light: it runs for every
 * sample of a promoted destination.
 */
export function classifyVector(protocol: number, tcpFlags: number, flags: number, srcPort: number): VectorIndex {
  if ((flags & FlowFlag.fragment) !== 0 && (flags & FlowFlag.hasL4) === 0) return Vector.fragments;
  switch (protocol) {
    case 6:
      if ((tcpFlags & TCP_RST) !== 0) return Vector.tcpRst;
      if ((tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN) return Vector.tcpSyn;
      if ((tcpFlags & (TCP_SYN | TCP_ACK | TCP_FIN)) === TCP_ACK) return Vector.tcpAck;
      return Vector.tcpOther;
    case 17:
      return (flags & FlowFlag.hasL4) !== 0 ? (udpSourcePortVector[srcPort]! as VectorIndex) : Vector.udp;
    case 1:
    case 58:
      return Vector.icmp;
    case 47:
      return Vector.gre;
    default:
      return Vector.otherIp;
  }
}

/**
 * Threshold keys: named sums of vectors. `total` is everything; protocol keys exclude non-first fragments (they
 * have their own key); `amplification` is every reflected service at once.
 */
export const THRESHOLD_KEYS = [
  'total', 'tcp', 'udp', 'icmp', 'gre', 'other', 'fragments',
  'syn', 'ack', 'rst', 'amplification',
  'dns', 'ntp', 'memcached', 'ssdp', 'cldap', 'snmp', 'chargen', 'wsd',
] as const;

export type ThresholdKey = (typeof THRESHOLD_KEYS)[number];
export const KEY_COUNT = THRESHOLD_KEYS.length;

const V = Vector;
const amplificationVectors = [V.dns, V.ntp, V.memcached, V.ssdp, V.cldap, V.snmp, V.chargen, V.wsd, V.amplificationOther];
const keyVectorLists: Record<ThresholdKey, readonly number[]> = {
  total: Array.from({ length: VECTOR_COUNT }, (_, i) => i),
  tcp: [V.tcpSyn, V.tcpAck, V.tcpRst, V.tcpOther],
  udp: [V.udp, ...amplificationVectors],
  icmp: [V.icmp],
  gre: [V.gre],
  other: [V.otherIp],
  fragments: [V.fragments],
  syn: [V.tcpSyn],
  ack: [V.tcpAck],
  rst: [V.tcpRst],
  amplification: amplificationVectors,
  dns: [V.dns],
  ntp: [V.ntp],
  memcached: [V.memcached],
  ssdp: [V.ssdp],
  cldap: [V.cldap],
  snmp: [V.snmp],
  chargen: [V.chargen],
  wsd: [V.wsd],
};

/** For each key (by index in THRESHOLD_KEYS), the vectors it sums. */
export const KEY_VECTORS: readonly (readonly number[])[] = THRESHOLD_KEYS.map((k) => keyVectorLists[k]);

export function keyIndex(key: ThresholdKey): number {
  return THRESHOLD_KEYS.indexOf(key);
}

export const KEY_TOTAL = 0;
