// Runs FRR's vtysh against Breakwater's own FRR instance (its vty sockets live in the speaker's directory,
// `--vty_socket DIR`), without a shell. Configuration commands are sent as one `configure terminal` session
// of many `-c` arguments; vtysh's exit status and its "% ..." lines tell whether FRR accepted them.
import { execFile } from 'node:child_process';
import { BreakwaterError } from '../../errors.js';

export class Vtysh {
  constructor(private readonly bin: string, private readonly socketDir: string) {}

  /** A show command; resolves with its output. */
  show(command: string, daemon?: string, timeoutMs = 10_000): Promise<string> {
    return this.exec([...(daemon !== undefined ? ['-d', daemon] : []), '-c', command], timeoutMs);
  }

  /** Config-mode commands, in order, in one session. */
  async configure(commands: readonly string[], timeoutMs = 30_000): Promise<void> {
    // vtysh takes each -c as one line; the argument list stays far below the kernel's limit at this size.
    for (let i = 0; i < commands.length; i += 500) {
      const chunk = commands.slice(i, i + 500);
      const output = await this.exec(['-c', 'configure terminal', ...chunk.flatMap((c) => ['-c', c])], timeoutMs);
      const complaint = output.split('\n').find((l) => l.startsWith('%'));
      if (complaint !== undefined) throw new BreakwaterError('BW_ERR_SPEAKER_COMMAND', ['frr', chunk[0] ?? '', complaint]);
    }
  }

  private exec(args: string[], timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.bin, ['--vty_socket', this.socketDir, ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const text = `${String(stdout)}${String(stderr)}`;
        if (err === null) {
          resolve(text);
          return;
        }
        const words = text.trim().split('\n').slice(-3).join(' ') || err.message;
        const unavailable = /failed to connect|Exiting|not running/i.test(words);
        reject(
          unavailable
            ? new BreakwaterError('BW_ERR_SPEAKER_UNAVAILABLE', ['frr', words], { cause: err })
            : new BreakwaterError('BW_ERR_SPEAKER_COMMAND', ['frr', args.filter((a) => a !== '-c').join('; '), words], { cause: err }),
        );
      });
    });
  }
}
