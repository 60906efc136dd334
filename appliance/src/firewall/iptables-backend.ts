// The iptables fallback, for hosts without nft: a `BREAKWATER` chain in the raw table of iptables and ip6tables
// (raw PREROUTING runs before conntrack and the routing decision, the closest match to the nftables hook),
// jumped to from PREROUTING. Rules are tagged with `-m comment --comment bw:<id>:<expiresAt>`; changes go
// through `iptables-restore --noflush` (one transaction per table and family); counters and orphans are read
// from `iptables-save -c -t raw`. Works with iptables-nft and iptables-legacy alike: the binaries are configurable.
import type { FirewallBackend } from './backend.js';
import { entryComment, parseEntryComment, type FilterCounters, type FilterEntry } from './filter-entry.js';
import type { FilterFamily } from './match-family.js';
import { renderIptables } from './render-iptables.js';
import { runCommand, type CommandOptions } from './run-command.js';

export const IPTABLES_CHAIN = 'BREAKWATER';

export interface IptablesOptions extends CommandOptions {
  /** "iptables", "iptables-nft" or "iptables-legacy"; ip6tables and the -save/-restore tools are derived from it. */
  iptables?: string;
}

interface SavedRule {
  family: FilterFamily;
  /** The rule as iptables-save printed it after "-A BREAKWATER", which -D accepts back. */
  spec: string;
  tag: { id: string; expiresAt: number } | undefined;
  drops: boolean;
  packets: number;
  bytes: number;
}

export class IptablesBackend implements FirewallBackend {
  readonly kind = 'iptables' as const;

  constructor(private readonly options: IptablesOptions = {}) {}

  check(entry: FilterEntry): void {
    renderIptables(entry.rule);
  }

  async install(entry: FilterEntry): Promise<void> {
    const { family, specs } = renderIptables(entry.rule);
    await this.ensureChain(family);
    const saved = await this.saved(family);
    const lines = saved.filter((r) => r.tag?.id === entry.id).map((r) => `-D ${IPTABLES_CHAIN} ${r.spec}`);
    lines.push(...this.ruleLines(entry, specs));
    await this.restore(family, lines);
  }

  async uninstall(id: string): Promise<boolean> {
    let found = false;
    for (const family of ['ipv4', 'ipv6'] as const) {
      const mine = (await this.saved(family)).filter((r) => r.tag?.id === id);
      if (mine.length === 0) continue;
      found = true;
      await this.restore(family, mine.map((r) => `-D ${IPTABLES_CHAIN} ${r.spec}`));
    }
    return found;
  }

  async read(): Promise<FilterCounters[]> {
    const byId = new Map<string, FilterCounters>();
    for (const family of ['ipv4', 'ipv6'] as const) {
      for (const r of await this.saved(family)) {
        if (r.tag === undefined || !r.drops) continue;
        const c = byId.get(r.tag.id) ?? { id: r.tag.id, expiresAt: r.tag.expiresAt, packets: 0, bytes: 0 };
        c.packets += r.packets;
        c.bytes += r.bytes;
        byId.set(r.tag.id, c);
      }
    }
    return [...byId.values()];
  }

  async reconcile(desired: readonly FilterEntry[], now: number): Promise<void> {
    const wanted = new Map(desired.filter((e) => e.expiresAt > now).map((e) => [e.id, e]));
    for (const family of ['ipv4', 'ipv6'] as const) {
      await this.ensureChain(family);
      const present = new Set<string>();
      const lines: string[] = [];
      for (const r of await this.saved(family)) {
        const entry = r.tag ? wanted.get(r.tag.id) : undefined;
        if (entry && r.tag && entryComment(entry) === `bw:${r.tag.id}:${r.tag.expiresAt / 1000}`) present.add(entry.id);
        else lines.push(`-D ${IPTABLES_CHAIN} ${r.spec}`);
      }
      for (const entry of wanted.values()) {
        if (present.has(entry.id)) continue;
        const { family: f, specs } = renderIptables(entry.rule);
        if (f === family) lines.push(...this.ruleLines(entry, specs));
      }
      await this.restore(family, lines);
    }
  }

  async teardown(): Promise<void> {
    for (const family of ['ipv4', 'ipv6'] as const) {
      const tool = this.tool(family);
      await runCommand([tool, '-t', 'raw', '-D', 'PREROUTING', '-j', IPTABLES_CHAIN], undefined, this.options).catch(() => undefined);
      await runCommand([tool, '-t', 'raw', '-F', IPTABLES_CHAIN], undefined, this.options).catch(() => undefined);
      await runCommand([tool, '-t', 'raw', '-X', IPTABLES_CHAIN], undefined, this.options).catch(() => undefined);
    }
  }

  private ruleLines(entry: FilterEntry, specs: readonly string[][]): string[] {
    const comment = `-m comment --comment ${entryComment(entry)}`;
    const action = entry.rule.action;
    return specs.flatMap((spec) => {
      const base = `-A ${IPTABLES_CHAIN} ${spec.join(' ')} ${comment}`;
      // Rate-limit: traffic under the rate returns, the rest falls through to the counted DROP.
      return action.type === 'drop'
        ? [`${base} -j DROP`]
        : [`${base} -m limit --limit ${action.packetsPerSecond}/second --limit-burst ${action.packetsPerSecond} -j RETURN`, `${base} -j DROP`];
    });
  }

  private tool(family: FilterFamily, suffix = ''): string {
    const base = this.options.iptables ?? 'iptables';
    const name = family === 'ipv4' ? base : base.replace(/^iptables/, 'ip6tables');
    // iptables → iptables-save, iptables-nft → iptables-nft-save, ip6tables-legacy → ip6tables-legacy-restore.
    return `${name}${suffix}`;
  }

  private async ensureChain(family: FilterFamily): Promise<void> {
    const tool = this.tool(family);
    await runCommand([tool, '-t', 'raw', '-N', IPTABLES_CHAIN], undefined, this.options).catch(() => undefined); // exists already
    const jumps = await runCommand([tool, '-t', 'raw', '-C', 'PREROUTING', '-j', IPTABLES_CHAIN], undefined, this.options).then(() => true, () => false);
    if (!jumps) await runCommand([tool, '-t', 'raw', '-I', 'PREROUTING', '1', '-j', IPTABLES_CHAIN], undefined, this.options);
  }

  private async restore(family: FilterFamily, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await runCommand([this.tool(family, '-restore'), '--noflush'], ['*raw', ...lines, 'COMMIT', ''].join('\n'), this.options);
  }

  private async saved(family: FilterFamily): Promise<SavedRule[]> {
    const out = await runCommand([this.tool(family, '-save'), '-c', '-t', 'raw'], undefined, this.options);
    const rules: SavedRule[] = [];
    for (const line of out.split('\n')) {
      const m = /^\[(\d+):(\d+)\] -A BREAKWATER (.*)$/.exec(line);
      if (!m) continue;
      const comment = /--comment "?([^" ]+)"?/.exec(m[3]!)?.[1];
      rules.push({ family, spec: m[3]!, tag: parseEntryComment(comment), drops: / -j DROP$/.test(m[3]!), packets: Number(m[1]), bytes: Number(m[2]) });
    }
    return rules;
  }
}
