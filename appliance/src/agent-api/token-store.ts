// Agent tokens: each names one agent and the prefixes it may receive rules for. Only the sha256 of a token is
// stored (DATADIR/agent-api/tokens.json, written to a temporary file and renamed into place), so a copy of the
// data directory does not hand out working tokens. The token text is shown once, by `breakwater agent token create`.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BreakwaterError } from '../errors.js';
import { parsePrefix } from '../flowspec/prefix.js';

export interface AgentToken {
  /** The agent's id: what reports and the audit trail name it by. */
  name: string;
  /** Canonical prefixes ("203.0.113.0/24"): the agent receives only rules whose destination lies inside one. */
  prefixes: string[];
  sha256: string;
  createdAt: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export class AgentTokenStore {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'agent-api', 'tokens.json');
  }

  async list(): Promise<AgentToken[]> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as AgentToken[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Creates a token and returns its text (the only time it exists outside the agent). Replaces one of the same name. */
  async create(name: string, prefixes: readonly string[]): Promise<{ token: string; record: AgentToken }> {
    if (!NAME.test(name)) throw new BreakwaterError('BW_ERR_CLI_USAGE', [`agent name "${name}": letters, digits, . _ - only, at most 63`]);
    if (prefixes.length === 0) throw new BreakwaterError('BW_ERR_CLI_USAGE', ['give the prefixes the agent protects: --prefixes 203.0.113.10/32,...']);
    const canonical = prefixes.map((p) => {
      const parsed = parsePrefix(p);
      if (!parsed.ok) throw new BreakwaterError('BW_ERR_CLI_USAGE', [`prefix ${p}: ${parsed.message}`]);
      return parsed.prefix.canonical;
    });
    const token = `bwa_${name}_${randomBytes(24).toString('base64url')}`;
    const record: AgentToken = { name, prefixes: canonical, sha256: hashToken(token), createdAt: Date.now() };
    const rest = (await this.list()).filter((t) => t.name !== name);
    await this.write([...rest, record]);
    return { token, record };
  }

  async revoke(name: string): Promise<boolean> {
    const all = await this.list();
    const rest = all.filter((t) => t.name !== name);
    if (rest.length !== all.length) await this.write(rest);
    return rest.length !== all.length;
  }

  /** The token's record, or undefined. Compared in constant time so response timing reveals nothing. */
  async verify(token: string): Promise<AgentToken | undefined> {
    const hash = Buffer.from(hashToken(token), 'hex');
    return (await this.list()).find((t) => timingSafeEqual(Buffer.from(t.sha256, 'hex'), hash));
  }

  private async write(tokens: AgentToken[]): Promise<void> {
    await mkdir(join(this.file, '..'), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(tokens, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.file);
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
