// Walks the IPv6 extension-header chain (RFC 8200 §4, RFC 4302 AH) to the upper-layer header, for the sFlow
// sampled-header parser and the pcap frame reader. The result goes into a caller-owned object so the sFlow
// hot path allocates nothing. It stops at a non-first fragment: what follows its fragment header is payload.

/** Where the chain ended and what it said about fragmentation. Reuse one instance. */
export class Ipv6HeaderChain {
  /** Next-header value of the first non-extension header; if the bytes ran out, the last one known. */
  protocol = 0;
  /** Offset of the upper-layer header; valid when complete is true. */
  offset = 0;
  /** True when the walk reached the upper-layer header (or a non-first fragment's payload) inside the bytes. */
  complete = false;
  isFragment = false;
  /** Fragment offset in 8-byte units. */
  fragmentOffset = 0;
  moreFragments = false;
}

const hopByHop = 0;
const routing = 43;
const fragment = 44;
const authentication = 51;
const destinationOptions = 60;
const mobility = 135;
const hostIdentity = 139;
const shim6 = 140;

/** Longer chains are not legitimate traffic; the cap keeps the walk bounded whatever the bytes say. */
const maxExtensionHeaders = 16;

export function walkIpv6HeaderChain(v: DataView, offset: number, end: number, nextHeader: number, out: Ipv6HeaderChain): void {
  out.isFragment = false;
  out.fragmentOffset = 0;
  out.moreFragments = false;
  out.complete = false;
  let nh = nextHeader;
  let p = offset;
  for (let i = 0; i < maxExtensionHeaders; i++) {
    if (nh === fragment) {
      if (end - p < 8) break;
      const offsetAndFlags = v.getUint16(p + 2);
      out.isFragment = true;
      out.fragmentOffset = offsetAndFlags >>> 3;
      out.moreFragments = (offsetAndFlags & 1) === 1;
      nh = v.getUint8(p);
      p += 8;
      if (out.fragmentOffset !== 0) {
        // Non-first fragment: the bytes after this header are the middle of the payload, not headers.
        out.protocol = nh;
        out.offset = p;
        out.complete = true;
        return;
      }
      continue;
    }
    let length: number;
    if (nh === hopByHop || nh === routing || nh === destinationOptions || nh === mobility || nh === hostIdentity || nh === shim6) {
      if (end - p < 2) break;
      length = (v.getUint8(p + 1) + 1) * 8;
    } else if (nh === authentication) {
      if (end - p < 2) break;
      length = (v.getUint8(p + 1) + 2) * 4;
    } else {
      out.protocol = nh;
      out.offset = p;
      out.complete = true;
      return;
    }
    if (end - p < length) {
      // The header's own next-header byte is readable, but what it points to is not in the captured bytes.
      nh = v.getUint8(p);
      break;
    }
    nh = v.getUint8(p);
    p += length;
  }
  out.protocol = nh;
  out.offset = p;
}
