// The appliance's configuration in the lab: the protected network behind the router, thresholds scaled to what
// tcpreplay pushes through a namespace on a small machine, the lab runbook (Tier 1 on the victim through the
// agent, then FlowSpec, then RTBH) with timings of seconds instead of minutes, BGP through a BIRD speaker to the
// router, and a webhook notifier to the receiver on loopback. Every key here is an ordinary configuration key
// (docs/configuration.md); nothing is lab-only in the appliance.
import { APPLIANCE_ASN, AGENT_API_PORT, ROUTER_ASN, SFLOW_PORT, VICTIM_NET4, VICTIM_NET6 } from './address-plan.js';
import type { Topology } from './topology.js';

/** The appliance's health endpoint inside its namespace (Lab.applianceHealth reads it). */
export const LAB_HEALTH_PORT = 9180;

export interface LabThresholds {
  /** Per-host total packets/s. */
  hostPps: number;
  /** Per-/24 (and /64) total packets/s, for carpet bombing. */
  blockPps: number;
}

/** The tests' scale: 1:100 sampling, 5,000 pps per host (a 20,000 pps flood is 200 samples/s, 4x the threshold). */
export const LAB_SAMPLING = 100;
export const LAB_THRESHOLDS: LabThresholds = { hostPps: 5_000, blockPps: 8_000 };

export type LabRunbook = 'tiers' | 'flowspec-first';

export interface LabConfigOptions {
  topology: Topology;
  dataDir: string;
  webhookPort: number;
  thresholds: LabThresholds;
  /**
   * tiers: Tier 1 (agent) -> Tier 2 FlowSpec -> Tier 3 RTBH, escalating every `escalateAfterSeconds`.
   * flowspec-first: FlowSpec straight away (bench/e2e: the first route at the router is what is timed).
   */
  runbook: LabRunbook;
  escalateAfterSeconds?: number;
  speaker?: 'bird' | 'exabgp' | 'gobgp';
  repoRoot: string;
}

export function labConfig(o: LabConfigOptions): Record<string, unknown> {
  const link = o.topology.links.appliance;
  const big = 1e12;
  const filterStage = { name: 'host-filter', tier: '@breakwater/tier-nftables', maxLifetimeSeconds: 600 };
  const flowStage = { name: 'flowspec', tier: '@breakwater/tier-flowspec', settings: { action: 'discard', matchSources: false }, maxLifetimeSeconds: 600 };
  const rtbhStage = { name: 'rtbh', tier: '@breakwater/tier-rtbh', maxLifetimeSeconds: 600 };
  return {
    dataDir: o.dataDir,
    log: { level: 'info' },
    sflow: { listen: [`${link.b.ipv4}:${SFLOW_PORT}`], receiveBufferBytes: 4 * 1024 * 1024 },
    health: { host: '127.0.0.1', port: LAB_HEALTH_PORT },
    networks: [VICTIM_NET4, VICTIM_NET6],
    detection: {
      tickMs: 100,
      quietSeconds: 2,
      minSamples: 8,
      thresholds: { total: { pps: o.thresholds.hostPps, bps: big } },
      blockThresholds: { total: { pps: o.thresholds.blockPps, bps: big } },
      // Static thresholds only: the lab runs for minutes, not the hour a baseline needs.
      baseline: { enabled: false },
    },
    plugins: { extraDirectories: [`${o.repoRoot}plugins`] },
    notify: {
      channels: {
        lab: {
          plugin: '@breakwater/notifier-webhook',
          secrets: { url: `http://127.0.0.1:${o.webhookPort}/breakwater`, secret: 'breakwater-lab-webhook-secret' },
          minSeverity: 'low',
          dedupSeconds: 0,
          rateLimit: { burst: 1000, perHour: 100000 },
        },
      },
      retry: { initialDelayMs: 500 },
    },
    bgp: {
      speaker: o.speaker ?? 'bird',
      localAsn: APPLIANCE_ASN,
      localAddress: link.b.ipv4,
      routerId: link.b.ipv4,
      peers: [{ name: 'edge', address: link.a.ipv4, asn: ROUTER_ASN, families: ['ipv4-unicast', 'ipv6-unicast', 'ipv4-flowspec', 'ipv6-flowspec'], profile: 'bird' }],
      rtbh: { nextHopIpv4: link.b.ipv4, nextHopIpv6: link.b.ipv6 },
      reconcileIntervalMs: 1000,
      shutdown: 'withdraw',
    },
    firewall: { local: false, agents: { enabled: true, listen: `${link.b.ipv4}:${AGENT_API_PORT}`, leaseSeconds: 10 } },
    // Verify no more often than the agent (polling every 0.5 s) can report a rule it installed: an entry no agent
    // has reported yet counts as not installed (AgentRuleBoard.counters).
    mitigation: { mode: 'auto', tickMs: 100, verifyIntervalSeconds: 3 },
    runbooks: [
      {
        name: 'lab',
        description: o.runbook === 'tiers' ? 'Tier 1 on the victim, then FlowSpec, then RTBH' : 'FlowSpec at once (benchmark)',
        match: { minConfidence: 0.4 },
        stages: o.runbook === 'tiers' ? [filterStage, flowStage, rtbhStage] : [flowStage],
        escalation: { afterSeconds: o.escalateAfterSeconds ?? 3, onFailure: true },
        deescalation: { quietSeconds: 1, steps: 'all' },
        reengage: { withinSeconds: 0 },
      },
    ],
  };
}
