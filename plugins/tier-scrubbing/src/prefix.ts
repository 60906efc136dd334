// Prefix arithmetic the scrubbing tier needs without the appliance: the covering prefix of an address at a
// given length, and whether an address lies inside a prefix. IPv4 and IPv6, on BigInt.
import { isIP } from 'node:net';

interface Parsed {
  family: 4 | 6;
  value: bigint;
  length: number;
}

function parseAddress(text: string): { family: 4 | 6; value: bigint } | undefined {
  const family = isIP(text);
  if (family === 4) return { family, value: text.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  if (family !== 6) return undefined;
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return { family, value: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

export function parsePrefix(text: string): Parsed | undefined {
  const [address = '', length] = text.split('/');
  const a = parseAddress(address);
  if (a === undefined) return undefined;
  const width = a.family === 4 ? 32 : 128;
  const len = length === undefined ? width : Number(length);
  if (!Number.isInteger(len) || len < 0 || len > width) return undefined;
  return { ...a, length: len };
}

function format(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952), as the appliance prints prefixes.
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  if (best.length < 2) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

function mask(family: 4 | 6, length: number): bigint {
  const width = family === 4 ? 32 : 128;
  return ((1n << BigInt(length)) - 1n) << BigInt(width - length);
}

/** "203.0.113.10" at 24 -> "203.0.113.0/24"; a target already shorter than `length` stays as it is. */
export function coveringPrefix(target: string, lengthIpv4: number, lengthIpv6: number): string {
  const p = parsePrefix(target);
  if (p === undefined) throw new Error(`"${target}" is not an address or prefix`);
  const length = Math.min(p.length, p.family === 4 ? lengthIpv4 : lengthIpv6);
  return `${format(p.family, p.value & mask(p.family, length))}/${length}`;
}

/** Whether `inner` (address or prefix) lies inside `outer`. */
export function inside(inner: string, outer: string): boolean {
  const a = parsePrefix(inner);
  const b = parsePrefix(outer);
  if (a === undefined || b === undefined || a.family !== b.family || a.length < b.length) return false;
  const m = mask(b.family, b.length);
  return (a.value & m) === (b.value & m);
}
