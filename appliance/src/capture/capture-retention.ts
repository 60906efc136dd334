// Deletes attack pcap files past the retention: files older than retentionDays, then the oldest files while
// all of them together exceed maxTotalBytes. Files of attacks still being captured are never deleted. Only
// "*.pcap" files in the attacks folder are looked at (the attack history keeps its own files elsewhere).
// Failures are reported to the caller as counts, never thrown: retention must not stop a capture.
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface RetentionPolicy {
  retentionDays: number;
  maxTotalBytes: number;
}

export interface PruneResult {
  files: number;
  bytes: number;
  deleted: number;
  deletedBytes: number;
  errors: number;
}

/** Prunes `dir`; `active` holds the file names (not paths) in use. `nowMs` is the wall clock. */
export async function pruneAttackPcaps(dir: string, policy: RetentionPolicy, active: ReadonlySet<string>, nowMs = Date.now()): Promise<PruneResult> {
  const result: PruneResult = { files: 0, bytes: 0, deleted: 0, deletedBytes: 0, errors: 0 };
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.pcap'));
  } catch {
    result.errors++;
    return result;
  }
  const files: { name: string; size: number; mtimeMs: number }[] = [];
  for (const name of names) {
    try {
      const s = await stat(join(dir, name));
      if (s.isFile()) files.push({ name, size: s.size, mtimeMs: s.mtimeMs });
    } catch {
      // Deleted meanwhile.
    }
  }
  files.sort((a, b) => a.mtimeMs - b.mtimeMs);
  let total = files.reduce((sum, f) => sum + f.size, 0);
  const oldest = nowMs - policy.retentionDays * 86_400_000;
  const kept: typeof files = [];
  const remove = async (f: (typeof files)[number]): Promise<void> => {
    try {
      await unlink(join(dir, f.name));
      result.deleted++;
      result.deletedBytes += f.size;
      total -= f.size;
    } catch {
      result.errors++;
    }
  };
  for (const f of files) {
    if (!active.has(f.name) && f.mtimeMs < oldest) await remove(f);
    else kept.push(f);
  }
  for (const f of kept) {
    if (total <= policy.maxTotalBytes) break;
    if (!active.has(f.name)) await remove(f);
  }
  result.files = files.length - result.deleted;
  result.bytes = total;
  return result;
}
