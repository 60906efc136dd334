// The Tier 1 firewall the mitigation engine registers as its firewall backend: one rule id, applied on this
// host (FirewallService over nftables/iptables, when firewall.local) and offered to agents (the agent API's
// rule board, when firewall.agents.enabled), with counters summed over both. It is also the Component that
// starts the local service (reconciling leftovers) and the agent API, and stops them.
import { randomBytes } from 'node:crypto';
import type { FirewallCounters, FirewallRule, MitigationOptions, MitigationReceipt } from '@breakwater/sdk';
import { AgentApiServer } from '../agent-api/agent-api-server.js';
import { AgentRuleBoard } from '../agent-api/agent-rule-board.js';
import { AgentTokenStore } from '../agent-api/token-store.js';
import type { Component } from '../component.js';
import { splitHostPort } from '../config/load.js';
import { BreakwaterError } from '../errors.js';
import type { FirewallConfig } from './config-schema.js';
import { createFirewallBackend } from './create-backend.js';
import { FirewallService } from './firewall-service.js';
import { renderNft } from './render-nft.js';

export class Tier1Firewall implements Component {
  readonly name = 'firewall';
  readonly local: FirewallService | undefined;
  readonly board: AgentRuleBoard | undefined;
  readonly agentApi: AgentApiServer | undefined;

  constructor(config: FirewallConfig, dataDir: string) {
    // Construction is inert: the backend is only chosen here (a PATH lookup); nothing touches the kernel.
    this.local = config.local ? new FirewallService(createFirewallBackend({ backend: config.backend, iptables: config.iptables })) : undefined;
    if (config.agents.enabled) {
      this.board = new AgentRuleBoard();
      const { host, port } = splitHostPort(config.agents.listen);
      this.agentApi = new AgentApiServer({ host, port, dataDir, leaseSeconds: config.agents.leaseSeconds, tokens: new AgentTokenStore(dataDir), board: this.board });
    }
  }

  /** Whether anything is configured; without it the engine should register no firewall backend at all. */
  get enabled(): boolean {
    return this.local !== undefined || this.board !== undefined;
  }

  async start(): Promise<void> {
    await this.local?.start();
    await this.agentApi?.start();
  }

  async stop(): Promise<void> {
    await this.agentApi?.stop();
    await this.local?.stop();
  }

  /** The /health section: which backend filters here, how many rules it holds, where agents connect. */
  report(): Record<string, unknown> {
    return {
      local: this.local ? { backend: this.local.backend.kind, rules: this.local.entries().length } : null,
      agents: this.agentApi ? { port: this.agentApi.port, fingerprint: this.agentApi.fingerprint } : null,
    };
  }

  /** The engine's FirewallBackend (mitigation/facades.ts): `attackId` is the owning mitigation's id. */
  async apply(rule: FirewallRule, options: MitigationOptions): Promise<MitigationReceipt> {
    if (!this.enabled) throw new BreakwaterError('BW_ERR_FIREWALL_UNAVAILABLE', ['firewall.local is false and firewall.agents.enabled is false']);
    const id = `fw-${randomBytes(6).toString('hex')}`;
    // Refuse an inexpressible match here, before agents are handed a rule every one of them would refuse.
    if (!this.local) renderNft(rule);
    const receipt = this.local ? await this.local.apply(rule, options, id) : undefined;
    const offered = this.board ? await this.board.apply(rule, options, id) : undefined;
    return (receipt ?? offered)!;
  }

  async remove(id: string): Promise<boolean> {
    const a = (await this.local?.remove(id)) ?? false;
    const b = (await this.board?.remove(id)) ?? false;
    return a || b;
  }

  async installed(): Promise<string[]> {
    return this.local ? this.local.entries().map((e) => e.id) : [];
  }

  async counters(id: string): Promise<FirewallCounters | undefined> {
    const here = await this.local?.counters(id);
    const there = await this.board?.counters(id);
    if (here === undefined && there === undefined) return undefined;
    return { packets: (here?.packets ?? 0) + (there?.packets ?? 0), bytes: (here?.bytes ?? 0) + (there?.bytes ?? 0), readAt: Date.now() };
  }
}
