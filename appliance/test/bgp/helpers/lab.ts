// The integration-test lab: a "router" BIRD 2 in namespace bwt-bgp-<pid>-router and the speaker side in
// bwt-bgp-<pid>-speaker, joined by a veth pair (100.64.N.1 router <-> 100.64.N.2 speaker, and
// 2001:db8:64:N::1 <-> ::2). The router takes every family from the speaker, turns 65535:666 into a blackhole
// (RFC 7999) and stores FlowSpec in flowtab4/flowtab6; the tests read its tables through @bird-tools/birdc
// on its control socket, which is a file and so reachable from the test's own namespace.
import { join } from 'node:path';
import { createBirdClient, type BirdClient, type Route } from '@bird-tools/birdc';
import type { BgpPeerConfig } from '../../../src/config/schema.js';
import { createNetns, eventually, linkNetns, makeTempDir, spawnOwned, type OwnedProcess, type VethLink } from '../../support/netns.js';
import { writeFileSync } from 'node:fs';

export const ROUTER_ASN = 65000;
export const SPEAKER_ASN = 65010;
export const BIRD_BIN = process.env.BIRD_BIN ?? '/usr/sbin/bird';

export interface RouterNeighbor {
  name: string;
  address: string;
  local: string;
  asn: number;
  password?: string;
}

export function routerBirdConfig(routerId: string, neighbors: readonly RouterNeighbor[]): string {
  const blackhole = 'import filter { if (65535,666) ~ bgp_community then dest = RTD_BLACKHOLE; accept; }; export none;';
  return [
    'log stderr all;',
    `router id ${routerId};`,
    'protocol device {}',
    'flow4 table flowtab4;',
    'flow6 table flowtab6;',
    ...neighbors.map((n) =>
      [
        `protocol bgp ${n.name} {`,
        `  local ${n.local} as ${ROUTER_ASN};`,
        `  neighbor ${n.address} as ${n.asn};`,
        '  connect delay time 1; connect retry time 1; error wait time 1, 2;',
        n.password !== undefined ? `  password "${n.password}";` : '',
        `  ipv4 { ${blackhole} };`,
        `  ipv6 { ${blackhole} };`,
        '  flow4 { table flowtab4; import all; export none; };',
        '  flow6 { table flowtab6; import all; export none; };',
        '}',
      ].join('\n'),
    ),
    '',
  ].join('\n');
}

export interface Router {
  bird: BirdClient;
  process: OwnedProcess;
  socketPath: string;
  configPath: string;
  flows(family: 'ipv4' | 'ipv6'): Promise<Route[]>;
  unicast(family: 'ipv4' | 'ipv6'): Promise<Route[]>;
  sessionUp(name: string): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startRouter(netns: string, dir: string, routerId: string, neighbors: readonly RouterNeighbor[]): Promise<Router> {
  const configPath = join(dir, 'router.conf');
  const socketPath = join(dir, 'router.ctl');
  writeFileSync(configPath, routerBirdConfig(routerId, neighbors));
  const proc = spawnOwned(BIRD_BIN, ['-f', '-c', configPath, '-s', socketPath], { netns });
  const bird = createBirdClient({ socketPath, commandTimeoutMs: 10_000 });
  bird.on('connectError', () => undefined);
  await eventually('the router BIRD to answer', 10_000, async () => {
    if (proc.exited()) throw new Error(`router BIRD exited:\n${proc.output()}`);
    return (await bird.showStatus({ timeoutMs: 500 })).version;
  });
  return {
    bird,
    process: proc,
    socketPath,
    configPath,
    flows: (family) => bird.showRoutes({ table: family === 'ipv4' ? 'flowtab4' : 'flowtab6', all: true }),
    unicast: (family) => bird.showRoutes({ table: family === 'ipv4' ? 'master4' : 'master6', all: true }),
    sessionUp: async (name) => (await bird.showProtocol(name)).info.startsWith('Established'),
    stop: async () => {
      await bird.close();
      await proc.stop();
    },
  };
}

export interface Lab {
  dir: string;
  routerNs: string;
  speakerNs: string;
  link: VethLink;
  router: Router;
  /** The router as the speaker's peer entry. */
  peer: BgpPeerConfig;
}

/** Builds the two namespaces, the link and the router; `label` keeps namespace names unique per test file. */
export async function createLab(label: string, options: { password?: string } = {}): Promise<Lab> {
  const dir = makeTempDir(`bgp-${label}`);
  const routerNs = createNetns(`bgp-${label}`, 'router');
  const speakerNs = createNetns(`bgp-${label}`, 'speaker');
  const link = linkNetns(routerNs, speakerNs, 1);
  const router = await startRouter(routerNs, dir, '198.18.0.1', [
    { name: 'speaker', address: link.b.ipv4, local: link.a.ipv4, asn: SPEAKER_ASN, password: options.password },
  ]);
  const peer: BgpPeerConfig = {
    name: 'r1',
    address: link.a.ipv4,
    asn: ROUTER_ASN,
    families: ['ipv4-unicast', 'ipv6-unicast', 'ipv4-flowspec', 'ipv6-flowspec'],
    profile: 'bird',
    ...(options.password !== undefined ? { md5Password: options.password } : {}),
  };
  return { dir, routerNs, speakerNs, link, router, peer };
}

/** The bgp configuration section for a speaker of `kind` in the lab (reconcile every second). */
export function labBgpConfig(lab: Lab, kind: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    speaker: kind,
    localAsn: SPEAKER_ASN,
    localAddress: lab.link.b.ipv4,
    routerId: '198.18.0.2',
    peers: [lab.peer],
    rtbh: { nextHopIpv4: lab.link.b.ipv4, nextHopIpv6: lab.link.b.ipv6 },
    reconcileIntervalMs: 1000,
    ...overrides,
  };
}
