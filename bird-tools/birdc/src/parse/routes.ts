// Owns reading `show route [all]` and `show route ... count` (nest/rt-show.c) into typed routes.
// Reply codes: 1007 "Table X:" headers, route lines and their "\tvia"/"\tdev" next-hop lines;
// 1008 "\tType: ..." and 1012 "\t<attribute>: <value>" (with `all`; long sets wrap onto "\t\t" lines).
// A route line is `%-20s %s [%s %s%s]%s%s`: network (blank for further routes of the same network),
// destination (empty for FlowSpec), [protocol since( from X)], " *" primary / " !" primary with
// a sync error, then protocol info such as " (100) [AS65010i]".
import type { ReplyLine } from '../reply-parser.js';
import { bgpAttributesFrom, type BgpAttributes } from './bgp-attributes.js';
import { unexpectedReply } from './unexpected.js';

/** BIRD's rta_dest_names; "" (no destination, as for FlowSpec rules) is reported as "none". */
export type RouteDest = 'unicast' | 'blackhole' | 'unreachable' | 'prohibited' | 'none';

export interface NextHop {
  /** Gateway address; absent for a directly connected `dev` next hop. */
  gateway?: string;
  interface: string;
  /** MPLS label stack, outermost first. */
  mpls?: number[];
  onlink?: boolean;
  /** Only printed for multipath (ECMP) routes. */
  weight?: number;
}

export interface FlowRule {
  family: 'flow4' | 'flow6';
  /** The components between the braces, e.g. "dst 203.0.113.10/32; proto 17; sport 53;". */
  rule: string;
}

export interface Route {
  /** Table from the preceding "Table X:" header. */
  table?: string;
  /** As printed: "203.0.113.10/32", or the whole FlowSpec rule "flow4 { dst ...; }". */
  network: string;
  /** Set when the network is a FlowSpec rule. */
  flow?: FlowRule;
  dest: RouteDest;
  /** Name of the protocol the route came from. */
  protocol: string;
  /** When the route was last changed, in BIRD's `timeformat route`. */
  since: string;
  /** Address of the neighbor the route was learned from, when it differs from the gateway. */
  from?: string;
  /** The best route for its network (the one exported to other protocols). */
  primary: boolean;
  /** BIRD marks a primary route with "!" instead of "*" when the kernel copy is out of sync. */
  syncError?: boolean;
  /** The route's preference (first number in the parentheses). */
  preference?: number;
  /** Protocol metrics after the preference, e.g. [10] for OSPF "(150/10)". */
  metrics?: number[];
  /** Protocol info after the flag, verbatim, e.g. "(100) [AS65010i]". */
  info: string;
  nextHops: NextHop[];
  /** From `all`: "<source> <scope>", e.g. "BGP univ" or "static univ". */
  type?: string;
  /** From `all`: every attribute line, keyed as printed ("BGP.community", "OSPF.metric1", ...). */
  attributes: Record<string, string>;
  /** From `all`: BGP attributes, typed. */
  bgp?: BgpAttributes;
}

export interface TableRouteCount {
  table: string;
  /** Routes that passed the command's filters ("N of ..."). */
  matched: number;
  /** Routes in the table ("... of N routes"). */
  routes: number;
  networks: number;
}

export interface RouteCount {
  matched: number;
  routes: number;
  networks: number;
  tables: TableRouteCount[];
}

const TABLE_HEADER = /^Table (\S+):$/;
const ROUTE_LINE =
  /^(?<network>\S.*?)?\s+(?:(?<dest>unicast|blackhole|unreachable|prohibited)\s+)?\[(?<protocol>\S+) (?<since>.+?)(?: from (?<from>\S+))?\](?: (?<mark>[*!]))?\s*(?<info>.*)$/;
const FLOW_NETWORK = /^(flow4|flow6) \{\s*(.*?)\s*\}$/;
const PREFERENCE = /\((\d+)((?:\/\d+)*)(?:\/\?)?\)/;
const VIA = /^via (\S+) on (\S+)(.*)$/;
const DEV = /^dev (\S+)(.*)$/;
const ATTRIBUTE = /^([^:]+):\s?(.*)$/;

