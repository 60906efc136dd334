// Backup archives: the configuration directory (/etc/breakwater) and the data directory (/var/lib/breakwater)
// as one tar.gz with a manifest of every file's size, mode and sha256, so an appliance can be moved to a newer
// image without losing its configuration, runbooks, attack history or audit trail.
//
// A restore never writes a byte before the whole archive has been read and every checksum, path and the format
// version have been checked; it then extracts next to the targets and swaps directories by rename, keeping the
// previous contents as DIR.pre-restore-STAMP. What must not happen here: following links, writing outside the
// two targets, or leaving a half-restored directory in place.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, chown, lstat, mkdir, open, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import semver from 'semver';
import { BreakwaterError, isBreakwaterError } from '../errors.js';
import { readTar, TarFormatError, TarWriter, type TarEntryHeader } from './tar.js';

export const BACKUP_FORMAT = 'breakwater-backup';
export const BACKUP_FORMAT_VERSION = 1;
const MANIFEST_NAME = 'manifest.json';
const MANIFEST_MAX_BYTES = 64 * 1024 * 1024;

/** The two trees a backup holds, by their name inside the archive. */
export type BackupRoot = 'config' | 'data';

export interface BackupFileRecord {
  /** Path inside the archive: "config/..." or "data/...". */
  path: string;
  size: number;
  mode: number;
  mtime: number;
  sha256: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  createdAt: string;
  applianceVersion: string;
  hostname: string;
  sources: Record<BackupRoot, string>;
  directories: { path: string; mode: number }[];
  files: BackupFileRecord[];
  /** Entries that are not regular files or directories (sockets, FIFOs, symlinks): named, not archived. */
  skipped: string[];
}

export interface BackupDirs {
  configDir: string;
  dataDir: string;
}

export interface CreateBackupOptions extends BackupDirs {
  file: string;
  applianceVersion: string;
  now?: Date;
}

/** Writes a backup of both directories to options.file (mode 0600: it holds keys and secrets). */
export async function createBackup(options: CreateBackupOptions): Promise<BackupManifest> {
  const roots: Record<BackupRoot, string> = { config: resolve(options.configDir), data: resolve(options.dataDir) };
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    createdAt: (options.now ?? new Date()).toISOString(),
    applianceVersion: options.applianceVersion,
    hostname: hostname(),
    sources: roots,
    directories: [],
    files: [],
    skipped: [],
  };
  try {
    for (const root of ['config', 'data'] as const) await scan(roots[root], root, manifest);
  } catch (err) {
    throw new BreakwaterError('BW_ERR_BACKUP_CREATE', [options.file, (err as Error).message], { cause: err });
  }
  const partial = `${options.file}.partial-${process.pid}`;
  try {
    const fd = await open(partial, 'w', 0o600);
    const gzip = createGzip({ level: 6 });
    const done = pipeline(gzip, createWriteStream('', { fd }));
    const tar = new TarWriter(gzip);
    const manifestBody = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
    const mtime = Math.floor(Date.parse(manifest.createdAt) / 1000);
    await tar.addFile({ path: MANIFEST_NAME, mode: 0o600, mtimeSeconds: mtime }, manifestBody, manifestBody.length);
    for (const d of manifest.directories) await tar.addDirectory({ path: d.path, mode: d.mode, mtimeSeconds: mtime });
    for (const f of manifest.files) {
      const source = join(roots[f.path.startsWith('config/') ? 'config' : 'data'], f.path.slice(f.path.indexOf('/') + 1));
      const hash = createHash('sha256');
      const hashed = (async function* () {
        for await (const chunk of createReadStream(source)) {
          hash.update(chunk as Buffer);
          yield chunk as Buffer;
        }
      })();
      await tar.addFile({ path: f.path, mode: f.mode, mtimeSeconds: f.mtime }, hashed, f.size);
      if (hash.digest('hex') !== f.sha256) {
        throw new Error(`${source} changed while it was being archived: stop the controller (systemctl stop breakwater) and run the backup again`);
      }
    }
    await tar.end();
    gzip.end();
    await done;
    await rename(partial, options.file);
  } catch (err) {
    await rm(partial, { force: true });
    if (isBreakwaterError(err)) throw err;
    throw new BreakwaterError('BW_ERR_BACKUP_CREATE', [options.file, (err as Error).message], { cause: err });
  }
  return manifest;
}

