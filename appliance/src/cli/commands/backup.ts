// `breakwater backup create|verify|restore FILE`: moves an appliance's configuration and data between images.
// The archive logic lives in backup/backup-archive.ts; this file only parses arguments and prints results.
import { parseArgs } from 'node:util';
import { applianceVersion, createBackup, restoreBackup, verifyBackup } from '../../backup/backup-archive.js';
import { isBreakwaterError } from '../../errors.js';
import type { Command, CommandIo } from '../command.js';

const DEFAULT_CONFIG_DIR = '/etc/breakwater';
const DEFAULT_DATA_DIR = '/var/lib/breakwater';

const dirOptions = {
  'config-dir': { type: 'string', default: DEFAULT_CONFIG_DIR },
  'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
  json: { type: 'boolean', default: false },
} as const;

function fail(io: CommandIo, err: unknown, json: boolean): number {
  const code = isBreakwaterError(err) ? err.code : 'error';
  const message = (err as Error).message;
  if (json) io.stdout.write(JSON.stringify({ ok: false, code, message }) + '\n');
  else io.stderr.write(`${code}: ${message}\n`);
  return 1;
}

function oneFile(positionals: string[], io: CommandIo, usage: string): string | undefined {
  if (positionals.length !== 1) {
    io.stderr.write(`BW_ERR_CLI_USAGE: give exactly one archive file\nusage: ${usage}\n`);
    return undefined;
  }
  return positionals[0];
}

export const backupCreate: Command = {
  path: ['backup', 'create'],
  summary: 'write /etc/breakwater and the data directory to a tar.gz with a manifest and checksums',
  usage: 'breakwater backup create FILE [--config-dir DIR] [--data-dir DIR] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: dirOptions, allowPositionals: true });
    const file = oneFile(positionals, io, this.usage);
    if (file === undefined) return 2;
    try {
      const manifest = await createBackup({ file, configDir: values['config-dir'], dataDir: values['data-dir'], applianceVersion: await applianceVersion() });
      const bytes = manifest.files.reduce((n, f) => n + f.size, 0);
      if (values.json) io.stdout.write(JSON.stringify({ ok: true, file, files: manifest.files.length, bytes, skipped: manifest.skipped }) + '\n');
      else {
        io.stdout.write(`${file}: ${manifest.files.length} files (${bytes} bytes) from ${manifest.sources.config} and ${manifest.sources.data}\n`);
        if (manifest.skipped.length > 0) io.stdout.write(`not archived (sockets, FIFOs, links): ${manifest.skipped.join(', ')}\n`);
      }
      return 0;
    } catch (err) {
      return fail(io, err, values.json);
    }
  },
};

export const backupVerify: Command = {
  path: ['backup', 'verify'],
  summary: 'check a backup archive (format, version, every checksum) without restoring it',
  usage: 'breakwater backup verify FILE [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { json: dirOptions.json }, allowPositionals: true });
    const file = oneFile(positionals, io, this.usage);
    if (file === undefined) return 2;
    try {
      const manifest = await verifyBackup(file, await applianceVersion());
      if (values.json) io.stdout.write(JSON.stringify({ ok: true, file, createdAt: manifest.createdAt, applianceVersion: manifest.applianceVersion, files: manifest.files.length }) + '\n');
      else io.stdout.write(`${file}: OK, ${manifest.files.length} files, made ${manifest.createdAt} by Breakwater ${manifest.applianceVersion} on ${manifest.hostname}\n`);
      return 0;
    } catch (err) {
      return fail(io, err, values.json);
    }
  },
};

export const backupRestore: Command = {
  path: ['backup', 'restore'],
  summary: 'verify a backup, then replace /etc/breakwater and the data directory with it (stop the controller first)',
  usage: 'breakwater backup restore FILE [--config-dir DIR] [--data-dir DIR] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: dirOptions, allowPositionals: true });
    const file = oneFile(positionals, io, this.usage);
    if (file === undefined) return 2;
    try {
      const result = await restoreBackup({ file, configDir: values['config-dir'], dataDir: values['data-dir'], applianceVersion: await applianceVersion() });
      if (values.json) io.stdout.write(JSON.stringify({ ok: true, file, files: result.manifest.files.length, previous: result.previous }) + '\n');
      else {
        io.stdout.write(`${file}: restored ${result.manifest.files.length} files into ${values['config-dir']} and ${values['data-dir']}\n`);
        for (const [root, dir] of Object.entries(result.previous)) io.stdout.write(`previous ${root} directory kept in ${dir}\n`);
      }
      return 0;
    } catch (err) {
      return fail(io, err, values.json);
    }
  },
};
