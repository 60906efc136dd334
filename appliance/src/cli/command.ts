// The shape of one `breakwater` sub-command. Each lives in its own file under cli/commands/.
import type { Writable } from 'node:stream';

export interface CommandIo {
  stdout: Writable;
  stderr: Writable;
  stdin: NodeJS.ReadableStream;
}

export interface Command {
  /** Words that select it, e.g. ['config', 'check']. */
  readonly path: readonly string[];
  readonly summary: string;
  readonly usage: string;
  /** Returns the process exit code. Long-running commands resolve when they are done. */
  run(args: string[], io: CommandIo): Promise<number>;
}
