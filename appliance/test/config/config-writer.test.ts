import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigWriter } from '../../src/config/config-writer.js';
import { isBreakwaterError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'bwt-cfgw-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ORIGINAL = `# the operator's comment stays
log:
  level: warn # and this one
mitigation:
  mode: detect-only
`;

function fresh(name: string, text = ORIGINAL): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('ConfigWriter', () => {
  it('writes a valid change, keeps the previous file as .bak and the untouched sections with their comments', async () => {
    const file = fresh('a.yaml');
    const result = await new ConfigWriter(file).update((doc) => {
      doc.mitigation = { mode: 'approve' };
    });
    assert.deepEqual(result.changed, ['mitigation']);
    assert.equal(result.written, true);
    assert.equal(result.config.mitigation.mode, 'approve');
    const text = readFileSync(file, 'utf8');
    assert.match(text, /# the operator's comment stays/);
    assert.match(text, /level: warn # and this one/);
    assert.match(text, /mode: approve/);
    assert.equal(readFileSync(`${file}.bak`, 'utf8'), ORIGINAL);
    assert.equal(existsSync(`${file}.lock`), false);
  });

  it('refuses an invalid result with every problem and its path, and leaves the file byte for byte', async () => {
    const file = fresh('b.yaml');
    await assert.rejects(
      new ConfigWriter(file).update((doc) => {
        doc.log = { level: 'loud' };
        doc.runbooks = [{ name: 'x', stages: [{ name: 's', tier: '@breakwater/tier-rtbh', maxLifetimeSeconds: 999999999 }] }];
      }),
      (err: unknown) => {
        assert.ok(isBreakwaterError(err, 'BW_ERR_CONFIG_INVALID'));
        const paths = (err.details?.problems as { path: string }[]).map((p) => p.path);
        assert.ok(paths.includes('/log/level'), paths.join(','));
        return true;
      },
    );
    assert.equal(readFileSync(file, 'utf8'), ORIGINAL);
    assert.equal(existsSync(`${file}.bak`), false);
  });

  it('refuses a result the semantic checks reject (runbook validation), file unchanged', async () => {
    const file = fresh('c.yaml');
    await assert.rejects(
      new ConfigWriter(file).update((doc) => {
        doc.runbooks = [{ name: 'web', match: { hostGroups: ['nope'] }, stages: [{ name: 'a', tier: '@breakwater/tier-rtbh' }] }];
      }),
      (err: unknown) => isBreakwaterError(err, 'BW_ERR_CONFIG_INVALID') && (err.details?.problems as { path: string }[]).some((p) => p.path === '/runbooks/0/match/hostGroups/0'),
    );
    assert.equal(readFileSync(file, 'utf8'), ORIGINAL);
  });

  it('runs the caller\'s extra check and refuses on its problems', async () => {
    const file = fresh('d.yaml');
    await assert.rejects(
      new ConfigWriter(file).update(
        (doc) => {
          doc.log = { level: 'error' };
        },
        () => [{ path: '/plugins/settings/x/config/port', message: 'must be a number' }],
      ),
      (err: unknown) => isBreakwaterError(err, 'BW_ERR_CONFIG_INVALID') && /must be a number/.test(err.message),
    );
    assert.equal(readFileSync(file, 'utf8'), ORIGINAL);
  });

  it('serialises concurrent changes: none is lost', async () => {
    const file = fresh('e.yaml', 'hostGroups: []\nnetworks: []\n');
    const writer = new ConfigWriter(file);
    const other = new ConfigWriter(file);
    const prefixes = ['198.18.0.0/24', '198.18.1.0/24', '198.18.2.0/24', '198.18.3.0/24', '198.18.4.0/24', '198.18.5.0/24'];
    await Promise.all(
      prefixes.map((p, i) =>
        (i % 2 === 0 ? writer : other).update((doc) => {
          doc.networks = [...((doc.networks as string[] | undefined) ?? []), p];
        }),
      ),
    );
    const final = await writer.read();
    assert.deepEqual([...(final.networks as string[])].sort(), [...prefixes].sort());
  });

  it('creates a file that does not exist yet, without a .bak', async () => {
    const file = join(dir, 'new.yaml');
    const result = await new ConfigWriter(file).update((doc) => {
      doc.log = { level: 'debug' };
    });
    assert.equal(result.written, true);
    assert.equal(existsSync(`${file}.bak`), false);
    assert.deepEqual(await new ConfigWriter(file).read(), { log: { level: 'debug' } });
  });

  it('writes nothing when the change changes nothing', async () => {
    const file = fresh('f.yaml');
    const result = await new ConfigWriter(file).update(() => undefined);
    assert.equal(result.written, false);
    assert.equal(existsSync(`${file}.bak`), false);
  });
});
