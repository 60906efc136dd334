// What the router holds, reduced to comparable text: FlowSpec rules as BIRD prints them (with their
// extended communities) and RTBH routes as prefix + destination + communities. The tests assert that this
// view equals exactly the expected set — no orphan and no missing route.
import { renderBirdFlowNet } from '../../../src/flowspec/render-bird.js';
import type { FlowSpecRule } from '../../../src/flowspec/rule.js';
import type { Route } from '@bird-tools/birdc';
import type { Router } from './lab.js';

export interface RouterView {
  flow4: string[];
  flow6: string[];
  rtbh4: string[];
  rtbh6: string[];
}

/** The rule text BIRD prints for a FlowSpec route (BIRD drops the space after commas in value lists). */
export function birdPrintedRule(rule: FlowSpecRule): string {
  const net = renderBirdFlowNet(rule);
  return net.slice(net.indexOf('{') + 2, net.lastIndexOf('}') - 1).replace(/, /g, ',');
}

export function flowEntry(rule: FlowSpecRule, extCommunities: string[]): string {
  return `${birdPrintedRule(rule)} => ${extCommunities.join(' ')}`;
}

export function rtbhEntry(prefix: string, communities: string[]): string {
  return `${prefix} blackhole ${communities.join(' ')}`;
}

function flowText(r: Route): string {
  return `${r.flow?.rule ?? r.network} => ${(r.bgp?.extCommunities ?? []).map((c) => c.text).join(' ')}`;
}

function rtbhText(r: Route): string {
  return `${r.network} ${r.dest} ${(r.bgp?.communities ?? []).map(([a, b]) => `${a}:${b}`).join(' ')}`;
}

export async function routerView(router: Router): Promise<RouterView> {
  const bgpOnly = (routes: Route[]): Route[] => routes.filter((r) => r.type?.startsWith('BGP') ?? true);
  return {
    flow4: bgpOnly(await router.flows('ipv4')).map(flowText).sort(),
    flow6: bgpOnly(await router.flows('ipv6')).map(flowText).sort(),
    rtbh4: bgpOnly(await router.unicast('ipv4')).map(rtbhText).sort(),
    rtbh6: bgpOnly(await router.unicast('ipv6')).map(rtbhText).sort(),
  };
}

export function expectedView(parts: Partial<RouterView>): RouterView {
  return {
    flow4: [...(parts.flow4 ?? [])].sort(),
    flow6: [...(parts.flow6 ?? [])].sort(),
    rtbh4: [...(parts.rtbh4 ?? [])].sort(),
    rtbh6: [...(parts.rtbh6 ?? [])].sort(),
  };
}
