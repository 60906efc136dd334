// The configuration schema: one TypeBox source for the TypeScript types, the validation and docs/configuration.md.
// Every key has a default, so an empty file (or no file) is a working appliance on embedded defaults.
import { Type, type Static, type StaticDecode } from '@sinclair/typebox';
import { DetectionSchema, HostGroupsSchema, NetworksSchema } from './detection-schema.js';
import { HistorySchema } from '../history/history-schema.js';
import { CaptureSchema } from '../capture/capture-schema.js';
import { NotifySchema } from './notify-schema.js';
import { PluginsSchema } from './plugins-schema.js';
import { FirewallSchema } from '../firewall/config-schema.js';
import { ApiSchema } from '../api/api-config-schema.js';
import { MitigationSchema, RunbooksSchema } from '../mitigation/runbook-schema.js';

const ListenAddress = Type.String({
  description: 'host:port; IPv6 hosts in brackets, e.g. "[::]:6343"',
  pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^\\[\\]:]+):[0-9]{1,5}$',
});

export const SflowSchema = Type.Object(
  {
    listen: Type.Array(ListenAddress, {
      default: ['0.0.0.0:6343', '[::]:6343'],
      minItems: 1,
      description: 'UDP addresses sFlow v5 is received on.',
    }),
    receiveBufferBytes: Type.Integer({
      default: 33554432,
      minimum: 65536,
      description: 'SO_RCVBUF asked for on each sFlow socket; the kernel caps it at net.core.rmem_max.',
    }),
    workers: Type.Integer({
      default: 0,
      minimum: 0,
      maximum: 64,
      description: 'Decoder processes sharing the sFlow sockets; 0 decodes in the controller process itself.',
    }),
    receiveThreads: Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 0, maximum: 64 })], {
      default: 'auto',
      description:
        'Threads that receive and decode sFlow, each with its own SO_REUSEPORT socket on every listen address (needs the udp-batch addon), handing FlowBatches to the main thread, which applies them and runs detection. 0 receives and decodes on the main thread. "auto": one per core beyond those of the main thread and the detection thread (detection.thread), at most 4 (none on two cores with the detection thread, none on one core or without the addon). Not used when workers > 0.',
    }),
    maxAgents: Type.Integer({
      default: 10000,
      minimum: 1,
      description: 'Most sFlow agents (address + sub-agent) tracked at once; datagrams from further agents are counted and dropped.',
    }),
  },
  { default: {}, additionalProperties: false },
);

export const HealthSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'Address of the health endpoint; keep it on loopback.' }),
    port: Type.Integer({ default: 9180, minimum: 0, maximum: 65535, description: 'Port of the health endpoint (0 = any free port).' }),
  },
  { default: {}, additionalProperties: false },
);

export const LogSchema = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info', description: 'pino log level.' },
    ),
  },
  { default: {}, additionalProperties: false },
);

const BgpFamily = Type.Union([Type.Literal('ipv4-unicast'), Type.Literal('ipv6-unicast'), Type.Literal('ipv4-flowspec'), Type.Literal('ipv6-flowspec')]);
const Community = Type.String({ pattern: '^[0-9]{1,5}:[0-9]{1,5}$', description: 'ASN:VALUE' });

export const BgpPeerSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,31}$', description: 'Session name (letters, digits, _), used in daemon configs and the session view.' }),
    address: Type.String({ minLength: 2, description: 'Neighbor address (IPv4 or IPv6).' }),
    asn: Type.Integer({ minimum: 1, maximum: 4294967295, description: 'Neighbor AS number.' }),
    families: Type.Array(BgpFamily, { default: ['ipv4-unicast', 'ipv4-flowspec'], minItems: 1, description: 'Address families of the session: unicast carries RTBH, flowspec carries FlowSpec rules.' }),
    md5Password: Type.Optional(Type.String({ pattern: '^[!#-\\[\\]-~]{1,80}$', description: 'TCP-MD5 (RFC 2385) password of the session: printable ASCII without spaces, quotes or backslashes.' })),
    profile: Type.String({ default: 'generic-rfc8955', description: 'Router profile (appliance/src/flowspec/router-profiles.ts) FlowSpec rules are fitted to.' }),
    sflowAgent: Type.Optional(Type.String({ description: 'sFlow agent address this router exports from, tying its flow data to this session.' })),
    localAddress: Type.Optional(Type.String({ description: 'Source address of this session; defaults to bgp.localAddress.' })),
  },
  { additionalProperties: false },
);

