// The Internet checksum (RFC 1071) used by IPv4 headers, UDP, TCP, ICMP, ICMPv6 and GRE, and the
// pseudo-headers that UDP/TCP/ICMPv6 add to it (RFC 768, RFC 793, RFC 8200 §8.1). Owns only arithmetic
// over bytes: the packet builder decides what is covered.

/** One's-complement sum of 16-bit big-endian words, folded to 16 bits; an odd last byte is padded with 0. */
export function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  const even = bytes.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (even !== bytes.length) sum += bytes[even]! << 8;
  // Folding twice is enough: after the first fold the value is at most 0x1fffe.
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum field value for `bytes` (whose checksum field must be zero while this runs). */
export function internetChecksum(bytes: Uint8Array, initial = 0): number {
  return ~onesComplementSum(bytes, initial) & 0xffff;
}

/**
 * Sum of the pseudo-header that UDP, TCP and ICMPv6 checksums cover: source and destination address
 * (4 or 16 bytes each), the upper-layer protocol and the upper-layer length. Returned unfolded-safe, to be
 * passed as `initial` to internetChecksum over the segment.
 */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, upperLayerLength: number): number {
  let sum = onesComplementSum(src) + onesComplementSum(dst) + protocol;
  // IPv4 carries the length in 16 bits, IPv6 in 32; summing both halves covers both.
  sum += (upperLayerLength >>> 16) + (upperLayerLength & 0xffff);
  return sum;
}
