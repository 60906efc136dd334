// The lab's network: four namespaces (five with FastNetMon) joined to a router namespace by veth pairs, with
// forwarding on in the router and routes so that traffic from src really crosses the router to the victim.
// Owns namespaces, links, addresses and routes only; the daemons in them are started by lab.ts. Everything is
// created through appliance/test/support/netns.ts, which removes it by pid and by name on exit and on signals.
import { createNetns, ip, linkNetns, type VethLink } from '../../appliance/test/support/netns.js';
import { LINK, ROUTER_TRANSIT_MAC, SOURCE_NET6, SOURCE_NETS4, SRC_MAC, VICTIM_NET4, VICTIM_NET6 } from './address-plan.js';

export interface Topology {
  src: string;
  router: string;
  victim: string;
  appliance: string;
  /** Only when asked for (bench/e2e): FastNetMon and its gobgpd. */
  fastnetmon?: string;
  links: { src: VethLink; victim: VethLink; appliance: VethLink; fastnetmon?: VethLink };
  /** The router's interface traffic from src arrives on: the one the sFlow agent samples. */
  transitIf: string;
  /** src's interface tcpreplay writes to. */
  sourceIf: string;
}

function sysctl(ns: string, key: string, value: string): void {
  ip('netns', 'exec', ns, 'sysctl', '-qw', `${key}=${value}`);
}

export function createTopology(label: string, options: { fastnetmon?: boolean } = {}): Topology {
  const router = createNetns(label, 'router');
  const src = createNetns(label, 'src');
  const victim = createNetns(label, 'victim');
  const appliance = createNetns(label, 'appliance');
  const fastnetmon = options.fastnetmon ? createNetns(label, 'fnm') : undefined;

  const srcLink = linkNetns(router, src, LINK.src);
  const victimLink = linkNetns(router, victim, LINK.victim);
  const applianceLink = linkNetns(router, appliance, LINK.appliance);
  const fnmLink = fastnetmon ? linkNetns(router, fastnetmon, LINK.fastnetmon) : undefined;

  // Generated frames carry the packet builder's default MACs; the router's transit interface owns the
  // destination one, so the kernel takes them as its own to forward (not PACKET_OTHERHOST).
  ip('-n', router, 'link', 'set', srcLink.a.ifname, 'address', ROUTER_TRANSIT_MAC);
  ip('-n', src, 'link', 'set', srcLink.b.ifname, 'address', SRC_MAC);

  for (const [key, value] of [
    ['net.ipv4.ip_forward', '1'],
    ['net.ipv6.conf.all.forwarding', '1'],
    ['net.ipv4.conf.all.rp_filter', '0'],
    ['net.ipv4.conf.default.rp_filter', '0'],
    // The victim's ICMP errors for a flood would only add noise; the kernel limits them anyway.
    ['net.ipv4.icmp_ratelimit', '1000'],
  ] as const) sysctl(router, key, value);

  // Router: the protected network behind the victim link, every source range behind the src link.
  ip('-n', router, 'route', 'add', VICTIM_NET4, 'via', victimLink.b.ipv4);
  ip('-n', router, '-6', 'route', 'add', VICTIM_NET6, 'via', victimLink.b.ipv6);
  for (const net of SOURCE_NETS4) ip('-n', router, 'route', 'add', net, 'via', srcLink.b.ipv4);
  ip('-n', router, '-6', 'route', 'add', SOURCE_NET6, 'via', srcLink.b.ipv6);

  // Victim: answers for every address of its networks (AnyIP local routes), everything else via the router.
  ip('-n', victim, 'route', 'add', 'local', VICTIM_NET4, 'dev', 'lo');
  ip('-n', victim, '-6', 'route', 'add', 'local', VICTIM_NET6, 'dev', 'lo');
  ip('-n', victim, 'route', 'add', 'default', 'via', victimLink.a.ipv4);
  ip('-n', victim, '-6', 'route', 'add', 'default', 'via', victimLink.a.ipv6);

  // src and the appliance (and FastNetMon) reach the rest only through the router: no route off the machine.
  for (const [ns, link] of [[src, srcLink], [appliance, applianceLink], ...(fastnetmon && fnmLink ? [[fastnetmon, fnmLink] as const] : [])] as const) {
    ip('-n', ns, 'route', 'add', 'default', 'via', link.a.ipv4);
    ip('-n', ns, '-6', 'route', 'add', 'default', 'via', link.a.ipv6);
  }

  return {
    src,
    router,
    victim,
    appliance,
    ...(fastnetmon ? { fastnetmon } : {}),
    links: { src: srcLink, victim: victimLink, appliance: applianceLink, ...(fnmLink ? { fastnetmon: fnmLink } : {}) },
    transitIf: srcLink.a.ifname,
    sourceIf: srcLink.b.ifname,
  };
}
