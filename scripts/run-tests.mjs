#!/usr/bin/env node
// Finds every *.test.ts under the workspaces and runs them with node:test through tsx.
// Node 20's --test takes no globs, so the list is built here. Arguments narrow the run:
//   node scripts/run-tests.mjs sflow      -> only files whose path contains "sflow"
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
const args = ['--conditions=source', '--import', 'tsx', '--test', '--test-concurrency=1', ...files];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