export function parseRoutes(reply: readonly ReplyLine[]): Route[] {
  const routes: Route[] = [];
  let table: string | undefined;
  let current: Route | undefined;
  let lastAttribute: string | undefined;
  for (const { code, text } of reply) {
    if (code === 1007) {
      if (text === '') continue;
      const header = TABLE_HEADER.exec(text);
      if (header) {
        table = header[1];
        current = undefined;
        continue;
      }
      if (text.startsWith('\t')) {
        if (!current) throw unexpectedReply(`a next hop outside a route: ${JSON.stringify(text)}`, reply);
        const hop = parseNextHop(text.trim());
        if (hop) current.nextHops.push(hop);
        continue;
      }
      const route = parseRouteLine(text, current?.network, table);
      if (!route) throw unexpectedReply(`a route from ${JSON.stringify(text)}`, reply);
      routes.push(route);
      current = route;
      lastAttribute = undefined;
    } else if (code === 1008 || code === 1012) {
      if (!current) throw unexpectedReply(`an attribute outside a route: ${JSON.stringify(text)}`, reply);
      // "\t\t..." continues a set attribute that did not fit on one line (ea_show_int_set).
      if (text.startsWith('\t\t') && lastAttribute !== undefined) {
        current.attributes[lastAttribute] += ` ${text.trim()}`;
        continue;
      }
      const kv = ATTRIBUTE.exec(text.trim());
      if (!kv) continue;
      if (code === 1008 && kv[1] === 'Type') current.type = kv[2]!;
      else {
        current.attributes[kv[1]!] = kv[2]!;
        lastAttribute = kv[1];
      }
    }
  }
  for (const route of routes) {
    const bgp = bgpAttributesFrom(route.attributes);
    if (bgp) route.bgp = bgp;
  }
  return routes;
}

/** `previousNetwork` fills in BIRD's blank network column for further routes of the same network. */
export function parseRouteLine(text: string, previousNetwork?: string, table?: string): Route | undefined {
  const m = ROUTE_LINE.exec(text)?.groups;
  if (!m) return undefined;
  const network = m.network?.trim() || previousNetwork;
  if (!network) return undefined;
  const info = m.info!.trim();
  const route: Route = {
    network,
    dest: (m.dest as RouteDest | undefined) ?? 'none',
    protocol: m.protocol!,
    since: m.since!,
    primary: m.mark !== undefined,
    info,
    nextHops: [],
    attributes: {},
  };
  if (table !== undefined) route.table = table;
  if (m.from !== undefined) route.from = m.from;
  if (m.mark === '!') route.syncError = true;
  const flow = FLOW_NETWORK.exec(network);
  if (flow) route.flow = { family: flow[1] as FlowRule['family'], rule: flow[2]! };
  const pref = PREFERENCE.exec(info);
  if (pref) {
    route.preference = Number(pref[1]);
    const metrics = pref[2]!.split('/').filter(Boolean).map(Number);
    if (metrics.length > 0) route.metrics = metrics;
  }
  return route;
}

function parseNextHop(text: string): NextHop | undefined {
  let hop: NextHop;
  let rest: string;
  const via = VIA.exec(text);
  if (via) {
    hop = { gateway: via[1]!, interface: via[2]! };
    rest = via[3]!;
  } else {
    const dev = DEV.exec(text);
    if (!dev) return undefined;
    hop = { interface: dev[1]! };
    rest = dev[2]!;
  }
  const mpls = /\bmpls (\d+(?:\/\d+)*)/.exec(rest);
  if (mpls) hop.mpls = mpls[1]!.split('/').map(Number);
  if (/\bonlink\b/.test(rest)) hop.onlink = true;
  const weight = /\bweight (\d+)/.exec(rest);
  if (weight) hop.weight = Number(weight[1]);
  return hop;
}

const COUNT_LINE = /^(\d+) of (\d+) routes for (\d+) networks in table (\S+)$/;
const TOTAL_LINE = /^Total: (\d+) of (\d+) routes for (\d+) networks in (\d+) tables?$/;

export function parseRouteCount(reply: readonly ReplyLine[]): RouteCount {
  const tables: TableRouteCount[] = [];
  let total: { matched: number; routes: number; networks: number } | undefined;
  for (const { code, text } of reply) {
    const row = code === 1007 ? COUNT_LINE.exec(text) : null;
    if (row) {
      tables.push({ table: row[4]!, matched: Number(row[1]), routes: Number(row[2]), networks: Number(row[3]) });
      continue;
    }
    const sum = code === 14 ? TOTAL_LINE.exec(text) : null;
    if (sum) total = { matched: Number(sum[1]), routes: Number(sum[2]), networks: Number(sum[3]) };
  }
  if (tables.length === 0 && !total) throw unexpectedReply('a route count', reply);
  // With one table BIRD prints no "Total:" line; the totals are that table's numbers.
  const sums = total ?? {
    matched: tables.reduce((n, t) => n + t.matched, 0),
    routes: tables.reduce((n, t) => n + t.routes, 0),
    networks: tables.reduce((n, t) => n + t.networks, 0),
  };
  return { ...sums, tables };
}
