// Text to bytes for the addresses the packet builder takes: MAC (aa:bb:cc:dd:ee:ff or with dashes),
// dotted IPv4, and IPv6 in RFC 4291 text form (with :: and an optional dotted IPv4 tail). Owns parsing only;
// a malformed address is a programming error in a test or lab script, so it throws a TypeError naming it.

export function macBytes(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new TypeError(`not a MAC address: ${JSON.stringify(text)}`);
  }
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

export function ipv4Bytes(text: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255)) {
    throw new TypeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  }
  return Uint8Array.from(parts, Number);
}

export function ipv6Bytes(text: string): Uint8Array {
  const fail = (): never => {
    throw new TypeError(`not an IPv6 address: ${JSON.stringify(text)}`);
  };
  const halves = text.split('::');
  if (halves.length > 2) fail();
  const groups = (half: string | undefined): string[] => (half === undefined || half === '' ? [] : half.split(':'));
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  // A dotted IPv4 tail stands for the last two groups.
  const words: number[] = [];
  const pushGroups = (list: string[], isLast: boolean): void => {
    list.forEach((g, i) => {
      if (isLast && i === list.length - 1 && g.includes('.')) {
        const v4 = ipv4Bytes(g);
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        words.push(parseInt(g, 16));
      } else {
        fail();
      }
    });
  };
  const hasGap = halves.length === 2;
  pushGroups(head, !hasGap);
  const headWords = words.length;
  pushGroups(tail, true);
  const tailWords = words.length - headWords;
  if (hasGap ? headWords + tailWords > 7 : words.length !== 8) fail();
  const out = new Uint8Array(16);
  const place = (word: number, index: number): void => {
    out[index * 2] = word >>> 8;
    out[index * 2 + 1] = word & 0xff;
  };
  for (let i = 0; i < headWords; i++) place(words[i]!, i);
  for (let i = 0; i < tailWords; i++) place(words[headWords + i]!, 8 - tailWords + i);
  return out;
}
