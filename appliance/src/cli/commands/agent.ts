// `breakwater agent ...`: the agent mode of the same command (run on a protected Linux server) and, on the
// appliance, creating its tokens and printing the certificate fingerprint agents pin. The logic lives in
// agent/ (the polling agent) and agent-api/ (tokens, certificate); this file parses arguments and prints.
import { parseArgs } from 'node:util';
import { Agent } from '../../agent/agent.js';
import { ensureCertificate } from '../../agent-api/certificate.js';
import { AgentTokenStore } from '../../agent-api/token-store.js';
import { isBreakwaterError } from '../../errors.js';
import { createFirewallBackend } from '../../firewall/create-backend.js';
import { FirewallService } from '../../firewall/firewall-service.js';
import type { Command, CommandIo } from '../command.js';

const DEFAULT_DATA_DIR = '/var/lib/breakwater';
const DEFAULT_STATE_DIR = '/var/lib/breakwater-agent';

function fail(io: CommandIo, err: unknown): number {
  io.stderr.write(`${isBreakwaterError(err) ? err.code : 'error'}: ${(err as Error).message}\n`);
  return 1;
}

export const agentRun: Command = {
  path: ['agent'],
  summary: 'run on a protected server: pull Tier 1 rules from the appliance over pinned HTTPS, apply them locally, report counters',
  usage: 'breakwater agent --appliance URL --token T [--interval S] [--fingerprint SHA256] [--state-dir DIR] [--backend auto|nftables|iptables] [--netns NS]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        appliance: { type: 'string' },
        token: { type: 'string' },
        interval: { type: 'string', default: '10' },
        fingerprint: { type: 'string' },
        'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
        backend: { type: 'string', default: 'auto' },
        iptables: { type: 'string', default: 'iptables' },
        netns: { type: 'string' },
      },
    });
    const token = values.token ?? process.env.BREAKWATER_AGENT_TOKEN;
    const interval = Number(values.interval);
    if (values.appliance === undefined || token === undefined || !(interval >= 0.1) || !['auto', 'nftables', 'iptables'].includes(values.backend)) {
      io.stderr.write(`BW_ERR_CLI_USAGE: give --appliance https://HOST:PORT and --token (or BREAKWATER_AGENT_TOKEN); --interval >= 0.1 s\nusage: ${this.usage}\n`);
      return 2;
    }
    try {
      const backend = createFirewallBackend({
        backend: values.backend as 'auto' | 'nftables' | 'iptables',
        iptables: values.iptables,
        ...(values.netns ? { prefix: ['ip', 'netns', 'exec', values.netns] } : {}),
      });
      const log = (event: string, fields: Record<string, unknown> = {}): void => {
        io.stdout.write(JSON.stringify({ time: new Date().toISOString(), msg: event, ...fields }) + '\n');
      };
      const agent = new Agent({
        appliance: new URL(values.appliance),
        token,
        ...(values.fingerprint ? { fingerprint: values.fingerprint } : {}),
        stateDir: values['state-dir'],
        intervalMs: interval * 1000,
        firewall: new FirewallService(backend, { onRemoved: (e, reason) => log('rule removed', { id: e.id, reason }) }),
        log,
      });
      log('agent starting', { appliance: values.appliance, backend: backend.kind });
      await agent.start();
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
      });
      // Rules stay in place on a stop: they carry their TTL and a restarted agent reconciles them.
      await agent.stop();
      return 0;
    } catch (err) {
      return fail(io, err);
    }
  },
};

export const agentTokenCreate: Command = {
  path: ['agent', 'token', 'create'],
  summary: 'create an agent token scoped to the prefixes the agent protects (stored hashed; printed once)',
  usage: 'breakwater agent token create --name N --prefixes P,... [--data-dir DIR]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { name: { type: 'string' }, prefixes: { type: 'string' }, 'data-dir': { type: 'string', default: DEFAULT_DATA_DIR } } });
    if (values.name === undefined || values.prefixes === undefined) {
      io.stderr.write(`BW_ERR_CLI_USAGE: give --name and --prefixes\nusage: ${this.usage}\n`);
      return 2;
    }
    try {
      const { token, record } = await new AgentTokenStore(values['data-dir']).create(values.name, values.prefixes.split(',').map((p) => p.trim()).filter(Boolean));
      io.stdout.write(`${token}\n`);
      io.stderr.write(`agent ${record.name} may receive rules for ${record.prefixes.join(', ')}; the token is not shown again\n`);
      return 0;
    } catch (err) {
      return fail(io, err);
    }
  },
};

export const agentTokenList: Command = {
  path: ['agent', 'token', 'list'],
  summary: 'list agent tokens: name, prefixes, created (the tokens themselves are not stored)',
  usage: 'breakwater agent token list [--data-dir DIR]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string', default: DEFAULT_DATA_DIR } } });
    try {
      for (const t of await new AgentTokenStore(values['data-dir']).list()) {
        io.stdout.write(`${t.name}\t${t.prefixes.join(',')}\t${new Date(t.createdAt).toISOString()}\n`);
      }
      return 0;
    } catch (err) {
      return fail(io, err);
    }
  },
};

export const agentTokenRevoke: Command = {
  path: ['agent', 'token', 'revoke'],
  summary: "revoke an agent's token: its next poll is refused, and its rules go when its lease runs out",
  usage: 'breakwater agent token revoke --name N [--data-dir DIR]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { name: { type: 'string' }, 'data-dir': { type: 'string', default: DEFAULT_DATA_DIR } } });
    if (values.name === undefined) {
      io.stderr.write(`BW_ERR_CLI_USAGE: give --name\nusage: ${this.usage}\n`);
      return 2;
    }
    try {
      if (await new AgentTokenStore(values['data-dir']).revoke(values.name)) return 0;
      io.stderr.write(`no agent token named ${values.name}\n`);
      return 1;
    } catch (err) {
      return fail(io, err);
    }
  },
};

export const agentFingerprint: Command = {
  path: ['agent', 'fingerprint'],
  summary: "print the agent API certificate's sha256 fingerprint (what agents pin with --fingerprint); creates the certificate if missing",
  usage: 'breakwater agent fingerprint [--data-dir DIR]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string', default: DEFAULT_DATA_DIR } } });
    try {
      io.stdout.write(`${(await ensureCertificate(values['data-dir'])).fingerprint}\n`);
      return 0;
    } catch (err) {
      return fail(io, err);
    }
  },
};
