// `breakwater plugins list` and `breakwater plugins check DIR`, run through the CLI's main() on the fixtures.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli as cli } from '../support/run-cli.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bw-cli-plugins-'));
const configFile = join(dir, 'breakwater.json');
writeFileSync(
  configFile,
  JSON.stringify({ dataDir: dir, plugins: { directory: fixtures, hookTimeoutMs: 1000, settings: { 'good-notifier': { enabled: false }, 'bad-config': { config: { url: 'not a url', timeoutMs: 5 } } } } }),
);
after(() => rmSync(dir, { recursive: true, force: true }));

test('plugins list: every folder with its manifest verdict, exit 1 because some are refused', async () => {
  const text = await cli(['plugins', 'list', '--config', configFile]);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /^good-tier\s+1\.0\.0\s+tier\s+in-process\s+ok$/m);
  assert.match(text.stdout, /^good-notifier\s+1\.0\.0\s+notifier\s+in-process\s+disabled$/m);
  assert.match(text.stdout, /^wrong-api-version\s+-\s+-\s+-\s+refused: BW_ERR_PLUGIN_API_VERSION$/m);
  assert.match(text.stderr, /BW_ERR_PLUGIN_SDK_RANGE: Plugin sdk-range-mismatch needs @breakwater\/sdk "\^2\.0\.0"; this appliance has 0\.1\.0/);

  const json = await cli(['plugins', 'list', '--config', configFile, '--json']);
  const parsed = JSON.parse(json.stdout) as { apiVersion: number; plugins: { name: string; status: string; error?: { code: string } }[] };
  assert.equal(parsed.apiVersion, 1);
  const status = Object.fromEntries(parsed.plugins.map((p) => [`${p.name}@${p.status}`, p.error?.code ?? '']));
  assert.equal(status['duplicate-name@refused'], 'BW_ERR_PLUGIN_DUPLICATE');
  assert.equal(status['duplicate-name@ok'], '');
  // Manifest checks only: config and load problems show up in `plugins check`, not here.
  assert.equal(status['bad-config@ok'], '');
  assert.equal(status['throws-in-create@ok'], '');
});

const checks: { folder: string; code: number; out: RegExp }[] = [
  { folder: 'good-tier', code: 0, out: /good-tier 1\.0\.0 \(tier, plugin API 1, in-process\): OK, loaded, started and stopped/ },
  { folder: 'bad-config', code: 1, out: /BW_ERR_PLUGIN_CONFIG \(config\): Plugin bad-config configuration \(plugins\.settings\["bad-config"\]\.config\) is invalid: \/url must match format "uri"/ },
  { folder: 'throws-in-create', code: 1, out: /BW_ERR_PLUGIN_LOAD \(create\): Plugin throws-in-create failed in create while loading: scrubbing-center token missing/ },
  { folder: 'rejects-in-start', code: 1, out: /BW_ERR_PLUGIN_LOAD \(start\): .*ECONNREFUSED/ },
  { folder: 'wrong-api-version', code: 1, out: /BW_ERR_PLUGIN_API_VERSION \(manifest\): Plugin wrong-api-version is written for plugin API 2; this appliance speaks plugin API 1/ },
];

for (const c of checks) {
  test(`plugins check ${c.folder}: exit ${c.code}`, async () => {
    const r = await cli(['plugins', 'check', join(fixtures, c.folder), '--config', configFile]);
    assert.equal(r.code, c.code, r.stderr);
    assert.match(c.code === 0 ? r.stdout : r.stderr, c.out);
  });
}

test('plugins check --json, and usage errors', async () => {
  const r = await cli(['plugins', 'check', join(fixtures, 'bad-config'), '--config', configFile, '--json']);
  const parsed = JSON.parse(r.stdout) as { ok: boolean; code: string; hook: string; name: string };
  assert.deepEqual([parsed.ok, parsed.code, parsed.hook, parsed.name], [false, 'BW_ERR_PLUGIN_CONFIG', 'config', 'bad-config']);
  assert.equal((await cli(['plugins', 'check'])).code, 2);
});
