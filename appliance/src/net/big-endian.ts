// Big-endian (network order, also XDR) reads from a byte array by index: no DataView, so the sFlow hot path
// allocates nothing even when every datagram arrives in a new Buffer. Callers check bounds before reading;
// these helpers do not, because an out-of-range read here means a bug in the caller's length checks.

export function readU16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Unsigned 32-bit value; values above 2^31 come back as (positive) doubles. */
export function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Unsigned 64-bit value as a number: exact up to 2^53, which counters of octets do not reach in practice. */
export function readU64(b: Uint8Array, o: number): number {
  return readU32(b, o) * 4294967296 + readU32(b, o + 4);
}

/** 48-bit MAC address as a number (exact: 48 bits fit a double). */
export function readMac(b: Uint8Array, o: number): number {
  return readU16(b, o) * 4294967296 + readU32(b, o + 2);
}
