// The lab's addresses, in one place. Only ranges that never leave this machine: 100.64.0.0/10 for links and the
// protected network, 198.18.0.0/15 and the documentation ranges for traffic sources, 2001:db8::/32 for IPv6.
//
//   src ──link 1── router ──link 2── victim        (link n: router side 100.64.n.1, other side 100.64.n.2,
//                    │ └───link 4── fastnetmon      2001:db8:64:n::1 / ::2; from appliance/test/support/netns.ts)
//                    └─────link 3── appliance
export const LINK = { src: 1, victim: 2, appliance: 3, fastnetmon: 4 } as const;

/** The protected network behind the router: the victim namespace answers for every address in it. */
export const VICTIM_NET4 = '100.64.128.0/24';
export const VICTIM_NET6 = '2001:db8:128::/64';
/** The host most scenarios hit, and the one the flash crowd visits. */
export const VICTIM4 = '100.64.128.10';
export const VICTIM6 = '2001:db8:128::10';
/** Web servers the benign background visits. */
export const WEB_HOSTS4 = ['100.64.128.20', '100.64.128.21', '100.64.128.22'] as const;

/** Where traffic comes from: spoofed attackers, reflectors and clients (all routed back to the src namespace). */
export const SOURCE_NETS4 = ['198.18.0.0/15', '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'] as const;
export const SOURCE_NET6 = '2001:db8:198::/48';

/** The router's transit interface towards src gets the MAC the packet builder puts as destination by default. */
export const ROUTER_TRANSIT_MAC = '02:00:00:00:00:02';
export const SRC_MAC = '02:00:00:00:00:01';

export const ROUTER_ASN = 65000;
export const APPLIANCE_ASN = 65010;
export const FASTNETMON_ASN = 65020;
export const ROUTER_ID = '198.18.255.1';

export const SFLOW_PORT = 6343;
/** Not 8443: the REST API (issue 8) listens there by default. */
export const AGENT_API_PORT = 8444;
