import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { applianceVersion, createBackup, restoreBackup, verifyBackup, type BackupManifest } from '../../src/backup/backup-archive.js';
import { readTar, TarWriter } from '../../src/backup/tar.js';
import { isBreakwaterError, type ErrorCode } from '../../src/errors.js';
import { main } from '../../src/cli/run.js';
import { PassThrough, Writable } from 'node:stream';

const VERSION = '0.1.0';

async function fixture(): Promise<{ base: string; configDir: string; dataDir: string }> {
  const base = await mkdtemp(join(tmpdir(), 'bw-backup-'));
  const configDir = join(base, 'etc-breakwater');
  const dataDir = join(base, 'var-lib-breakwater');
  await mkdir(join(configDir, 'tls'), { recursive: true });
  await mkdir(join(dataDir, 'bgp', 'exabgp'), { recursive: true });
  await mkdir(join(dataDir, 'runbooks', 'a'.repeat(90), 'b'.repeat(90)), { recursive: true });
  await writeFile(join(configDir, 'breakwater.yaml'), 'dataDir: /var/lib/breakwater\nlog:\n  level: info\n');
  await writeFile(join(configDir, 'tls', 'panel.key'), 'PRIVATE KEY\n', { mode: 0o640 });
  await writeFile(join(dataDir, 'bgp', 'desired-routes.json'), JSON.stringify({ routes: [{ id: 'r1' }] }));
  await writeFile(join(dataDir, 'audit.db'), Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 256)));
  // A path longer than ustar's 100-byte name field: needs the prefix field or a pax record.
  await writeFile(join(dataDir, 'runbooks', 'a'.repeat(90), 'b'.repeat(90), 'escalation-policy-for-customers.yaml'), 'stages: []\n');
  await writeFile(join(dataDir, 'empty'), '');
  return { base, configDir, dataDir };
}

