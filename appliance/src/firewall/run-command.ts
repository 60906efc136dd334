// Runs nft / iptables, optionally behind a prefix such as ["ip", "netns", "exec", NS] (tests, and hosts where the
// filtered interfaces live in another namespace). One process per change keeps each change one kernel
// transaction; output is bounded so a huge listing cannot exhaust memory.
import { spawn } from 'node:child_process';
import { BreakwaterError } from '../errors.js';

export interface CommandOptions {
  /** Words put before the program, e.g. ["ip", "netns", "exec", "victim"]. */
  prefix?: readonly string[];
  timeoutMs?: number;
}

const MAX_OUTPUT = 32 * 1024 * 1024;

export async function runCommand(argv: readonly string[], stdin: string | undefined, options: CommandOptions = {}): Promise<string> {
  const full = [...(options.prefix ?? []), ...argv];
  return new Promise((resolve, reject) => {
    const child = spawn(full[0]!, full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 15_000 });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      if (out.length < MAX_OUTPUT) out += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      if (err.length < 65_536) err += s;
    });
    child.once('error', (e) => reject(new BreakwaterError('BW_ERR_FIREWALL_COMMAND', [argv[0], e.message], { cause: e })));
    child.once('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new BreakwaterError('BW_ERR_FIREWALL_COMMAND', [argv.join(' '), (err.trim() || `exit ${code ?? signal}`).slice(0, 2000)], { details: { stderr: err } }));
    });
    child.stdin.on('error', () => {}); // the program may exit before reading all of stdin; close reports why
    child.stdin.end(stdin ?? '');
  });
}
