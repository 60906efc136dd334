// BIRD configurations shared by the integration tests and by record-fixtures.ts, so the recorded
// fixtures come from exactly the daemons the tests run. Addresses: 100.64.0.0/10 for the veth link,
// 198.18.0.0/15 for router ids, documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24,
// 2001:db8::/32) for routes.

/** Static-only BIRD: IPv4/IPv6 tables, blackhole/unreachable routes, FlowSpec in flowtab4/flowtab6. */
export function staticBirdConfig(routesFile: string): string {
  return `log stderr all;
router id 198.18.0.1;
protocol device {}
ipv4 table t4;
ipv6 table t6;
flow4 table flowtab4;
flow6 table flowtab6;
protocol static st4 {
  ipv4 { table t4; };
  route 198.51.100.0/24 blackhole;
  route 203.0.113.10/32 blackhole { bgp_community.add((65535,666)); };
  route 203.0.113.0/24 unreachable;
}
protocol static st6 {
  ipv6 { table t6; };
  route 2001:db8:66::/48 blackhole;
}
protocol static bw_flow4 {
  flow4 { table flowtab4; };
  route flow4 { dst 203.0.113.10/32; proto 17; sport 53; length 200..1500; } {
    bgp_ext_community.add((generic, 0x80060000, 0x00000000));
  };
}
protocol static bw_flow6 {
  flow6 { table flowtab6; };
  route flow6 { dst 2001:db8:66::1/128; next header 17; dport 53; } {
    bgp_ext_community.add((generic, 0x80060000, 0x00000000));
  };
}
include "${routesFile}";
`;
}

/** The included file Breakwater would rewrite: one RTBH protocol, routes added per test. */
export function rtbhRoutesFile(prefixes: readonly string[]): string {
  const routes = prefixes.map((p) => `  route ${p} blackhole { bgp_community.add((65535,666)); };`).join('\n');
  return `protocol static bw_rtbh4 {
  ipv4 { table t4; };
${routes}
}
`;
}

/** Sender (AS 65010, namespace a): RTBH route with all three community kinds, FlowSpec discard rule. */
export function bgpSenderConfig(local: string, neighbor: string): string {
  return `log stderr all;
router id ${local};
protocol device {}
flow4 table flowtab4;
protocol static rtbh4 {
  ipv4;
  route 203.0.113.10/32 blackhole {
    bgp_community.add((65535,666));
    bgp_ext_community.add((rt, 65010, 100));
    bgp_large_community.add((65010, 1, 2));
  };
  route 198.51.100.0/24 blackhole;
}
protocol static flow4s {
  flow4 { table flowtab4; };
  route flow4 { dst 203.0.113.10/32; proto 17; sport 53; length 200..1500; } {
    bgp_ext_community.add((generic, 0x80060000, 0x00000000));
  };
}
protocol bgp peer_b {
  local ${local} as 65010;
  neighbor ${neighbor} as 65000;
  connect delay time 1; connect retry time 1; error wait time 1, 2;
  ipv4 { import none; export all; next hop self; };
  flow4 { table flowtab4; import none; export all; };
}
`;
}

/**
 * Receiver (AS 65000, namespace b): turns 65535:666 into a blackhole (RFC 7999) and keeps a static
 * route for 198.51.100.0/24, so that network has two routes: static primary, BGP second.
 */
export function bgpReceiverConfig(local: string, neighbor: string): string {
  return `log stderr all;
router id ${local};
protocol device {}
flow4 table flowtab4;
protocol static local4 {
  ipv4;
  route 198.51.100.0/24 unreachable;
}
protocol bgp peer_a {
  local ${local} as 65000;
  neighbor ${neighbor} as 65010;
  connect delay time 1; connect retry time 1; error wait time 1, 2;
  ipv4 {
    import filter { if (65535,666) ~ bgp_community then dest = RTD_BLACKHOLE; accept; };
    export none;
  };
  flow4 { table flowtab4; import all; export none; };
}
`;
}
