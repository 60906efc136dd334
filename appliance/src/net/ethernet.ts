// EtherType values Breakwater looks at, shared by the sFlow sampled-header parser and the pcap frame reader.

export const EtherType = {
  ipv4: 0x0800,
  ipv6: 0x86dd,
  /** 802.1Q customer tag. */
  vlan: 0x8100,
  /** 802.1ad service tag (QinQ outer tag). */
  qinq: 0x88a8,
  /** Pre-standard QinQ outer tag still sent by some switches. */
  qinqLegacy: 0x9100,
} as const;

export const ethernetHeaderLength = 14;
export const vlanTagLength = 4;

export function isVlanTpid(etherType: number): boolean {
  return etherType === EtherType.vlan || etherType === EtherType.qinq || etherType === EtherType.qinqLegacy;
}
