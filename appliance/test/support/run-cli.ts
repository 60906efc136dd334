// Runs a `breakwater` command in the test's own process and collects what it printed and its exit code.
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/run.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for commands that write binary (a pcap). */
  stdoutBytes: Buffer;
}

export async function runCli(argv: string[]): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  let err = '';
  stdout.on('data', (d: Buffer) => out.push(d));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(argv, { stdout, stderr, stdin: new PassThrough() });
  const stdoutBytes = Buffer.concat(out);
  return { code, stdout: stdoutBytes.toString(), stderr: err, stdoutBytes };
}
