import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, validateConfig, splitHostPort } from '../../src/config/load.js';
import { renderConfigKeyTable } from '../../src/config/reference.js';
import { isBreakwaterError } from '../../src/errors.js';

test('no configuration at all gives a working appliance on embedded defaults', () => {
  const r = validateConfig(undefined);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.deepEqual(r.config.sflow.listen, ['0.0.0.0:6343', '[::]:6343']);
  assert.equal(r.config.health.host, '127.0.0.1');
  assert.equal(r.config.dataDir, '/var/lib/breakwater');
});

const invalid: { name: string; doc: unknown; paths: string[] }[] = [
  { name: 'unknown top-level key', doc: { sflw: {} }, paths: ['/sflw'] },
  { name: 'unknown nested key', doc: { sflow: { port: 6343 } }, paths: ['/sflow/port'] },
  { name: 'wrong type', doc: { sflow: { workers: 'two' } }, paths: ['/sflow/workers'] },
  { name: 'bad log level', doc: { log: { level: 'loud' } }, paths: ['/log/level'] },
  { name: 'listen without port', doc: { sflow: { listen: ['0.0.0.0'] } }, paths: ['/sflow/listen/0'] },
  { name: 'listen port out of range', doc: { sflow: { listen: ['0.0.0.0:70000'] } }, paths: ['/sflow/listen/0'] },
  { name: 'several problems at once', doc: { sflow: { workers: -1, receiveBufferBytes: 10 }, health: { port: 'x' } }, paths: ['/sflow/workers', '/sflow/receiveBufferBytes', '/health/port'] },
  { name: 'not a mapping', doc: [1, 2], paths: ['/'] },
];

for (const c of invalid) {
  test(`rejects ${c.name}, naming every path`, () => {
    const r = validateConfig(c.doc);
    assert.equal(r.ok, false);
    if (r.ok) return;
    const paths = r.problems.map((p) => p.path);
    for (const p of c.paths) assert.ok(paths.includes(p), `expected ${p} among ${paths.join(', ')}`);
  });
}

test('listen addresses split into host and port, IPv6 in brackets', () => {
  assert.deepEqual(splitHostPort('[::]:6343'), { host: '::', port: 6343 });
  assert.deepEqual(splitHostPort('[2001:db8::1]:9'), { host: '2001:db8::1', port: 9 });
  assert.deepEqual(splitHostPort('127.0.0.1:6343'), { host: '127.0.0.1', port: 6343 });
});

test('loadConfig reports unreadable, unparsable and invalid files with their codes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-config-'));
  try {
    await assert.rejects(loadConfig(join(dir, 'missing.yaml')), (e) => isBreakwaterError(e, 'BW_ERR_CONFIG_READ'));
    writeFileSync(join(dir, 'bad.yaml'), 'sflow: [unclosed\n');
    await assert.rejects(loadConfig(join(dir, 'bad.yaml')), (e) => isBreakwaterError(e, 'BW_ERR_CONFIG_PARSE'));
    writeFileSync(join(dir, 'invalid.yaml'), 'sflow:\n  workers: many\n');
    await assert.rejects(loadConfig(join(dir, 'invalid.yaml')), (e) => isBreakwaterError(e, 'BW_ERR_CONFIG_INVALID') && e.message.includes('/sflow/workers'));
    writeFileSync(join(dir, 'good.yaml'), 'dataDir: /tmp/x\nsflow:\n  listen: ["127.0.0.1:16343"]\n');
    const config = await loadConfig(join(dir, 'good.yaml'));
    assert.equal(config.dataDir, '/tmp/x');
    assert.deepEqual(config.sflow.listen, ['127.0.0.1:16343']);
    assert.equal(config.sflow.receiveBufferBytes, 33554432);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('docs/configuration.md documents every key exactly as the schema says', () => {
  const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  const generated = doc.slice(doc.indexOf('<!-- BEGIN GENERATED KEYS -->'), doc.indexOf('<!-- END GENERATED KEYS -->'));
  assert.ok(generated.includes(renderConfigKeyTable()), 'run scripts/gen-config-doc.ts and commit docs/configuration.md');
});
