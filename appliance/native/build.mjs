#!/usr/bin/env node
// Builds the udp-batch Node-API addon (udp-batch.c) into native/build/udp-batch.node with the system C
// compiler and Node's own headers. The intake runs without it (on dgram, slower), so a failed build is
// reported and exits 1 but breaks nothing else. Usage: node appliance/native/build.mjs [--quiet]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { realpathSync } from 'node:fs';

const here = dirname(new URL(import.meta.url).pathname);
const source = join(here, 'udp-batch.c');
const out = join(here, 'build', 'udp-batch.node');
const include = join(dirname(dirname(realpathSync(process.execPath))), 'include', 'node');
const quiet = process.argv.includes('--quiet');

if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) {
  if (!quiet) console.log(`udp-batch: up to date (${out})`);
  process.exit(0);
}
if (!existsSync(join(include, 'node_api.h'))) {
  console.error(`udp-batch: Node headers not found in ${include}; the intake will use dgram`);
  process.exit(1);
}
mkdirSync(join(here, 'build'), { recursive: true });
const cc = process.env.CC ?? 'cc';
const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', '-shared', '-fPIC', `-I${include}`, '-DNODE_GYP_MODULE_NAME=udp_batch', '-o', out, source], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('udp-batch: build failed; the intake will use dgram');
  process.exit(1);
}
if (!quiet) console.log(`udp-batch: built ${out}`);
