// Shared by the FlowSpec tests: finding and running the installed daemons, free ports, and a normal form for
// matches so a rule read back from a daemon compares equal to the rule that was rendered.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { FRAGMENT_FLAG_BITS, TCP_FLAG_BITS } from '../../src/flowspec/components.js';
import type { FlowSpecMatch } from '../../src/flowspec/rule.js';

/** Whether an executable is on PATH (tests that need a daemon are skipped without it). */
export function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/usr/sbin')
    .split(delimiter)
    .concat(['/usr/sbin', '/sbin'])
    .some((dir) => existsSync(join(dir, name)));
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell and never rejects: the exit code is part of the result. */
export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 30000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Bitmask flags sorted by bit, so `['ack', 'syn']` and `['syn', 'ack']` compare equal. */
export function normaliseMatch(match: FlowSpecMatch): FlowSpecMatch {
  const out = structuredClone(match);
  const sortFlags = (terms: { flags: string[] }[][] | undefined, table: Record<string, number>): void => {
    for (const term of terms ?? []) for (const c of term) c.flags.sort((a, b) => table[a]! - table[b]!);
  };
  sortFlags(out.tcpFlags, TCP_FLAG_BITS);
  sortFlags(out.fragment, FRAGMENT_FLAG_BITS);
  return out;
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