export const BgpSchema = Type.Object(
  {
    speaker: Type.Union([Type.Literal('none'), Type.Literal('exabgp'), Type.Literal('bird'), Type.Literal('gobgp'), Type.Literal('frr'), Type.Literal('demo')], {
      default: 'none',
      description: 'BGP daemon Breakwater drives for FlowSpec and RTBH; "none" announces nothing; "demo" records routes and announces nothing (breakwater demo).',
    }),
    localAsn: Type.Integer({ default: 64512, minimum: 1, maximum: 4294967295, description: 'Breakwater\'s AS number.' }),
    routerId: Type.String({ default: '', description: 'BGP router id (IPv4 dotted quad); empty: bgp.localAddress.' }),
    localAddress: Type.String({ default: '', description: 'Source address of the BGP sessions (IPv4); required when a speaker is set.' }),
    peers: Type.Array(BgpPeerSchema, { default: [], description: 'Routers Breakwater peers with (route-server role); see the BGP section below.' }),
    rtbh: Type.Object(
      {
        communities: Type.Array(Community, { default: ['65535:666'], minItems: 1, description: 'Communities on every RTBH route (BLACKHOLE, RFC 7999). Not NO_EXPORT: on an eBGP session it would stop the route itself; the receiver adds it.' }),
        nextHopIpv4: Type.String({ default: '192.0.2.1', description: 'Next hop of IPv4 RTBH routes (routers map it to a discard route).' }),
        nextHopIpv6: Type.String({ default: '100::1', description: 'Next hop of IPv6 RTBH routes (RFC 6666 discard prefix).' }),
      },
      { default: {}, additionalProperties: false },
    ),
    diversion: Type.Object(
      {
        nextHopIpv4: Type.String({ default: '', description: 'Next hop of IPv4 diversion routes (Tier 4, BGP diversion community); empty: the session\'s own address (next hop self). Set it when the scrubbing provider wants the traffic sent elsewhere.' }),
        nextHopIpv6: Type.String({ default: '', description: 'Next hop of IPv6 diversion routes; empty: the speaker\'s own IPv6 address on the session\'s link (BIRD) or the session address (ExaBGP, GoBGP: set it for IPv6 routes over an IPv4 session).' }),
      },
      { default: {}, additionalProperties: false, description: 'Diversion routes: the covering prefix announced with the communities of the scrubbing tier\'s bgpCommunity provider.' },
    ),
    shutdown: Type.Union([Type.Literal('withdraw'), Type.Literal('retain')], {
      default: 'withdraw',
      description: 'On stop: withdraw every route, or leave the daemon running with its routes (the next start re-announces what has not expired).',
    }),
    reconcileIntervalMs: Type.Integer({ default: 30000, minimum: 100, description: 'How often desired routes are compared with what the daemon reports (and expired ones withdrawn).' }),
    daemons: Type.Object(
      {
        exabgp: Type.String({ default: '/usr/sbin/exabgp', description: 'ExaBGP 4.2 executable.' }),
        bird: Type.String({ default: '/usr/sbin/bird', description: 'BIRD 2 executable.' }),
        gobgpd: Type.String({ default: '/usr/bin/gobgpd', description: 'gobgpd executable.' }),
        gobgp: Type.String({ default: '/usr/bin/gobgp', description: 'gobgp CLI executable.' }),
        frrDir: Type.String({ default: '/usr/lib/frr', description: 'Directory of FRR\'s zebra, staticd and bgpd.' }),
        vtysh: Type.String({ default: '/usr/bin/vtysh', description: 'FRR\'s vtysh.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    bird: Type.Object(
      {
        socket: Type.String({ default: '', description: 'Control socket of an operator-run BIRD; when set Breakwater runs no BIRD and only owns its included routes file.' }),
        routesFile: Type.String({ default: '', description: 'The included file Breakwater owns; empty: DATADIR/bgp/bird/breakwater-routes.conf.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    gobgp: Type.Object(
      {
        apiPort: Type.Integer({ default: 50051, minimum: 1, maximum: 65535, description: 'gobgpd gRPC port, bound to 127.0.0.1.' }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({
      default: '/var/lib/breakwater',
      minLength: 1,
      description: 'Directory for all state (attack history, audit trail, desired routes, baselines).',
    }),
    log: LogSchema,
    sflow: SflowSchema,
    health: HealthSchema,
    networks: NetworksSchema,
    hostGroups: HostGroupsSchema,
    detection: DetectionSchema,
    history: HistorySchema,
    capture: CaptureSchema,
    plugins: PluginsSchema,
    notify: NotifySchema,
    bgp: BgpSchema,
    firewall: FirewallSchema,
    runbooks: RunbooksSchema,
    mitigation: MitigationSchema,
    api: ApiSchema,
  },
  { additionalProperties: false },
);

// Decoded: configured secrets are Secret objects (config/secret.ts), not strings.
export type Config = StaticDecode<typeof ConfigSchema>;
export type SflowConfig = Static<typeof SflowSchema>;
export type BgpConfig = Static<typeof BgpSchema>;
export type BgpPeerConfig = Static<typeof BgpPeerSchema>;
