// Tier1Firewall as the mitigation engine sees it: one id for a rule offered to agents (and applied locally when
// configured), refusal of what no backend could express, and nothing at all when Tier 1 is not configured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { FirewallSchema, type FirewallConfig } from '../../src/firewall/config-schema.js';
import { Tier1Firewall } from '../../src/firewall/tier1-firewall.js';
import { isBreakwaterError } from '../../src/errors.js';


test('offers a rule to agents under one id, sums their counters, and removes it', async () => {
  const fw = new Tier1Firewall(Value.Default(FirewallSchema, { agents: { enabled: true } }) as FirewallConfig, '/nonexistent');
  assert.equal(fw.enabled, true);
  const receipt = await fw.apply({ match: { destination: { prefix: '203.0.113.10/32' } }, action: { type: 'drop' } }, { attackId: 'm-1', ttlSeconds: 30 });
  const agent = { name: 'web-1', prefixes: ['203.0.113.0/24'], sha256: '', createdAt: 0 };
  assert.deepEqual(fw.board!.entriesFor(agent).map((e) => e.id), [receipt.id]);
  fw.board!.report(agent, [{ id: receipt.id, expiresAt: receipt.expiresAt, packets: 7, bytes: 700 }]);
  assert.deepEqual({ ...(await fw.counters(receipt.id))!, readAt: 0 }, { packets: 7, bytes: 700, readAt: 0 });
  assert.equal(await fw.remove(receipt.id), true);
  assert.deepEqual(fw.board!.entriesFor(agent), []);
});

test('refuses an inexpressible match before any agent sees it; unconfigured Tier 1 refuses everything', async () => {
  const fw = new Tier1Firewall(Value.Default(FirewallSchema, { agents: { enabled: true } }) as FirewallConfig, '/nonexistent');
  await assert.rejects(
    fw.apply({ match: { destination: { prefix: '2001:db8::/64', offset: 8 } }, action: { type: 'drop' } }, { attackId: 'm-1', ttlSeconds: 30 }),
    (err) => isBreakwaterError(err, 'BW_ERR_FIREWALL_UNSUPPORTED'),
  );
  const off = new Tier1Firewall(Value.Default(FirewallSchema, {}) as FirewallConfig, '/nonexistent');
  assert.equal(off.enabled, false);
  await assert.rejects(off.apply({ match: { destination: { prefix: '203.0.113.10/32' } }, action: { type: 'drop' } }, { attackId: 'm', ttlSeconds: 1 }), (err) => isBreakwaterError(err, 'BW_ERR_FIREWALL_UNAVAILABLE'));
});
