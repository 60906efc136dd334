// Text forms of addresses for people and JSON: IPv4 dotted quad, IPv6 as RFC 5952 recommends (lower case,
// no leading zeros, the longest run of two or more zero groups as "::", the first such run on a tie,
// IPv4-mapped addresses as ::ffff:a.b.c.d), and MACs as aa:bb:cc:dd:ee:ff. Not for the hot path: these
// build strings.
export function ipv4Text(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** IPv4 address held as an unsigned 32-bit number. */
export function ipv4NumberText(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

export function ipv6Text(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);

  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad, which is how people recognise them.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${ipv4Text(bytes, offset + 12)}`;

  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    // A single zero group is never shortened (§4.2.2); strict ">" keeps the first of equal runs (§4.2.3).
    if (j - i >= 2 && j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** Address text for a family tag (4 or 6, as in the sFlow views); undefined for any other tag (0: none read). */
export function addressText(family: number, bytes: Uint8Array, offset = 0): string | undefined {
  if (family === 4) return ipv4Text(bytes, offset);
  if (family === 6) return ipv6Text(bytes, offset);
  return undefined;
}

/** MAC held as a 48-bit number, as aa:bb:cc:dd:ee:ff. */
export function macText(value: number): string {
  const hex = value.toString(16).padStart(12, '0');
  return hex.replace(/(..)(?!$)/g, '$1:');
}

/** MAC from six bytes, as aa:bb:cc:dd:ee:ff. */
export function macBytesText(bytes: Uint8Array, offset = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(bytes[offset + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}
