// Runs the gobgp CLI against the local gobgpd (`-u 127.0.0.1 -p PORT`), never through a shell, with at
// most N commands at once. Used for reads only (the RIB and the neighbors as JSON): its JSON needs no
// protobuf decoding here. Changes go through gobgp-api.ts: one CLI call costs ~6-13 ms of CPU.
import { execFile } from 'node:child_process';
import { BreakwaterError } from '../../errors.js';

export class GobgpCli {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly bin: string, private readonly port: number, private readonly parallel: number) {}

  /** Runs `gobgp ARGS`; resolves with stdout, rejects with BW_ERR_SPEAKER_COMMAND carrying gobgp's words. */
  async run(args: readonly string[], timeoutMs = 15_000): Promise<string> {
    await this.acquire();
    try {
      return await new Promise<string>((resolve, reject) => {
        execFile(this.bin, ['-u', '127.0.0.1', '-p', String(this.port), ...args], { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
          if (err === null) {
            resolve(stdout);
            return;
          }
          const words = `${String(stderr).trim().split('\n')[0] ?? ''}`.trim() || err.message;
          const code = /connect|unavailable|connection refused|deadline/i.test(words) ? 'BW_ERR_SPEAKER_UNAVAILABLE' : 'BW_ERR_SPEAKER_COMMAND';
          reject(
            code === 'BW_ERR_SPEAKER_UNAVAILABLE'
              ? new BreakwaterError(code, ['gobgp', words], { cause: err })
              : new BreakwaterError(code, ['gobgp', args.join(' '), words], { cause: err }),
          );
        });
      });
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.parallel) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.active--;
  }
}
