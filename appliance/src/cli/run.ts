// Dispatches `breakwater` argv to a sub-command. Kept apart from the entry file so tests can call main().
import { commands } from './commands/index.js';
import type { Command, CommandIo } from './command.js';

export function findCommand(argv: readonly string[]): { command: Command; rest: string[] } | undefined {
  let best: Command | undefined;
  for (const c of commands) {
    if (c.path.every((w, i) => argv[i] === w) && (best === undefined || c.path.length > best.path.length)) best = c;
  }
  return best === undefined ? undefined : { command: best, rest: argv.slice(best.path.length) };
}

function help(io: CommandIo): void {
  io.stdout.write('usage: breakwater <command> [options]\n\ncommands:\n');
  for (const c of commands) io.stdout.write(`  ${c.usage.padEnd(60)} ${c.summary}\n`);
}

export async function main(argv: string[], io: CommandIo): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    help(io);
    return argv.length === 0 ? 2 : 0;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    io.stderr.write(`BW_ERR_CLI_USAGE: unknown command "${argv.join(' ')}"; run "breakwater help"\n`);
    return 2;
  }
  try {
    return await found.command.run(found.rest, io);
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      io.stderr.write(`BW_ERR_CLI_USAGE: ${e.message}\nusage: ${found.command.usage}\n`);
      return 2;
    }
    io.stderr.write(`${e.code ?? 'error'}: ${e.message}\n`);
    return 1;
  }
}
