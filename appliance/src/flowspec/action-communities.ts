// The 8-byte extended community each FlowSpec action is on the wire (RFC 8955 §7, RFC 7674, RFC 4360), as two
// unsigned 32-bit words. BIRD has no FlowSpec action keywords, so its renderer writes these words as
// `(generic, high, low)`; the ExaBGP renderer falls back to them (`0x…` hex) for actions ExaBGP has no
// keyword for; tests compare them with what the daemons put on the wire.
import { parseIPv4Address } from './prefix.js';
import type { FlowSpecAction, RouteTargetValue } from './rule.js';

export interface ExtendedCommunityWords {
  /** Type, sub-type and the first two value bytes. */
  high: number;
  /** The last four value bytes. */
  low: number;
}

/** IEEE 754 single-precision bits of a rate, as RFC 8955 §7.1 carries it. */
export function float32Bits(value: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value);
  return view.getUint32(0);
}

/**
 * The extended community of an action, or undefined for the actions that are not extended communities
 * (standard and large communities). The action must be valid (validate.ts); addresses are not re-checked.
 */
export function actionExtendedCommunity(action: FlowSpecAction): ExtendedCommunityWords | undefined {
  switch (action.type) {
    case 'discard':
      // traffic-rate-bytes with AS 0 and rate 0.0, what ExaBGP, GoBGP and Junos send for "discard".
      return words(0x8006, 0, 0);
    case 'rate-limit':
      return words(0x8006, 0, float32Bits(action.bytesPerSecond));
    case 'rate-limit-packets':
      return words(0x800c, 0, float32Bits(action.packetsPerSecond));
    case 'redirect':
      return routeTargetWords({ as2: 0x8008, as4: 0x8208, ip: 0x8108 }, action.target);
    case 'mark-dscp':
      return words(0x8009, 0, action.dscp);
    case 'traffic-action':
      return words(0x8007, 0, (action.sample ? 0x02 : 0) | (action.terminal ? 0x01 : 0));
    case 'extended-community':
      return action.kind === 'route-target'
        ? routeTargetWords({ as2: 0x0002, as4: 0x0202, ip: 0x0102 }, action.value)
        : routeTargetWords({ as2: 0x0003, as4: 0x0203, ip: 0x0103 }, action.value);
    case 'community':
    case 'large-community':
      return undefined;
  }
}

/** `0x8006000000000000`: the form ExaBGP's `extended-community [ … ]` accepts for raw values. */
export function extendedCommunityHex(w: ExtendedCommunityWords): string {
  return `0x${hex32(w.high)}${hex32(w.low)}`;
}

export function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function words(typeAndSubtype: number, globalHigh16: number, low: number): ExtendedCommunityWords {
  return { high: ((typeAndSubtype << 16) | globalHigh16) >>> 0, low: low >>> 0 };
}

/**
 * Route-target layout (RFC 4360 §3): AS2 = 2-byte AS + 4-byte local; AS4 and IPv4 = 4-byte global + 2-byte
 * local. The 4-byte global straddles the two words.
 */
function routeTargetWords(types: { as2: number; as4: number; ip: number }, v: RouteTargetValue): ExtendedCommunityWords {
  switch (v.format) {
    case 'as2':
      return words(types.as2, v.asn, v.local);
    case 'as4':
      return words(types.as4, v.asn >>> 16, ((v.asn & 0xffff) << 16) | v.local);
    case 'ip': {
      const ip = parseIPv4Address(v.address) ?? 0;
      return words(types.ip, ip >>> 16, ((ip & 0xffff) << 16) | v.local);
    }
  }
}
