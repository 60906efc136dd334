// `breakwater audit`: reads the audit trail (audit/audit-store.ts) from the appliance database, read-only, so it
// works while the appliance runs. Filters by time (ISO time or "30m", "2h", "7d" ago), target (an address, or
// a prefix for every target inside it), attack and action ("stage." for a family); text or --json.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AuditStore, type AuditQuery, type AuditRecord } from '../../audit/audit-store.js';
import { loadConfig } from '../../config/load.js';
import { BreakwaterError, isBreakwaterError } from '../../errors.js';
import { databasePath, openDatabase } from '../../storage/sqlite.js';
import type { Command } from '../command.js';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "2026-11-29T10:00:00Z" or "90m" (that long before now) to epoch ms. */
export function parseWhen(text: string, now = Date.now()): number {
  const relative = /^(\d+)([smhd])$/.exec(text);
  if (relative !== null) return now - Number(relative[1]) * UNITS[relative[2]!]!;
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new BreakwaterError('BW_ERR_CLI_USAGE', [`"${text}" is neither a time (2026-11-29T10:00:00Z) nor a duration (30m, 2h, 7d)`]);
  return at;
}

export function formatRecord(r: AuditRecord): string {
  const fields = [
    r.attackId !== undefined ? `attack=${r.attackId}` : '',
    r.target !== undefined ? `target=${r.target}` : '',
    r.runbook !== undefined ? `runbook=${r.runbook}` : '',
    r.stage !== undefined ? `stage=${r.stage}${r.stageName !== undefined ? `/${r.stageName}` : ''}` : '',
    r.tier !== undefined ? `tier=${r.tier}` : '',
    r.resource !== undefined ? `resource=${r.resource}` : '',
  ].filter((f) => f !== '');
  return `${new Date(r.at).toISOString()}  ${r.actor.padEnd(12)} ${r.action.padEnd(18)} ${fields.join(' ')}${r.reason !== undefined ? `  -- ${r.reason}` : ''}`;
}

export const audit: Command = {
  path: ['audit'],
  summary: 'show the audit trail of detections, decisions and actions (filter by time, target, attack, action)',
  usage: 'breakwater audit [--since T] [--until T] [--target ADDR|PREFIX] [--attack ID] [--action NAME] [--limit N] [--json] [--config FILE | --data-dir DIR]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        target: { type: 'string' },
        attack: { type: 'string' },
        action: { type: 'string' },
        limit: { type: 'string', default: '1000' },
        json: { type: 'boolean', default: false },
        config: { type: 'string' },
        'data-dir': { type: 'string' },
      },
    });
    try {
      const dataDir = values['data-dir'] ?? (await loadConfig(values.config)).dataDir;
      const limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new BreakwaterError('BW_ERR_CLI_USAGE', ['--limit must be a positive integer']);
      const query: AuditQuery = { limit };
      if (values.since !== undefined) query.since = parseWhen(values.since);
      if (values.until !== undefined) query.until = parseWhen(values.until);
      if (values.target !== undefined) query.target = values.target;
      if (values.attack !== undefined) query.attackId = values.attack;
      if (values.action !== undefined) query.action = values.action;
      const records = read(databasePath(dataDir), query);
      if (values.json) io.stdout.write(JSON.stringify(records, null, 2) + '\n');
      else for (const r of records) io.stdout.write(formatRecord(r) + '\n');
      return 0;
    } catch (err) {
      io.stderr.write(`${isBreakwaterError(err) ? err.code : 'error'}: ${(err as Error).message}\n`);
      return isBreakwaterError(err, 'BW_ERR_CLI_USAGE') ? 2 : 1;
    }
  },
};

function read(path: string, query: AuditQuery): AuditRecord[] {
  if (!existsSync(path)) throw new BreakwaterError('BW_ERR_AUDIT_READ', [path, 'there is no database yet (nothing was mitigated or audited)']);
  const handle = openDatabase(path, { readonly: true });
  try {
    return new AuditStore(handle.db, { readonly: true }).query(query);
  } catch (err) {
    if (isBreakwaterError(err)) throw err;
    throw new BreakwaterError('BW_ERR_AUDIT_READ', [path, (err as Error).message], { cause: err });
  } finally {
    handle.release();
  }
}
