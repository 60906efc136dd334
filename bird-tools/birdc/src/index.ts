// Public surface of @bird-tools/birdc: a client for BIRD 2's control socket that needs no birdc
// binary. Everything exported here is documented in README.md; internals stay unexported.
export { BirdClient, createBirdClient } from './client.js';
export type {
  BirdClientOptions,
  ConfigureOptions,
  CountRoutesOptions,
  ReloadOptions,
  ShowProtocolOptions,
  ShowRoutesOptions,
} from './client.js';
export { BirdConnection } from './connection.js';
export type {
  BirdConnectionEvents,
  BirdConnectionOptions,
  CommandDiagnostic,
  CommandOptions,
  ConnectionState,
} from './connection.js';
export { BirdError, BirdErrorCodes, isBirdError } from './errors.js';
export type { BirdErrorCode, BirdErrorDetails } from './errors.js';
export { ReplyParser } from './reply-parser.js';
export type { ParserEvent, ReplyLine } from './reply-parser.js';
export { parseStatus } from './parse/status.js';
export type { BirdStatus } from './parse/status.js';
export { parseProtocols, parseProtocolsWithDetails, parseProtocolDetails, parseProtocolActions } from './parse/protocols.js';
export type {
  ChannelDetails,
  ProtocolActionResult,
  ProtocolDetails,
  ProtocolRow,
  ProtocolWithDetails,
  RouteChangeStats,
  RouteCounters,
} from './parse/protocols.js';
export { parseRoutes, parseRouteCount } from './parse/routes.js';
export type { FlowRule, NextHop, Route, RouteCount, RouteDest, TableRouteCount } from './parse/routes.js';
export { parseCommunities, parseExtCommunities, parseLargeCommunities, parseAsPath } from './parse/bgp-attributes.js';
export type { BgpAttributes, Community, ExtCommunity, LargeCommunity } from './parse/bgp-attributes.js';
export { parseConfigureResult } from './parse/configure.js';
export type { ConfigureResult, ConfigureStatus } from './parse/configure.js';
export { parseConfigLocation } from './parse/config-error.js';
export type { ConfigLocation } from './parse/config-error.js';
