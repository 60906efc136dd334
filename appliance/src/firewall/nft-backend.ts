// The nftables backend: Breakwater owns `table inet breakwater` and nothing else. One chain, `filter`, hooked at
// prerouting priority -450: before IP defragmentation (-400) so fragment matches see real fragments, before
// conntrack (-200) so a flood creates no conntrack entries, and before the routing decision so traffic to the
// host (input) and through it (forward) are both covered by one chain. Every change is one `nft -f -`
// transaction; every rule carries a counter and the comment "bw:<id>:<expiresAt>", by which counters are read
// back (`nft -j list table`) and orphans found.
import type { FirewallBackend } from './backend.js';
import { entryComment, parseEntryComment, type FilterCounters, type FilterEntry } from './filter-entry.js';
import { renderNft } from './render-nft.js';
import { runCommand, type CommandOptions } from './run-command.js';

export const NFT_TABLE = 'breakwater';
export const NFT_CHAIN = 'filter';
export const NFT_PRIORITY = -450;

interface KernelRule {
  handle: number;
  tag: { id: string; expiresAt: number } | undefined;
  packets: number;
  bytes: number;
}

export class NftBackend implements FirewallBackend {
  readonly kind = 'nftables' as const;

  constructor(private readonly options: CommandOptions & { nft?: string } = {}) {}

  check(entry: FilterEntry): void {
    renderNft(entry.rule);
  }

  async install(entry: FilterEntry): Promise<void> {
    const { bodies } = renderNft(entry.rule);
    const stale = (await this.rules()).filter((r) => r.tag?.id === entry.id);
    await this.transaction([...this.ensureTable(), ...stale.map((r) => this.deleteRule(r.handle)), ...this.addRules(entry, bodies)]);
  }

  async uninstall(id: string): Promise<boolean> {
    const mine = (await this.rules()).filter((r) => r.tag?.id === id);
    if (mine.length === 0) return false;
    await this.transaction(mine.map((r) => this.deleteRule(r.handle)));
    return true;
  }

  async read(): Promise<FilterCounters[]> {
    const byId = new Map<string, FilterCounters>();
    for (const r of await this.rules()) {
      if (r.tag === undefined) continue;
      const c = byId.get(r.tag.id) ?? { id: r.tag.id, expiresAt: r.tag.expiresAt, packets: 0, bytes: 0 };
      c.packets += r.packets;
      c.bytes += r.bytes;
      byId.set(r.tag.id, c);
    }
    return [...byId.values()];
  }

  async reconcile(desired: readonly FilterEntry[], now: number): Promise<void> {
    const wanted = new Map(desired.filter((e) => e.expiresAt > now).map((e) => [e.id, e]));
    const present = new Set<string>();
    const commands: string[] = [];
    for (const r of await this.rules()) {
      const entry = r.tag ? wanted.get(r.tag.id) : undefined;
      // A rule stays only when it is wanted with the same expiry; foreign or stale rules in our table go.
      if (entry && r.tag && entryComment(entry) === `bw:${r.tag.id}:${r.tag.expiresAt / 1000}`) present.add(entry.id);
      else commands.push(this.deleteRule(r.handle));
    }
    for (const entry of wanted.values()) {
      if (present.has(entry.id)) continue;
      // A wanted entry with a stale rule set is rewritten whole, so its kernel rules always match one rendering.
      commands.push(...this.addRules(entry, renderNft(entry.rule).bodies));
    }
    await this.transaction([...this.ensureTable(), ...commands]);
  }

  async teardown(): Promise<void> {
    if (await this.tableExists()) await this.transaction([`delete table inet ${NFT_TABLE}`]);
  }

  private ensureTable(): string[] {
    return [
      `add table inet ${NFT_TABLE}`,
      `add chain inet ${NFT_TABLE} ${NFT_CHAIN} { type filter hook prerouting priority ${NFT_PRIORITY}; policy accept; }`,
    ];
  }

  private addRules(entry: FilterEntry, bodies: readonly string[]): string[] {
    return bodies.map((b) => `add rule inet ${NFT_TABLE} ${NFT_CHAIN} ${b} comment "${entryComment(entry)}"`);
  }

  private deleteRule(handle: number): string {
    return `delete rule inet ${NFT_TABLE} ${NFT_CHAIN} handle ${handle}`;
  }

  private async transaction(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await runCommand([this.options.nft ?? 'nft', '-f', '-'], lines.join('\n') + '\n', this.options);
  }

  private async tableExists(): Promise<boolean> {
    const out = await runCommand([this.options.nft ?? 'nft', '-j', 'list', 'tables', 'inet'], undefined, this.options);
    return (JSON.parse(out).nftables as { table?: { name: string } }[]).some((o) => o.table?.name === NFT_TABLE);
  }

  private async rules(): Promise<KernelRule[]> {
    if (!(await this.tableExists())) return [];
    const out = await runCommand([this.options.nft ?? 'nft', '-j', 'list', 'table', 'inet', NFT_TABLE], undefined, this.options);
    const objects = JSON.parse(out).nftables as { rule?: { chain: string; handle: number; comment?: string; expr?: Record<string, unknown>[] } }[];
    const rules: KernelRule[] = [];
    for (const o of objects) {
      if (o.rule === undefined || o.rule.chain !== NFT_CHAIN) continue;
      const counter = o.rule.expr?.find((e) => 'counter' in e)?.counter as { packets: number; bytes: number } | undefined;
      rules.push({ handle: o.rule.handle, tag: parseEntryComment(o.rule.comment), packets: counter?.packets ?? 0, bytes: counter?.bytes ?? 0 });
    }
    return rules;
  }
}