async function scan(dir: string, root: BackupRoot, manifest: BackupManifest): Promise<void> {
  const top = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (top === undefined) return;
  if (!top.isDirectory()) throw new Error(`${dir} is not a directory`);
  manifest.directories.push({ path: root, mode: top.mode & 0o7777 });
  const walk = async (abs: string, rel: string): Promise<void> => {
    const names = (await readdir(abs)).sort();
    for (const name of names) {
      const childAbs = join(abs, name);
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const archived = `${root}/${childRel}`;
      const st = await lstat(childAbs);
      if (st.isDirectory()) {
        manifest.directories.push({ path: archived, mode: st.mode & 0o7777 });
        await walk(childAbs, childRel);
      } else if (st.isFile()) {
        manifest.files.push({ path: archived, size: st.size, mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000), sha256: await hashFile(childAbs) });
      } else {
        manifest.skipped.push(archived);
      }
    }
  };
  await walk(dir, '');
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads the whole archive and checks it; throws BW_ERR_BACKUP_* when it cannot be restored by this version. */
export async function verifyBackup(file: string, applianceVersion: string): Promise<BackupManifest> {
  let manifest: BackupManifest | undefined;
  const seen = new Set<string>();
  await walkArchive(file, async (entry, body) => {
    if (manifest === undefined) {
      manifest = await readManifest(file, entry, body, applianceVersion);
      return;
    }
    const expected = checkEntry(file, manifest, entry);
    if (expected === undefined) return; // a directory
    if (seen.has(entry.path)) throw corrupt(file, `${entry.path} appears twice`);
    seen.add(entry.path);
    const hash = createHash('sha256');
    for await (const chunk of body) hash.update(chunk);
    if (hash.digest('hex') !== expected.sha256) throw corrupt(file, `${entry.path} does not match its sha256 in the manifest`);
  });
  if (manifest === undefined) throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, 'the archive is empty']);
  const missing = manifest.files.filter((f) => !seen.has(f.path)).map((f) => f.path);
  if (missing.length > 0) throw corrupt(file, `files listed in the manifest are missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  return manifest;
}

export interface RestoreBackupOptions extends BackupDirs {
  file: string;
  applianceVersion: string;
  now?: Date;
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** Where each target's previous contents were moved (absent when the target did not exist). */
  previous: Partial<Record<BackupRoot, string>>;
}

/** Verifies the archive, then replaces both directories with its contents. */
export async function restoreBackup(options: RestoreBackupOptions): Promise<RestoreResult> {
  const manifest = await verifyBackup(options.file, options.applianceVersion);
  const targets: Record<BackupRoot, string> = { config: resolve(options.configDir), data: resolve(options.dataDir) };
  const stamp = (options.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const staging: Record<BackupRoot, string> = { config: `${targets.config}.restore-${stamp}`, data: `${targets.data}.restore-${stamp}` };
  const owners: Partial<Record<BackupRoot, { uid: number; gid: number }>> = {};
  for (const root of ['config', 'data'] as const) {
    const st = await stat(targets[root]).catch(() => undefined);
    if (st !== undefined) owners[root] = { uid: st.uid, gid: st.gid };
  }
  const rootsInArchive = new Set(manifest.directories.filter((d) => d.path === 'config' || d.path === 'data').map((d) => d.path as BackupRoot));
  const previous: Partial<Record<BackupRoot, string>> = {};
  try {
    for (const root of rootsInArchive) {
      await rm(staging[root], { recursive: true, force: true });
      await mkdir(dirname(staging[root]), { recursive: true });
      await mkdir(staging[root], { mode: 0o700 });
    }
    await walkArchive(options.file, async (entry, body) => {
      if (entry.path === MANIFEST_NAME) return;
      const expected = checkEntry(options.file, manifest, entry);
      const root = entry.path.split('/')[0] as BackupRoot;
      const rel = entry.path.slice(root.length + 1).replace(/\/$/, '');
      const dest = rel === '' ? staging[root] : join(staging[root], rel);
      if (expected === undefined) {
        await mkdir(dest, { recursive: true, mode: 0o700 });
        return;
      }
      await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
      const hash = createHash('sha256');
      const fd = await open(dest, 'wx', 0o600);
      try {
        for await (const chunk of body) {
          hash.update(chunk);
          await fd.write(chunk);
        }
        await fd.sync();
      } finally {
        await fd.close();
      }
      if (hash.digest('hex') !== expected.sha256) throw corrupt(options.file, `${entry.path} changed between verification and extraction`);
      await chmod(dest, expected.mode & 0o7777);
      await utimes(dest, expected.mtime, expected.mtime);
    });
    // Directory modes last: a read-only directory must not stop its own files from being written.
    for (const d of [...manifest.directories].reverse()) {
      const root = d.path.split('/')[0] as BackupRoot;
      const rel = d.path.slice(root.length + 1);
      await chmod(rel === '' ? staging[root] : join(staging[root], rel), d.mode & 0o7777);
    }
    for (const root of rootsInArchive) {
      const owner = owners[root];
      if (owner !== undefined && process.getuid?.() === 0) await chownTree(staging[root], owner.uid, owner.gid);
    }
  } catch (err) {
    for (const root of rootsInArchive) await rm(staging[root], { recursive: true, force: true });
    if (isBreakwaterError(err)) throw err;
    throw new BreakwaterError('BW_ERR_BACKUP_RESTORE', [Object.values(targets).join(' and '), (err as Error).message, 'their old places (nothing was changed)'], { cause: err });
  }
  const swapped: BackupRoot[] = [];
  try {
    for (const root of rootsInArchive) {
      if (owners[root] !== undefined) {
        previous[root] = `${targets[root]}.pre-restore-${stamp}`;
        await rename(targets[root], previous[root]!);
      }
      await rename(staging[root], targets[root]);
      swapped.push(root);
    }
  } catch (err) {
    // Put back what was moved, so the appliance is left as it was.
    for (const root of rootsInArchive) {
      const before = previous[root];
      if (!swapped.includes(root) && before !== undefined) await rename(before, targets[root]).catch(() => undefined);
      await rm(staging[root], { recursive: true, force: true });
    }
    throw new BreakwaterError('BW_ERR_BACKUP_RESTORE', [Object.values(targets).join(' and '), (err as Error).message, Object.values(previous).join(' and ') || 'their old places'], { cause: err });
  }
  return { manifest, previous };
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid);
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    const st = await lstat(p);
    if (st.isDirectory()) await chownTree(p, uid, gid);
    else await chown(p, uid, gid);
  }
}

/** Streams the gunzipped archive through readTar, mapping stream failures to BW_ERR_BACKUP_* codes. */
async function walkArchive(file: string, onEntry: (entry: TarEntryHeader, body: AsyncIterable<Buffer>) => Promise<void>): Promise<void> {
  const head = await readHead(file);
  if (head[0] !== 0x1f || head[1] !== 0x8b) throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, 'it is not gzip-compressed']);
  const gunzip = createGunzip();
  const source = createReadStream(file);
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  let first = true;
  try {
    await readTar(gunzip, async (entry, body) => {
      if (first && entry.path !== MANIFEST_NAME) {
        throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, `its first entry is ${entry.path}, not ${MANIFEST_NAME}`]);
      }
      first = false;
      await onEntry(entry, body);
    });
  } catch (err) {
    if (isBreakwaterError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (first && err instanceof TarFormatError) throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, err.message], { cause: err });
    if (err instanceof TarFormatError || (typeof code === 'string' && code.startsWith('Z_'))) throw corrupt(file, (err as Error).message);
    throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, (err as Error).message], { cause: err });
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}

async function readHead(file: string): Promise<Buffer> {
  try {
    const fd = await open(file, 'r');
    try {
      const buf = Buffer.alloc(2);
      await fd.read(buf, 0, 2, 0);
      return buf;
    } finally {
      await fd.close();
    }
  } catch (err) {
    throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, (err as Error).message], { cause: err });
  }
}

async function readManifest(file: string, entry: TarEntryHeader, body: AsyncIterable<Buffer>, applianceVersion: string): Promise<BackupManifest> {
  if (entry.type !== 'file' || entry.size > MANIFEST_MAX_BYTES) throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, `${MANIFEST_NAME} is not a plain file of sane size`]);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  let doc: Partial<BackupManifest>;
  try {
    doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<BackupManifest>;
  } catch (err) {
    throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, `${MANIFEST_NAME} is not JSON: ${(err as Error).message}`], { cause: err });
  }
  if (doc.format !== BACKUP_FORMAT) throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, `${MANIFEST_NAME} names format ${JSON.stringify(doc.format)}`]);
  if (doc.formatVersion !== BACKUP_FORMAT_VERSION) {
    throw new BreakwaterError('BW_ERR_BACKUP_INCOMPATIBLE', [file, `it has format version ${String(doc.formatVersion)} and this appliance reads version ${BACKUP_FORMAT_VERSION}`]);
  }
  const version = typeof doc.applianceVersion === 'string' ? semver.valid(doc.applianceVersion) : null;
  if (version === null) throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, `${MANIFEST_NAME} has no valid applianceVersion`]);
  if (semver.gt(version, applianceVersion)) {
    throw new BreakwaterError('BW_ERR_BACKUP_INCOMPATIBLE', [file, `it was made by Breakwater ${version}, newer than this ${applianceVersion}; restore it on ${version} or later`]);
  }
  if (!Array.isArray(doc.files) || !Array.isArray(doc.directories) || !Array.isArray(doc.skipped)) {
    throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, `${MANIFEST_NAME} lacks its files, directories or skipped lists`]);
  }
  const manifest = doc as BackupManifest;
  for (const f of manifest.files) {
    if (typeof f.path !== 'string' || typeof f.sha256 !== 'string' || !Number.isSafeInteger(f.size) || !Number.isInteger(f.mode) || !Number.isInteger(f.mtime)) {
      throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, `${MANIFEST_NAME} has a malformed file record`]);
    }
    checkPath(file, f.path);
  }
  for (const d of manifest.directories) {
    if (typeof d.path !== 'string' || !Number.isInteger(d.mode)) throw new BreakwaterError('BW_ERR_BACKUP_FORMAT', [file, `${MANIFEST_NAME} has a malformed directory record`]);
    checkPath(file, d.path);
  }
  return manifest;
}

/** The path must be "config" or "data", or below one of them, normalised, with no "..", "." or empty parts. */
function checkPath(file: string, path: string): void {
  const trimmed = path.replace(/\/$/, '');
  const parts = trimmed.split('/');
  const ok =
    (parts[0] === 'config' || parts[0] === 'data') &&
    parts.every((p) => p !== '' && p !== '.' && p !== '..' && !p.includes('\u0000')) &&
    posix.normalize(trimmed) === trimmed;
  if (!ok) throw new BreakwaterError('BW_ERR_BACKUP_UNSAFE_PATH', [file, path]);
}

/** Checks an archive entry against the manifest; returns its file record, or undefined for a directory. */
function checkEntry(file: string, manifest: BackupManifest, entry: TarEntryHeader): BackupFileRecord | undefined {
  checkPath(file, entry.path);
  if (entry.type === 'other') throw new BreakwaterError('BW_ERR_BACKUP_UNSAFE_PATH', [file, `${entry.path} (tar type ${entry.typeFlag}: only files and directories are restored)`]);
  const path = entry.path.replace(/\/$/, '');
  if (entry.type === 'directory') {
    if (!manifest.directories.some((d) => d.path === path)) throw corrupt(file, `directory ${path} is not in the manifest`);
    return undefined;
  }
  const record = fileIndex(manifest).get(path);
  if (record === undefined) throw corrupt(file, `${path} is not in the manifest`);
  if (record.size !== entry.size) throw corrupt(file, `${path} has ${entry.size} bytes, the manifest says ${record.size}`);
  return record;
}

const fileIndexes = new WeakMap<BackupManifest, Map<string, BackupFileRecord>>();

function fileIndex(manifest: BackupManifest): Map<string, BackupFileRecord> {
  let index = fileIndexes.get(manifest);
  if (index === undefined) {
    index = new Map(manifest.files.map((f) => [f.path, f]));
    fileIndexes.set(manifest, index);
  }
  return index;
}

function corrupt(file: string, why: string): BreakwaterError {
  return new BreakwaterError('BW_ERR_BACKUP_CORRUPT', [file, why]);
}

/** The version of the running appliance, from the nearest @breakwater/appliance package.json above this module. */
export async function applianceVersion(): Promise<string> {
  let dir = dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@breakwater/appliance' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: look one level up
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the @breakwater/appliance package.json to read the version from');
}
