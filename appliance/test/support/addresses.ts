// Address text to bytes for building test packets (the inverse of src/net/address-text.ts, kept apart so a
// bug in one cannot hide a bug in the other).
import { isIPv4, isIPv6 } from 'node:net';

export function ipv4Bytes(text: string): Uint8Array {
  if (!isIPv4(text)) throw new Error(`not an IPv4 address: ${text}`);
  return Uint8Array.from(text.split('.').map(Number));
}

export function ipv6Bytes(text: string): Uint8Array {
  if (!isIPv6(text)) throw new Error(`not an IPv6 address: ${text}`);
  let t = text;
  const out = new Uint8Array(16);
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (dotted) {
    const v4 = ipv4Bytes(dotted[1]!);
    t = t.slice(0, -dotted[1]!.length) + `${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const [head, tail] = t.includes('::') ? t.split('::') : [t, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : zeros).fill('0'), ...tailGroups];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

export function ipBytes(text: string): Uint8Array {
  return isIPv4(text) ? ipv4Bytes(text) : ipv6Bytes(text);
}

export function macBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}
