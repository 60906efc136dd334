// Cuts one IPv4 or IPv6 datagram into fragments the way a sending host does (RFC 791, RFC 8200 §4.5), so
// tests get first fragments that carry the transport header and non-first fragments that do not. Owns the
// splitting only: every fragment is returned as a PacketSpec with a raw payload for packet-builder to frame.
import { buildSegment, type FrameSpec, type Ipv6ExtensionHeader } from './packet-builder.js';

export interface FragmentOptions {
  /** Most bytes of the original IP payload in one fragment; rounded down to a multiple of 8. */
  maxFragmentPayload: number;
  /** IPv6 fragment header identification. Default 1. IPv4 fragments share the spec's ip.id. */
  identification?: number;
}

/**
 * The fragments of the datagram `spec` describes, in order. The transport checksum and length cover the
 * whole datagram, computed before cutting, exactly as on the wire. Sizing options (payloadSize, payload)
 * describe the whole datagram; frameSize/packetSize are not supported here because each fragment differs.
 * For IPv6 every extension header of the spec stays in each fragment in front of the fragment header
 * (treated as the unfragmentable part).
 */
export function fragmentDatagram<T extends FrameSpec>(spec: T, options: FragmentOptions): T[] {
  if (spec.frameSize !== undefined || spec.packetSize !== undefined) {
    throw new TypeError('fragmentDatagram sizes the datagram with payload or payloadSize, not frameSize/packetSize');
  }
  const step = Math.floor(options.maxFragmentPayload / 8) * 8;
  if (step < 8) throw new RangeError(`maxFragmentPayload must be at least 8, got ${options.maxFragmentPayload}`);
  const segment = buildSegment(spec);
  const fragments: T[] = [];
  // Runs at least once, so an empty datagram still yields one (unfragmented-looking) piece.
  for (let offset = 0; ; offset += step) {
    const payload = segment.bytes.subarray(offset, offset + step);
    const moreFragments = offset + step < segment.bytes.length;
    const base = { ...spec, transport: undefined, payload, payloadSize: undefined };
    if (spec.ip.version === 4) {
      fragments.push({ ...base, ip: { ...spec.ip, protocol: segment.protocol, fragmentOffset: offset / 8, moreFragments } });
    } else {
      const fragmentHeader: Ipv6ExtensionHeader = {
        kind: 'fragment',
        offset: offset / 8,
        moreFragments,
        identification: options.identification ?? 1,
      };
      const extensionHeaders = [...(spec.ip.extensionHeaders ?? []), fragmentHeader];
      fragments.push({ ...base, ip: { ...spec.ip, protocol: segment.protocol, extensionHeaders } });
    }
    if (!moreFragments) break;
  }
  return fragments;
}
