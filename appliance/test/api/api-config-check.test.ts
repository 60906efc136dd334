// The api section's cross-key check: the REST API's address may not be one the agent API or the health
// endpoint already takes (the agent API also defaults to [::]:8443).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listenersCollide } from '../../src/api/api-config-check.js';
import { validateConfig } from '../../src/config/load.js';

test('listeners collide on the same port when the hosts match or either is a wildcard', () => {
  const cases: [string, number, string, number, boolean][] = [
    ['::', 8443, '::', 8443, true],
    ['::', 8443, '192.0.2.10', 8443, true],
    ['127.0.0.1', 8443, '0.0.0.0', 8443, true],
    ['127.0.0.1', 8443, '192.0.2.10', 8443, false],
    ['::', 8443, '::', 8444, false],
    ['::', 0, '::', 0, false],
  ];
  for (const [ah, ap, bh, bp, want] of cases) assert.equal(listenersCollide({ host: ah, port: ap }, { host: bh, port: bp }), want, `${ah}:${ap} vs ${bh}:${bp}`);
});

test('config: agents on the default port with the API on its default is refused with both addresses named', () => {
  const clash = validateConfig({ firewall: { agents: { enabled: true } } });
  assert.equal(clash.ok, false);
  assert.deepEqual(!clash.ok && clash.problems.map((p) => p.path), ['/api/listen']);
  assert.match(!clash.ok ? clash.problems[0]!.message : '', /\[::\]:8443 collides with the agent API's firewall\.agents\.listen \(\[::\]:8443\)/);
  assert.ok(validateConfig({ firewall: { agents: { enabled: true, listen: '[::]:8444' } } }).ok);
  assert.ok(validateConfig({ firewall: { agents: { enabled: true } }, api: { enabled: false } }).ok, 'no API, no clash');
  const health = validateConfig({ api: { listen: '127.0.0.1:9180' } });
  assert.match(!health.ok ? health.problems[0]!.message : '', /collides with the health endpoint \(127\.0\.0\.1:9180\)/);
  assert.ok(validateConfig({}).ok, 'the defaults do not collide');
});
