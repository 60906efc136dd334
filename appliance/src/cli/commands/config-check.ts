// `breakwater config check FILE`: validates a configuration and names every error, exit 0 when valid.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isBreakwaterError } from '../../errors.js';
import { parseConfigText, validateConfig } from '../../config/load.js';
import type { Command } from '../command.js';

export const configCheck: Command = {
  path: ['config', 'check'],
  summary: 'validate a configuration file and list every problem',
  usage: 'breakwater config check FILE [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
    const file = positionals[0];
    if (file === undefined || positionals.length > 1) {
      io.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    let doc: unknown;
    try {
      doc = parseConfigText(await readFile(file, 'utf8'), file);
    } catch (err) {
      const code = isBreakwaterError(err) ? err.code : 'BW_ERR_CONFIG_READ';
      const message = (err as Error).message;
      if (values.json) io.stdout.write(JSON.stringify({ ok: false, code, problems: [{ path: '/', message }] }) + '\n');
      else io.stderr.write(`${code}: ${message}\n`);
      return 1;
    }
    const result = validateConfig(doc);
    if (values.json) {
      io.stdout.write(JSON.stringify(result.ok ? { ok: true } : { ok: false, code: 'BW_ERR_CONFIG_INVALID', problems: result.problems }) + '\n');
    } else if (result.ok) {
      io.stdout.write(`${file}: configuration OK\n`);
    } else {
      io.stderr.write(`BW_ERR_CONFIG_INVALID: ${file} has ${result.problems.length} problem(s):\n`);
      for (const p of result.problems) io.stderr.write(`  ${p.path}: ${p.message}\n`);
    }
    return result.ok ? 0 : 1;
  },
};
