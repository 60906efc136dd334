// Addresses as counting keys: four u32 words holding the 16 address bytes exactly as a FlowBatch record does
// (IPv4 in bytes 0..3, the rest zero; words read little-endian), plus conversions to and from text and prefix
// masking. Text conversion allocates and is for configuration and reports, never the per-sample path.
import { addressText } from '../net/address-text.js';
import { ipv4Bytes, ipv6Bytes } from '../synthetic/address-bytes.js';

/** Address text → [family, w0, w1, w2, w3]; throws TypeError on bad text. */
export function addressKey(text: string): [4 | 6, number, number, number, number] {
  const v6 = text.includes(':');
  const bytes = new Uint8Array(16);
  bytes.set(v6 ? ipv6Bytes(text) : ipv4Bytes(text));
  const w = new Uint32Array(bytes.buffer);
  return [v6 ? 6 : 4, w[0]!, w[1]!, w[2]!, w[3]!];
}

const scratch = new Uint32Array(4);
const scratchBytes = new Uint8Array(scratch.buffer);

/** Key words → address text (RFC 5952 for IPv6). */
export function keyText(family: number, w0: number, w1: number, w2: number, w3: number): string {
  scratch[0] = w0;
  scratch[1] = w1;
  scratch[2] = w2;
  scratch[3] = w3;
  return addressText(family, scratchBytes) ?? '';
}

/**
 * The mask word for word index `word` of a prefix of `length` bits, in key-word byte order: byte i of the
 * address is bits (i & 3) * 8.. of word i >> 2, and the first address bit is the byte's top bit.
 */
export function prefixMaskWord(length: number, word: number): number {
  let mask = 0;
  for (let b = 0; b < 4; b++) {
    const bitsBefore = (word * 4 + b) * 8;
    const bits = Math.max(0, Math.min(8, length - bitsBefore));
    const byteMask = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    mask |= byteMask << (b * 8);
  }
  return mask >>> 0;
}

/** The four mask words of a prefix length. */
export function prefixMask(length: number): Uint32Array {
  return Uint32Array.from([0, 1, 2, 3], (w) => prefixMaskWord(length, w));
}

/** Bit `i` (0 = the address's first, most significant bit) of a key. */
export function keyBit(w0: number, w1: number, w2: number, w3: number, i: number): number {
  const byte = i >>> 3;
  const word = byte >>> 2 === 0 ? w0 : byte >>> 2 === 1 ? w1 : byte >>> 2 === 2 ? w2 : w3;
  return (word >>> ((byte & 3) * 8 + 7 - (i & 7))) & 1;
}

export interface ParsedKeyPrefix {
  family: 4 | 6;
  words: [number, number, number, number];
  length: number;
  /** Canonical text: network address / length. */
  text: string;
}

/** "198.51.100.0/24" / "2001:db8::/48" → words with host bits cleared; undefined when malformed. */
export function parseKeyPrefix(text: string): ParsedKeyPrefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) return undefined;
  const length = Number(lengthText);
  let key: [4 | 6, number, number, number, number];
  try {
    key = addressKey(text.slice(0, slash));
  } catch {
    return undefined;
  }
  const family = key[0];
  if (length > (family === 4 ? 32 : 128)) return undefined;
  const words: [number, number, number, number] = [0, 0, 0, 0];
  for (let w = 0; w < 4; w++) words[w] = (key[w + 1]! & prefixMaskWord(length, w)) >>> 0;
  return { family, words, length, text: `${keyText(family, ...words)}/${length}` };
}

/** Whether the prefix text has bits set past its length ("10.0.0.1/8"). */
export function hasHostBits(text: string): boolean {
  const slash = text.indexOf('/');
  const parsed = parseKeyPrefix(text);
  if (!parsed || slash < 0) return false;
  const key = addressKey(text.slice(0, slash));
  return parsed.words.some((w, i) => w !== key[i + 1]);
}
