// Per-agent state, keyed by agent address + sub-agent id: datagrams, samples, datagram and flow-sample
// sequence loss, sampling rates seen, first/last seen. The number of agents is bounded (sflow.maxAgents):
// a datagram from one agent too many is refused and counted by the caller. Lookup allocates nothing for
// IPv4 agents (a numeric Map key); IPv6 agents use a string key built per datagram, which is the rare case.
import { SequenceTracker } from './sequence-tracker.js';

/** Most flow-sample sources (source ids) tracked per agent; samples from further sources are counted only. */
export const maxSourcesPerAgent = 4096;
/** Distinct sampling rates remembered per agent. */
export const maxRatesPerAgent = 16;
/** Uptime going back by more than this means the agent restarted (late datagrams go back by far less). */
export const restartUptimeSlackMs = 10_000;

export class AgentState {
  datagrams = 0;
  flowSamples = 0;
  counterSamples = 0;
  skippedSamples = 0;
  malformedSamples = 0;
  /** Flow samples whose source was past maxSourcesPerAgent, so their sequence is not tracked. */
  untrackedSamples = 0;
  firstSeenMs = 0;
  lastSeenMs = 0;
  lastUptimeMs = 0;
  restarts = 0;
  readonly datagramSequence = new SequenceTracker();
  readonly sources = new Map<number, SequenceTracker>();
  readonly samplingRates: number[] = [];
  /** The sampling rate of the latest flow sample. */
  lastSamplingRate = 0;

  constructor(
    readonly index: number,
    readonly address: string,
    readonly subAgentId: number,
  ) {}

  /** Accounts a datagram's header; detects a restart from the uptime going back. */
  onDatagram(sequence: number, uptimeMs: number, nowMs: number): void {
    if (this.datagrams > 0 && uptimeMs + restartUptimeSlackMs < this.lastUptimeMs) {
      // A restart (or the u32 uptime wrapping after 49.7 days, which costs only an epoch boundary).
      this.restarts++;
      this.datagramSequence.markRestart();
      for (const s of this.sources.values()) s.markRestart();
      this.lastUptimeMs = uptimeMs;
    } else if (uptimeMs > this.lastUptimeMs) {
      this.lastUptimeMs = uptimeMs;
    }
    this.datagramSequence.see(sequence);
    this.datagrams++;
    if (this.firstSeenMs === 0) this.firstSeenMs = nowMs;
    if (nowMs > this.lastSeenMs) this.lastSeenMs = nowMs;
  }

  onFlowSample(sourceId: number, sequence: number, samplingRate: number): void {
    this.flowSamples++;
    let tracker = this.sources.get(sourceId);
    if (tracker === undefined) {
      if (this.sources.size >= maxSourcesPerAgent) {
        this.untrackedSamples++;
        return;
      }
      tracker = new SequenceTracker();
      this.sources.set(sourceId, tracker);
    }
    tracker.see(sequence);
    if (samplingRate !== this.lastSamplingRate) {
      this.lastSamplingRate = samplingRate;
      if (this.samplingRates.length < maxRatesPerAgent && !this.samplingRates.includes(samplingRate)) this.samplingRates.push(samplingRate);
    }
  }

  /** A JSON-ready summary (for /health and logs). */
  report(): AgentReport {
    let lost = 0;
    let gaps = 0;
    let resets = 0;
    for (const s of this.sources.values()) {
      lost += s.lost;
      gaps += s.gaps;
      resets += s.resets;
    }
    const d = this.datagramSequence;
    return {
      agent: this.address,
      subAgentId: this.subAgentId,
      datagrams: this.datagrams,
      flowSamples: this.flowSamples,
      counterSamples: this.counterSamples,
      skippedSamples: this.skippedSamples,
      malformedSamples: this.malformedSamples,
      datagramSequence: { gaps: d.gaps, lost: d.lost, late: d.late, resets: d.resets },
      flowSequence: { sources: this.sources.size, gaps, lost, resets, untrackedSamples: this.untrackedSamples },
      restarts: this.restarts,
      samplingRates: [...this.samplingRates].sort((a, b) => a - b),
      firstSeen: new Date(this.firstSeenMs).toISOString(),
      lastSeen: new Date(this.lastSeenMs).toISOString(),
    };
  }
}

export interface AgentReport {
  agent: string;
  subAgentId: number;
  datagrams: number;
  flowSamples: number;
  counterSamples: number;
  skippedSamples: number;
  malformedSamples: number;
  datagramSequence: { gaps: number; lost: number; late: number; resets: number };
  flowSequence: { sources: number; gaps: number; lost: number; resets: number; untrackedSamples: number };
  restarts: number;
  samplingRates: number[];
  firstSeen: string;
  lastSeen: string;
}

export class AgentTable {
  private readonly v4 = new Map<number, AgentState>();
  private readonly other = new Map<string, AgentState>();
  private readonly list: AgentState[] = [];

  constructor(readonly maxAgents: number) {}

  get size(): number {
    return this.list.length;
  }

  get agents(): readonly AgentState[] {
    return this.list;
  }

  /**
   * The agent for an address (16 bytes, IPv4 in 0..3) + sub-agent, created if there is room; undefined when
   * the table is full (the caller counts the refusal).
   */
  lookup(family: number, address: Uint8Array, offset: number, subAgentId: number): AgentState | undefined {
    if (family === 4 && subAgentId < 0x10000) {
      // IPv4 (32 bits) and a 16-bit sub-agent fit a double exactly: no string per datagram.
      const key = ((address[offset]! << 24) | (address[offset + 1]! << 16) | (address[offset + 2]! << 8) | address[offset + 3]!) >>> 0;
      const k = key * 0x10000 + subAgentId;
      let agent = this.v4.get(k);
      if (agent === undefined) {
        agent = this.create(formatAddress(4, address, offset), subAgentId);
        if (agent) this.v4.set(k, agent);
      }
      return agent;
    }
    const text = formatAddress(family, address, offset);
    const k = `${text}/${subAgentId}`;
    let agent = this.other.get(k);
    if (agent === undefined) {
      agent = this.create(text, subAgentId);
      if (agent) this.other.set(k, agent);
    }
    return agent;
  }

  private create(address: string, subAgentId: number): AgentState | undefined {
    if (this.list.length >= this.maxAgents) return undefined;
    const agent = new AgentState(this.list.length, address, subAgentId);
    this.list.push(agent);
    return agent;
  }
}

function formatAddress(family: number, b: Uint8Array, at: number): string {
  if (family === 4) return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[at + i]! << 8) | b[at + i + 1]!).toString(16));
  // RFC 5952: compress the longest run of two or more zero groups.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}
