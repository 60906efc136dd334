// An attack's target as the capture matches it against FlowBatch destinations: the address family, four
// address words in the FlowBatch's little-endian word layout (flow-batch.ts) and a mask in the same layout
// (all ones for a host, the prefix's bits for a prefix target: carpet bombing). Matching is four AND-compares,
// so the hot path can check each sample against every active attack without allocating.
import { ipv4Bytes, ipv6Bytes } from '../synthetic/address-bytes.js';

export interface CaptureTarget {
  family: 4 | 6;
  words: Uint32Array;
  mask: Uint32Array;
}

/** Parses "203.0.113.10", "2001:db8::1", "198.18.0.0/24" or "2001:db8::/48"; undefined when it is none of them. */
export function captureTargetOf(target: string): CaptureTarget | undefined {
  const [address = '', lengthText] = target.split('/');
  const family: 4 | 6 = address.includes(':') ? 6 : 4;
  let bytes: Uint8Array;
  try {
    bytes = family === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  } catch {
    return undefined;
  }
  const bits = family === 4 ? 32 : 128;
  const length = lengthText === undefined ? bits : Number(lengthText);
  if (!Number.isInteger(length) || length < 0 || length > bits || (lengthText !== undefined && !/^\d{1,3}$/.test(lengthText))) return undefined;
  const addressBytes = new Uint8Array(16);
  addressBytes.set(bytes);
  const maskBytes = new Uint8Array(16);
  for (let bit = 0; bit < length; bit++) maskBytes[bit >>> 3]! |= 0x80 >>> (bit & 7);
  const words = new Uint32Array(addressBytes.buffer);
  const mask = new Uint32Array(maskBytes.buffer);
  for (let i = 0; i < 4; i++) words[i] = (words[i]! & mask[i]!) >>> 0;
  return { family, words, mask };
}

/** True when the destination (family + words) lies inside the target. */
export function targetContains(t: CaptureTarget, family: number, w0: number, w1: number, w2: number, w3: number): boolean {
  const m = t.mask;
  const w = t.words;
  return family === t.family && ((w0 & m[0]!) >>> 0) === w[0] && ((w1 & m[1]!) >>> 0) === w[1] && ((w2 & m[2]!) >>> 0) === w[2] && ((w3 & m[3]!) >>> 0) === w[3];
}
