// Chooses the firewall backend: as configured, or on `auto` nftables when `nft` is installed and the iptables
// fallback otherwise. Looked up on PATH plus the sbin directories, which a non-login service PATH may lack.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { BreakwaterError } from '../errors.js';
import type { FirewallBackend } from './backend.js';
import { IptablesBackend } from './iptables-backend.js';
import { NftBackend } from './nft-backend.js';

export interface BackendChoice {
  backend: 'auto' | 'nftables' | 'iptables';
  /** iptables flavour: "iptables", "iptables-nft" or "iptables-legacy". */
  iptables?: string;
  /** Words run before nft/iptables, e.g. ["ip", "netns", "exec", "NS"]. */
  prefix?: readonly string[];
}

export function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

export function createFirewallBackend(choice: BackendChoice): FirewallBackend {
  const iptables = choice.iptables ?? 'iptables';
  const base = { ...(choice.prefix ? { prefix: choice.prefix } : {}) };
  const nft = findProgram('nft');
  if (choice.backend === 'nftables' || (choice.backend === 'auto' && nft)) {
    if (!nft) throw new BreakwaterError('BW_ERR_FIREWALL_UNAVAILABLE', ['firewall.backend is nftables and nft is not installed']);
    return new NftBackend({ ...base, nft });
  }
  if (!findProgram(iptables)) throw new BreakwaterError('BW_ERR_FIREWALL_UNAVAILABLE', [`neither nft nor ${iptables} is installed`]);
  return new IptablesBackend({ ...base, iptables });
}
