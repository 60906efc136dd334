// `breakwater mitigations list|approve ID|stop-all|resume`: talks to the running appliance through its loopback
// control endpoint (mitigation/control-routes.ts on the health port; host and port from --config, or --url).
// The user is recorded in the audit trail: --user, else the login that ran sudo, else the current one.
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load.js';
import { BreakwaterError, isBreakwaterError } from '../../errors.js';
import type { MitigationSummary } from '../../mitigation/mitigation-views.js';
import type { Command, CommandIo } from '../command.js';

const common = {
  config: { type: 'string' },
  url: { type: 'string' },
  user: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

type Values = { config?: string; url?: string; user?: string; json?: boolean };

async function endpoint(values: Values): Promise<string> {
  if (values.url !== undefined) return values.url.replace(/\/+$/, '');
  const { health } = await loadConfig(values.config);
  // A wildcard bind is reached on loopback; the endpoint answers nothing else anyway.
  const host = health.host === '0.0.0.0' || health.host === '' ? '127.0.0.1' : health.host === '::' ? '::1' : health.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${health.port}`;
}

function who(values: Values): string {
  const name = values.user ?? process.env.SUDO_USER ?? userInfo().username;
  return name.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 64) || 'unknown';
}

async function call(values: Values, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  const base = await endpoint(values);
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    throw new BreakwaterError('BW_ERR_CONTROL_UNREACHABLE', [base, (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message], { cause: err });
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const error = new Error(String(answer.message ?? `HTTP ${response.status}`)) as Error & { code?: string };
    error.code = String(answer.code ?? 'error');
    throw error;
  }
  return answer;
}

function fail(io: CommandIo, err: unknown): number {
  const code = isBreakwaterError(err) ? err.code : ((err as { code?: string }).code ?? 'error');
  io.stderr.write(`${code}: ${(err as Error).message}\n`);
  return 1;
}

export function formatMitigation(m: MitigationSummary): string {
  const lines = [`${m.id}  ${m.target} ${m.vector}  runbook ${m.runbook} (${m.mode})  ${m.phase}${m.stage !== null ? ` at ${m.stage}` : ''}${m.attackIds.length > 1 ? `  attacks ${m.attackIds.join(', ')}` : ''}`];
  for (const s of m.stages) {
    const extra = [
      s.summary,
      s.approvalExpiresAt !== undefined ? `awaiting approval until ${new Date(s.approvalExpiresAt).toISOString()}` : undefined,
      s.verified,
      s.counters !== undefined ? `${s.counters.packets} packets matched` : undefined,
      s.error,
    ].filter((x) => x !== undefined);
    lines.push(`  ${s.index}. ${s.name.padEnd(14)} ${s.tier.padEnd(30)} ${s.status.padEnd(17)} ${extra.join('; ')}`);
  }
  return lines.join('\n');
}

export const mitigationsList: Command = {
  path: ['mitigations', 'list'],
  summary: 'show the running mitigations, their stages and what awaits approval',
  usage: 'breakwater mitigations list [--config FILE | --url URL] [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: common });
    try {
      const answer = await call(values, 'GET', '/control/mitigations');
      if (values.json) io.stdout.write(JSON.stringify(answer, null, 2) + '\n');
      else {
        const list = answer.mitigations as MitigationSummary[];
        const status = answer.status as { mode: string; stopAll: unknown };
        io.stdout.write(`mode ${status.mode}${status.stopAll !== false ? `; STOP-ALL is on (${JSON.stringify(status.stopAll)})` : ''}; ${list.length} mitigation${list.length === 1 ? '' : 's'}\n`);
        for (const m of list) io.stdout.write(formatMitigation(m) + '\n');
      }
      return 0;
    } catch (err) {
      return fail(io, err);
    }
  },
};

export const mitigationsApprove: Command = {
  path: ['mitigations', 'approve'],
  summary: 'approve the stage a mitigation (or attack) ID waits on in an approve-mode runbook',
  usage: 'breakwater mitigations approve ID [--user NAME] [--config FILE | --url URL] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: common, allowPositionals: true });
    if (positionals.length !== 1) {
      io.stderr.write(`BW_ERR_CLI_USAGE: give the mitigation or attack id\nusage: ${this.usage}\n`);
      return 2;
    }
    try {
      const answer = await call(values, 'POST', `/control/mitigations/${encodeURIComponent(positionals[0]!)}/approve`, { user: who(values) });
      io.stdout.write(values.json ? JSON.stringify(answer, null, 2) + '\n' : formatMitigation(answer.mitigation as MitigationSummary) + '\n');
      return 0;
    } catch (err) {
      return fail(io, err);
    }
  },
};

export const mitigationsStopAll: Command = {
  path: ['mitigations', 'stop-all'],
  summary: 'withdraw every mitigation now and refuse new ones until resume',
  usage: 'breakwater mitigations stop-all [--user NAME] [--config FILE | --url URL] [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: common });
    try {
      const answer = await call(values, 'POST', '/control/stop-all', { user: who(values) });
      io.stdout.write(values.json ? JSON.stringify(answer, null, 2) + '\n' : 'stop-all: every mitigation withdrawn; new ones are refused until `breakwater mitigations resume`\n');
      return 0;
    } catch (err) {
      return fail(io, err);
    }
  },
};

export const mitigationsResume: Command = {
  path: ['mitigations', 'resume'],
  summary: 'lift a stop-all given with the CLI (mitigation.stopAll in the configuration stays in force)',
  usage: 'breakwater mitigations resume [--user NAME] [--config FILE | --url URL] [--json]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: common });
    try {
      const answer = await call(values, 'POST', '/control/resume', { user: who(values) });
      const status = answer.status as { stopAll: unknown };
      io.stdout.write(values.json ? JSON.stringify(answer, null, 2) + '\n' : status.stopAll === false ? 'resumed: new mitigations are allowed\n' : 'stop-all stays on: mitigation.stopAll is set in the configuration\n');
      return 0;
    } catch (err) {
      return fail(io, err);
    }
  },
};
