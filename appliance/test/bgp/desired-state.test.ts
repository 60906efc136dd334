// The desired state on disk: written atomically (old or new document, never a torn one), folded writes,
// expiry, owners, and route identity (same NLRI = same route whatever order the match was written in).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CoalescingRunner } from '../../src/bgp/coalescing-runner.js';
import { DesiredStateStore } from '../../src/bgp/desired-state.js';
import { hostRoute } from '../../src/bgp/bgp-speaker.js';
import { flowRouteId, rtbhRouteId } from '../../src/bgp/route-key.js';
import type { DesiredRoute } from '../../src/bgp/speaker.js';
import { isBreakwaterError } from '../../src/errors.js';
import { eq } from '../../src/flowspec/numeric-match.js';

const dir = mkdtempSync(join(tmpdir(), 'bwt-desired-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const rtbh = (prefix: string, owner: string, expiresAt: number | null = null): DesiredRoute => ({
  kind: 'rtbh', id: rtbhRouteId(prefix), prefix, family: 'ipv4', communities: ['65535:666'], nextHop: '192.0.2.1', owner, createdAt: 1, expiresAt,
});

test('a saved state is read back by a new store (a restarted controller)', async () => {
  const file = join(dir, 'a', 'desired-routes.json');
  const store = new DesiredStateStore(file);
  await store.load();
  assert.equal(store.size, 0);
  store.put(rtbh('203.0.113.1/32', 'attack-1'));
  store.put(rtbh('203.0.113.2/32', 'attack-2', 5_000));
  await store.save();
  const again = new DesiredStateStore(file);
  await again.load();
  assert.deepEqual(again.all().map((r) => r.id).sort(), ['rtbh-203.0.113.1/32', 'rtbh-203.0.113.2/32']);
  assert.equal(again.nextExpiry(), 5_000);
  assert.deepEqual(again.takeExpired(5_000).map((r) => r.owner), ['attack-2']);
  assert.deepEqual(again.removeOwner('attack-1').map((r) => r.id), ['rtbh-203.0.113.1/32']);
  // No temporary files are left next to the document.
  assert.deepEqual(readdirSync(join(dir, 'a')), ['desired-routes.json']);
});

test('1,000 concurrent saves are folded into a few writes and all of them are durable', async () => {
  const file = join(dir, 'b.json');
  const store = new DesiredStateStore(file);
  await store.load();
  await Promise.all(
    Array.from({ length: 1000 }, (_, i) => {
      store.put(rtbh(`198.18.${i >> 8}.${i & 255}/32`, 'bulk'));
      return store.save();
    }),
  );
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { routes: unknown[] }).routes.length, 1000);
});

test('a corrupt state file is reported with BW_ERR_BGP_STATE, not silently emptied', async () => {
  const file = join(dir, 'c.json');
  writeFileSync(file, '{"version":1,"routes":[');
  const store = new DesiredStateStore(file);
  await assert.rejects(store.load(), (err) => isBreakwaterError(err, 'BW_ERR_BGP_STATE'));
});

test('CoalescingRunner: a request during a run gets the next run, and requests queued together share it', async () => {
  let runs = 0;
  let release!: () => void;
  const runner = new CoalescingRunner(async () => {
    runs++;
    if (runs === 1) await new Promise<void>((r) => (release = r));
  });
  const first = runner.run();
  await new Promise((r) => setImmediate(r));
  const second = runner.run();
  const third = runner.run();
  assert.equal(second, third);
  release();
  await Promise.all([first, second, third]);
  assert.equal(runs, 2);
});

test('route ids: the same NLRI gives the same id whatever the key order; actions do not change it', () => {
  const a = flowRouteId({ family: 'ipv4', match: { destination: { prefix: '203.0.113.1/32' }, protocol: eq(17), sourcePort: eq(53) }, actions: [{ type: 'discard' }] });
  const b = flowRouteId({ family: 'ipv4', match: { sourcePort: eq(53), protocol: eq(17), destination: { prefix: '203.0.113.1/32' } }, actions: [{ type: 'rate-limit', bytesPerSecond: 1000 }] });
  const c = flowRouteId({ family: 'ipv4', match: { destination: { prefix: '203.0.113.1/32' }, protocol: eq(6), sourcePort: eq(53) }, actions: [{ type: 'discard' }] });
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('RTBH prefixes: host routes only, canonical text', () => {
  assert.deepEqual(hostRoute('203.0.113.7'), { prefix: '203.0.113.7/32', family: 'ipv4' });
  assert.deepEqual(hostRoute('2001:DB8:0::7/128'), { prefix: '2001:db8::7/128', family: 'ipv6' });
  for (const bad of ['203.0.113.0/24', 'not-an-address', '2001:db8::/64']) {
    assert.throws(() => hostRoute(bad), (err) => isBreakwaterError(err, 'BW_ERR_BGP_RTBH_PREFIX'), bad);
  }
});
