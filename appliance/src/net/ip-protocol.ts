// IP protocol numbers (IPv4 protocol / IPv6 next header) that Breakwater reads past the IP header.

export const IpProtocol = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  dccp: 33,
  icmpv6: 58,
  sctp: 132,
  udpLite: 136,
} as const;

/** True for transports whose header starts with 16-bit source and destination ports. */
export function hasPorts(protocol: number): boolean {
  return (
    protocol === IpProtocol.tcp ||
    protocol === IpProtocol.udp ||
    protocol === IpProtocol.sctp ||
    protocol === IpProtocol.dccp ||
    protocol === IpProtocol.udpLite
  );
}

/** Smallest IPv4 header and the fixed IPv6 header. */
export const ipv4MinHeaderLength = 20;
export const ipv6HeaderLength = 40;
