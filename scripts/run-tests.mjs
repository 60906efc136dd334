#!/usr/bin/env node
// Finds every *.test.ts under the workspaces and runs them with node:test through tsx.
// Node 20's --test takes no globs, so the list is built here. Arguments narrow the run:
//   node scripts/run-tests.mjs sflow      -> only files whose path contains "sflow"
// BW_TEST_FILE_TIMEOUT_MS (default 15 min) is the most one test file may take.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const roots = ['appliance', 'sdk', 'plugins', 'bird-tools', 'bench', 'lab', 'images'];
const skipDirs = new Set(['node_modules', 'dist', '.git']);

function walk(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (skipDirs.has(name)) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = roots.flatMap((r) => walk(join(root, r), []))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
// A bound, so that a hung test fails its file instead of holding CI until its limit: --test-timeout applies to
// each file as a whole when the runner runs files (the longest, the lab's e2e story, takes ~7 min); a file that
// leaves a handle open fails there too. Not --test-force-exit: it exits a file's process before its piped
// report is flushed, and a CI run lost the last 12 results of a file that way (counted as passing).
const fileTimeoutMs = Number(process.env.BW_TEST_FILE_TIMEOUT_MS ?? 15 * 60_000);
const args = ['--conditions=source', '--import', 'tsx', '--test', '--test-concurrency=1', `--test-timeout=${fileTimeoutMs}`, ...files];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
