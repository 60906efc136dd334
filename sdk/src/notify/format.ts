// Numbers as people read them in an alert: rates with SI prefixes, shares as percentages, durations in the
// two largest units. Pure functions, shared by the message view and by plugins that fill provider fields.
import type { Rates, VectorFamily } from '../attack.js';

const PREFIXES = ['', 'k', 'M', 'G', 'T', 'P'];

function si(value: number, unit: string): string {
  let v = Math.abs(value);
  let i = 0;
  while (v >= 1000 && i < PREFIXES.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = v >= 100 || i === 0 ? 0 : v >= 10 ? 1 : 2;
  return `${value < 0 ? '-' : ''}${Number(v.toFixed(digits))} ${PREFIXES[i]}${unit}`;
}

/** 3280000000 → "3.28 Gbit/s". */
export function formatBps(bps: number): string {
  return si(bps, 'bit/s');
}

/** 410000 → "410 kpps". */
export function formatPps(pps: number): string {
  return si(pps, 'pps');
}

/** "3.28 Gbit/s, 410 kpps". */
export function formatRates(rates: Rates): string {
  return `${formatBps(rates.bps)}, ${formatPps(rates.pps)}`;
}

/** 0.974 → "97%", 0.001 → "0.1%". */
export function formatShare(share: number): string {
  const pct = share * 100;
  return `${Number(pct.toFixed(pct >= 10 || pct === 0 ? 0 : pct >= 1 ? 1 : 2))}%`;
}

/** 250000 → "4 min 10 s"; 5400000 → "1 h 30 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const sec = s % 60;
  const parts: [number, string][] = [
    [d, 'd'],
    [h, 'h'],
    [m, 'min'],
    [sec, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return '0 s';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n} ${u}`)
    .join(' ');
}

const ACRONYMS: Record<string, string> = {
  udp: 'UDP',
  syn: 'SYN',
  ack: 'ACK',
  rst: 'RST',
  tcp: 'TCP',
  icmp: 'ICMP',
  ip: 'IP',
  gre: 'GRE',
  dns: 'DNS',
  ntp: 'NTP',
  ssdp: 'SSDP',
  cldap: 'CLDAP',
  snmp: 'SNMP',
  wsd: 'WSD',
  memcached: 'Memcached',
  chargen: 'CharGEN',
};

/** "ntp_amplification" → "NTP amplification", "ack_rst_flood" → "ACK/RST flood". */
export function vectorLabel(vector: VectorFamily | string): string {
  if (vector === 'carpet_bombing') return 'Carpet bombing';
  if (vector === 'ip_fragments') return 'IP fragments';
  if (vector === 'ack_rst_flood') return 'ACK/RST flood';
  const words = vector.split('_').map((w) => ACRONYMS[w] ?? w);
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
