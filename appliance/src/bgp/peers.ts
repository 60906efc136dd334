// Router peering (the route-server role): the configured peers, which of them carry FlowSpec and which RTBH,
// fitting a FlowSpec rule to every FlowSpec peer's router profile, the configuration checks that only make
// sense across keys (unique names, a local address when a speaker is set, known profiles), and the one
// vocabulary of session states the daemons' own words are mapped onto.
import { isIP } from 'node:net';
import type { BgpConfig, BgpPeerConfig } from '../config/schema.js';
import { BreakwaterError } from '../errors.js';
import { applyRouterProfile, type TrimmedPart } from '../flowspec/apply-router-profile.js';
import { builtinRouterProfile } from '../flowspec/router-profiles.js';
import type { FlowSpecRule } from '../flowspec/rule.js';
import type { SessionState } from './speaker.js';

export type PeerFamily = BgpPeerConfig['families'][number];

export function peerCarries(peer: BgpPeerConfig, family: PeerFamily): boolean {
  return peer.families.includes(family);
}

export function flowSpecPeers(peers: readonly BgpPeerConfig[], family: FlowSpecRule['family']): BgpPeerConfig[] {
  return peers.filter((p) => peerCarries(p, family === 'ipv4' ? 'ipv4-flowspec' : 'ipv6-flowspec'));
}

/**
 * Fits a rule to every peer that will receive it. All peers get the same route (the speakers announce one
 * RIB to all), so the rule must fit every profile, and trimming is only accepted when every profile trims it
 * the same way; otherwise it is refused naming the peer, rather than sending some routers a wider rule.
 */
export function fitRuleToPeers(rule: FlowSpecRule, peers: readonly BgpPeerConfig[], installedRules: number): { rule: FlowSpecRule; trimmed: TrimmedPart[] } {
  let fitted: { rule: FlowSpecRule; trimmed: TrimmedPart[]; peer: string } | undefined;
  for (const peer of flowSpecPeers(peers, rule.family)) {
    const profile = builtinRouterProfile(peer.profile);
    if (profile === undefined) throw new BreakwaterError('BW_ERR_BGP_PEER_CONFIG', [peer.name, `unknown router profile "${peer.profile}"`]);
    const fit = applyRouterProfile(profile, rule, { installedRules });
    if (fit.outcome === 'refused') {
      throw new BreakwaterError(fit.code, fit.args, { details: { peer: peer.name, field: fit.field, reason: fit.reason } });
    }
    if (fitted === undefined) fitted = { rule: fit.rule, trimmed: fit.trimmed, peer: peer.name };
    else if (JSON.stringify(fitted.rule) !== JSON.stringify(fit.rule)) {
      throw new BreakwaterError('BW_ERR_FLOWSPEC_PROFILE_REFUSED', [
        profile.name,
        `peers ${fitted.peer} and ${peer.name} would need differently trimmed rules, and every peer gets the same route`,
      ]);
    }
  }
  return fitted === undefined ? { rule, trimmed: [] } : { rule: fitted.rule, trimmed: fitted.trimmed };
}

/** The BGP router id: bgp.routerId, else the local address. */
export function routerIdOf(config: BgpConfig): string {
  return config.routerId !== '' ? config.routerId : config.localAddress;
}

export function localAddressOf(config: BgpConfig, peer: BgpPeerConfig): string {
  return peer.localAddress ?? config.localAddress;
}

/** Problems across keys of the bgp section, as {path, message} like the schema's own. */
export function checkBgpConfig(config: BgpConfig): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (config.speaker !== 'none') {
    if (isIP(config.localAddress) !== 4) problems.push({ path: '/bgp/localAddress', message: `an IPv4 address is required when bgp.speaker is "${config.speaker}"` });
    if (config.routerId !== '' && isIP(config.routerId) !== 4) problems.push({ path: '/bgp/routerId', message: 'must be an IPv4 dotted quad' });
  }
  if (isIP(config.rtbh.nextHopIpv4) !== 4) problems.push({ path: '/bgp/rtbh/nextHopIpv4', message: 'must be an IPv4 address' });
  if (isIP(config.rtbh.nextHopIpv6) !== 6) problems.push({ path: '/bgp/rtbh/nextHopIpv6', message: 'must be an IPv6 address' });
  if (config.diversion.nextHopIpv4 !== '' && isIP(config.diversion.nextHopIpv4) !== 4) problems.push({ path: '/bgp/diversion/nextHopIpv4', message: 'must be an IPv4 address, or empty for next hop self' });
  if (config.diversion.nextHopIpv6 !== '' && isIP(config.diversion.nextHopIpv6) !== 6) problems.push({ path: '/bgp/diversion/nextHopIpv6', message: 'must be an IPv6 address, or empty for next hop self' });
  const names = new Set<string>();
  config.peers.forEach((peer, i) => {
    const at = `/bgp/peers/${i}`;
    if (names.has(peer.name)) problems.push({ path: `${at}/name`, message: `"${peer.name}" is used by another peer` });
    names.add(peer.name);
    if (isIP(peer.address) === 0) problems.push({ path: `${at}/address`, message: 'must be an IPv4 or IPv6 address' });
    if (config.speaker !== 'none' && peer.localAddress === undefined && isIP(peer.address) === 6) {
      problems.push({ path: `${at}/localAddress`, message: 'an IPv6 peer needs its own IPv6 localAddress (bgp.localAddress is IPv4)' });
    }
    if (peer.localAddress !== undefined && isIP(peer.localAddress) !== isIP(peer.address)) {
      problems.push({ path: `${at}/localAddress`, message: 'must be an address of the same family as the peer address' });
    }
    if (builtinRouterProfile(peer.profile) === undefined) problems.push({ path: `${at}/profile`, message: `unknown router profile "${peer.profile}"` });
    if (config.speaker === 'frr' && peer.families.some((f) => f.endsWith('flowspec'))) {
      problems.push({ path: `${at}/families`, message: 'FRR cannot originate FlowSpec (BW_ERR_SPEAKER_NO_FLOWSPEC): use exabgp, bird or gobgp, or unicast families only' });
    }
  });
  return problems;
}

/** Maps a daemon's state word (BIRD "Established", GoBGP "BGP_FSM_ESTABLISHED", ExaBGP "up") to SessionState. */
export function sessionStateFrom(word: string): SessionState {
  const w = word.toLowerCase().replace(/^bgp_fsm_/, '');
  if (w === 'established' || w === 'up') return 'established';
  if (w === 'idle') return 'idle';
  if (w === 'connect' || w === 'connected') return 'connect';
  if (w === 'active') return 'active';
  if (w === 'opensent') return 'opensent';
  if (w === 'openconfirm') return 'openconfirm';
  if (w === 'down') return 'down';
  return 'unknown';
}
