// `breakwater agent`: Tier 1 on a protected Linux server. It polls the appliance's agent API, installs the rules
// in its token's scope through the same firewall service and backend as the appliance (nftables, or iptables),
// reports their counters, and removes rules that are withdrawn, whose TTL passes, or — the lease — all of them
// when the appliance has not answered for leaseSeconds. State (the pinned fingerprint on first use, the last
// rules and contact time) lives in the state directory, so a restarted agent keeps unexpired rules and their
// counters instead of dropping protection while the appliance is out of reach.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BreakwaterError } from '../errors.js';
import type { FilterCounters, FilterEntry } from '../firewall/filter-entry.js';
import type { FirewallService } from '../firewall/firewall-service.js';
import { normalise, pinnedRequest } from './pinned-https.js';

export interface AgentOptions {
  appliance: URL;
  token: string;
  /** Pinned fingerprint; without it the first one seen is stored and pinned (trust on first use). */
  fingerprint?: string;
  stateDir: string;
  intervalMs: number;
  firewall: FirewallService;
  log?: (event: string, fields?: Record<string, unknown>) => void;
  now?: () => number;
}

interface SavedState {
  lastContact: number;
  leaseSeconds: number;
  rules: FilterEntry[];
}

interface RulesAnswer {
  agent: string;
  leaseSeconds: number;
  rules: FilterEntry[];
}

export class Agent {
  private timer: NodeJS.Timeout | undefined;
  private fingerprint: string | undefined;
  private lastContact = 0;
  private leaseSeconds = 0;
  private stopped = false;
  /** Counters of rules rewritten with a new expiry: the kernel's counters restart, the reported totals must not. */
  private readonly carried = new Map<string, { packets: number; bytes: number }>();
  private readonly now: () => number;

  constructor(private readonly options: AgentOptions) {
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    await mkdir(this.options.stateDir, { recursive: true, mode: 0o700 });
    this.fingerprint = this.options.fingerprint ?? (await this.readText('appliance.fingerprint'));
    const saved = await this.readState();
    const leaseValid = saved !== undefined && saved.lastContact + saved.leaseSeconds * 1000 > this.now();
    // Reconcile: leftovers of a crash go, except rules still within their lease and TTL from the last contact.
    await this.options.firewall.start(leaseValid ? saved.rules : []);
    if (leaseValid) {
      this.lastContact = saved.lastContact;
      this.leaseSeconds = saved.leaseSeconds;
    }
    await this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.options.firewall.stop();
  }

  /** One poll: fetch, apply, report; on failure, enforce the lease. Never throws. */
  async tick(): Promise<void> {
    try {
      await this.poll();
    } catch (err) {
      this.options.log?.('poll failed', { code: (err as BreakwaterError).code, message: (err as Error).message });
      if (err instanceof BreakwaterError && err.code === 'BW_ERR_AGENT_TLS') this.options.log?.('refusing the appliance: certificate does not match the pin');
      await this.enforceLease();
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.options.intervalMs);
    }
  }

  private async poll(): Promise<void> {
    const res = await pinnedRequest({ url: new URL('/api/agent/v1/rules', this.options.appliance), method: 'GET', token: this.options.token, fingerprint: this.fingerprint });
    if (this.fingerprint === undefined) {
      this.fingerprint = res.fingerprint;
      await this.writeText('appliance.fingerprint', normalise(res.fingerprint));
      this.options.log?.('pinned the appliance certificate (trust on first use)', { fingerprint: res.fingerprint });
    }
    if (res.status === 401) throw new BreakwaterError('BW_ERR_AGENT_TOKEN', [`the appliance refused the token: ${JSON.stringify(res.body)}`]);
    if (res.status !== 200) throw new BreakwaterError('BW_ERR_AGENT_UNREACHABLE', [this.options.appliance.origin, `HTTP ${res.status}`]);
    const answer = res.body as RulesAnswer;
    this.lastContact = this.now();
    this.leaseSeconds = answer.leaseSeconds;
    await this.applyRules(answer.rules);
    await this.writeState({ lastContact: this.lastContact, leaseSeconds: this.leaseSeconds, rules: answer.rules });
    const report = await pinnedRequest({ url: new URL('/api/agent/v1/report', this.options.appliance), method: 'POST', token: this.options.token, fingerprint: this.fingerprint, body: { counters: await this.counters() } });
    if (report.status !== 204) this.options.log?.('report refused', { status: report.status, body: report.body });
  }

  private async applyRules(rules: readonly FilterEntry[]): Promise<void> {
    const fw = this.options.firewall;
    const wanted = new Map(rules.map((r) => [r.id, r]));
    const current = new Map(fw.entries().map((e) => [e.id, e]));
    for (const [id] of current) {
      if (!wanted.has(id)) {
        await fw.remove(id);
        this.carried.delete(id);
      }
    }
    const kernel = new Map((await fw.readAll()).map((c) => [c.id, c]));
    for (const rule of wanted.values()) {
      const have = current.get(rule.id);
      if (have && have.expiresAt === rule.expiresAt && kernel.has(rule.id)) continue;
      const old = kernel.get(rule.id);
      if (old) {
        const c = this.carried.get(rule.id) ?? { packets: 0, bytes: 0 };
        this.carried.set(rule.id, { packets: c.packets + old.packets, bytes: c.bytes + old.bytes });
      }
      try {
        await fw.put(rule);
      } catch (err) {
        this.options.log?.('rule refused', { id: rule.id, code: (err as BreakwaterError).code, message: (err as Error).message });
      }
    }
  }

  private async counters(): Promise<FilterCounters[]> {
    return (await this.options.firewall.readAll()).map((c) => {
      const base = this.carried.get(c.id);
      return base ? { ...c, packets: c.packets + base.packets, bytes: c.bytes + base.bytes } : c;
    });
  }

  /** No word from the appliance for leaseSeconds: remove everything (filters nobody can see or stop must not stay). */
  private async enforceLease(): Promise<void> {
    const fw = this.options.firewall;
    if (fw.entries().length === 0) return;
    if (this.now() < this.lastContact + this.leaseSeconds * 1000) return;
    this.options.log?.('lease expired without contact: removing rules', { rules: fw.entries().length });
    for (const e of fw.entries()) await fw.remove(e.id).catch(() => undefined);
    this.carried.clear();
    await this.writeState({ lastContact: this.lastContact, leaseSeconds: this.leaseSeconds, rules: [] }).catch(() => undefined);
  }

  private async readText(name: string): Promise<string | undefined> {
    try {
      return (await readFile(join(this.options.stateDir, name), 'utf8')).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  private async writeText(name: string, text: string): Promise<void> {
    const file = join(this.options.stateDir, name);
    await writeFile(`${file}.tmp`, text + '\n', { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }

  private async readState(): Promise<SavedState | undefined> {
    const text = await this.readText('rules.json');
    return text === undefined ? undefined : (JSON.parse(text) as SavedState);
  }

  private async writeState(state: SavedState): Promise<void> {
    await this.writeText('rules.json', JSON.stringify(state));
  }
}