async function treeDigest(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const p = join(d, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = await stat(p);
      if (st.isDirectory()) {
        out[`${r}/`] = (st.mode & 0o7777).toString(8);
        await walk(p, r);
      } else out[r] = `${(st.mode & 0o7777).toString(8)} ${createHash('sha256').update(await readFile(p)).digest('hex')}`;
    }
  };
  await walk(dir, '');
  return out;
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isBreakwaterError(err), `expected a BreakwaterError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

/** Rewrites an archive entry by entry; edit may change an entry's body or drop it (return undefined). */
async function rewrite(file: string, edit: (path: string, body: Buffer) => Buffer | undefined): Promise<void> {
  const entries: { path: string; type: 'file' | 'directory'; mode: number; body: Buffer }[] = [];
  await readTar(
    (async function* () {
      yield gunzipSync(await readFile(file));
    })(),
    async (h, body) => {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c);
      entries.push({ path: h.path, type: h.type === 'directory' ? 'directory' : 'file', mode: h.mode, body: Buffer.concat(chunks) });
    },
  );
  const sink = new PassThrough();
  const parts: Buffer[] = [];
  sink.on('data', (c: Buffer) => parts.push(c));
  const tar = new TarWriter(sink);
  for (const e of entries) {
    if (e.type === 'directory') {
      await tar.addDirectory({ path: e.path, mode: e.mode, mtimeSeconds: 0 });
      continue;
    }
    const body = edit(e.path, e.body);
    if (body !== undefined) await tar.addFile({ path: e.path, mode: e.mode, mtimeSeconds: 0 }, body, body.length);
  }
  await tar.end();
  await writeFile(file, gzipSync(Buffer.concat(parts)));
}

test('create then restore gives back both trees byte for byte, with modes', async () => {
  const { base, configDir, dataDir } = await fixture();
  try {
    const file = join(base, 'backup.tar.gz');
    const before = { config: await treeDigest(configDir), data: await treeDigest(dataDir) };
    const manifest = await createBackup({ file, configDir, dataDir, applianceVersion: VERSION });
    assert.equal(manifest.files.length, 6);
    assert.equal((await stat(file)).mode & 0o777, 0o600, 'the archive holds secrets: owner-only');
    const verified = await verifyBackup(file, VERSION);
    assert.deepEqual(verified.files, manifest.files);

    const newConfig = join(base, 'new', 'etc-breakwater');
    const newData = join(base, 'new', 'var-lib-breakwater');
    await mkdir(newData, { recursive: true });
    await writeFile(join(newData, 'setup-token'), 'fresh image token\n');
    const result = await restoreBackup({ file, configDir: newConfig, dataDir: newData, applianceVersion: VERSION, now: new Date('2026-01-02T03:04:05Z') });
    assert.deepEqual(await treeDigest(newConfig), before.config);
    assert.deepEqual(await treeDigest(newData), before.data);
    assert.equal(result.previous.config, undefined, 'there was no config directory to keep');
    assert.equal(result.previous.data, `${newData}.pre-restore-20260102T030405Z`);
    assert.equal(await readFile(join(result.previous.data!, 'setup-token'), 'utf8'), 'fresh image token\n');
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('sockets and other special files are named in the manifest, not archived', async () => {
  const { base, configDir, dataDir } = await fixture();
  const server = createServer();
  try {
    await new Promise<void>((resolve) => server.listen(join(dataDir, 'bgp', 'exabgp', 'api.sock'), resolve));
    await symlink('/etc/passwd', join(dataDir, 'link'));
    const manifest = await createBackup({ file: join(base, 'b.tar.gz'), configDir, dataDir, applianceVersion: VERSION });
    assert.deepEqual(manifest.skipped.sort(), ['data/bgp/exabgp/api.sock', 'data/link']);
  } finally {
    server.close();
    await rm(base, { recursive: true, force: true });
  }
});

test('restore refuses a damaged, foreign or incompatible archive and writes nothing', async (t) => {
  const { base, configDir, dataDir } = await fixture();
  t.after(() => rm(base, { recursive: true, force: true }));
  const good = join(base, 'good.tar.gz');
  await createBackup({ file: good, configDir, dataDir, applianceVersion: VERSION });
  const goodBytes = await readFile(good);

  const cases: { name: string; code: ErrorCode; make: (file: string) => Promise<void> }[] = [
    { name: 'a flipped byte in a file', code: 'BW_ERR_BACKUP_CORRUPT', make: (f) => rewrite(f, (p, b) => (p === 'data/audit.db' ? Buffer.concat([b.subarray(0, 10), Buffer.from([b[10]! ^ 1]), b.subarray(11)]) : b)) },
    { name: 'a missing file', code: 'BW_ERR_BACKUP_CORRUPT', make: (f) => rewrite(f, (p, b) => (p === 'config/breakwater.yaml' ? undefined : b)) },
    { name: 'a truncated archive', code: 'BW_ERR_BACKUP_CORRUPT', make: (f) => writeFile(f, gzipSync(gunzipSync(goodBytes).subarray(0, 150_000))) },
    { name: 'a cut gzip stream', code: 'BW_ERR_BACKUP_CORRUPT', make: (f) => writeFile(f, goodBytes.subarray(0, goodBytes.length - 100)) },
    { name: 'not gzip at all', code: 'BW_ERR_BACKUP_FORMAT', make: (f) => writeFile(f, 'dataDir: /tmp\n') },
    { name: 'a gzip that is not tar', code: 'BW_ERR_BACKUP_FORMAT', make: (f) => writeFile(f, gzipSync(Buffer.alloc(4096, 7))) },
    { name: 'another format name', code: 'BW_ERR_BACKUP_FORMAT', make: (f) => rewrite(f, (p, b) => (p === 'manifest.json' ? edited(b, (m) => ({ ...m, format: 'something-else' as never })) : b)) },
    { name: 'a newer format version', code: 'BW_ERR_BACKUP_INCOMPATIBLE', make: (f) => rewrite(f, (p, b) => (p === 'manifest.json' ? edited(b, (m) => ({ ...m, formatVersion: 2 })) : b)) },
    { name: 'made by a newer Breakwater', code: 'BW_ERR_BACKUP_INCOMPATIBLE', make: (f) => rewrite(f, (p, b) => (p === 'manifest.json' ? edited(b, (m) => ({ ...m, applianceVersion: '9.0.0' })) : b)) },
    { name: 'a path escaping the target', code: 'BW_ERR_BACKUP_UNSAFE_PATH', make: (f) => rewrite(f, (p, b) => (p === 'manifest.json' ? edited(b, (m) => ({ ...m, files: [...m.files, { ...m.files[0]!, path: 'data/../../etc/cron.d/x' }] })) : b)) },
  ];
  for (const c of cases) {
    const file = join(base, 'bad.tar.gz');
    await writeFile(file, goodBytes);
    await c.make(file);
    const target = join(base, `restore-${c.code}`);
    await rejectsWith(verifyBackup(file, VERSION), c.code).catch((err: Error) => assert.fail(`${c.name}: ${err.message}`));
    await rejectsWith(restoreBackup({ file, configDir: join(target, 'etc'), dataDir: join(target, 'data'), applianceVersion: VERSION }), c.code);
    await assert.rejects(stat(target), { code: 'ENOENT' }, `${c.name}: nothing may be written`);
  }
});

function edited(body: Buffer, change: (m: BackupManifest) => BackupManifest): Buffer {
  return Buffer.from(JSON.stringify(change(JSON.parse(body.toString('utf8')) as BackupManifest)));
}

test('breakwater backup create / verify / restore from the command line, with --json', async () => {
  const { base, configDir, dataDir } = await fixture();
  try {
    const run = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
      const code = await main(args, { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), stdin: process.stdin });
      return { code, out, err };
    };
    const file = join(base, 'cli.tar.gz');
    const created = await run(['backup', 'create', file, '--config-dir', configDir, '--data-dir', dataDir, '--json']);
    assert.equal(created.code, 0, created.err);
    assert.equal(JSON.parse(created.out).files, 6);
    const verified = await run(['backup', 'verify', file]);
    assert.equal(verified.code, 0, verified.err);
    assert.match(verified.out, new RegExp(`OK, 6 files, made .* by Breakwater ${await applianceVersion()}`));
    const restored = await run(['backup', 'restore', file, '--config-dir', join(base, 'r', 'etc'), '--data-dir', join(base, 'r', 'data')]);
    assert.equal(restored.code, 0, restored.err);
    const bad = await run(['backup', 'verify', join(base, 'r', 'etc', 'breakwater.yaml'), '--json']);
    assert.equal(bad.code, 1);
    assert.equal(JSON.parse(bad.out).code, 'BW_ERR_BACKUP_FORMAT');
    assert.equal((await run(['backup', 'create'])).code, 2);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
