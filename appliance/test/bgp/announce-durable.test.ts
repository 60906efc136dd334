// The speaker's promise: a route is on disk (the desired-state file) before any daemon is given it, also when a
// reconcile pass runs while routes are being announced. The pass reads the desired state from memory; with an
// asynchronous file write between put and save it announced routes whose write was still in flight (bench/e2e saw
// a rule at the router 11 ms before the speaker's own announce). The daemon here checks the file at every route
// it is given.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BgpSpeaker } from '../../src/bgp/bgp-speaker.js';
import { DesiredStateStore } from '../../src/bgp/desired-state.js';
import type { DesiredBgpRoute } from '../../src/bgp/speaker.js';
import type { SpeakerDaemon } from '../../src/bgp/speaker-daemon.js';
import { validateConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { cleanUpEverything, makeTempDir } from '../support/netns.js';

after(() => cleanUpEverything());

/** Takes routes as a daemon would (announce, and sync from the desired state) and notes any not yet on disk. */
class DurabilityCheckingDaemon implements SpeakerDaemon {
  readonly kind = 'exabgp' as const;
  readonly originatesFlowSpec = true;
  readonly originatesDiversion = true;
  readonly sent = new Set<string>();
  readonly notOnDisk: string[] = [];
  given = 0;
  desired: () => readonly DesiredBgpRoute[] = () => [];

  constructor(private readonly file: string) {}

  check(): void {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async announce(routes: readonly DesiredBgpRoute[]): Promise<void> {
    for (const r of routes) this.take(r);
  }
  async withdraw(routes: readonly DesiredBgpRoute[]): Promise<void> {
    for (const r of routes) this.sent.delete(r.id);
  }
  async sync() {
    const missing = this.desired().filter((r) => !this.sent.has(r.id));
    for (const r of missing) this.take(r);
    return { added: missing.length, removed: 0, inSync: true };
  }
  async peers() {
    return [];
  }

  private take(route: DesiredBgpRoute): void {
    this.given++;
    if (!this.onDisk().has(route.id)) this.notOnDisk.push(route.id);
    this.sent.add(route.id);
  }

  private onDisk(): Set<string> {
    try {
      return new Set((JSON.parse(readFileSync(this.file, 'utf8')) as { routes: { id: string }[] }).routes.map((r) => r.id));
    } catch {
      return new Set();
    }
  }
}

test('no route reaches the daemon before it is on disk, with reconcile passes running between the announcements', async () => {
  const file = join(makeTempDir('durable'), 'desired-routes.json');
  const result = validateConfig({ bgp: { speaker: 'exabgp', localAddress: '192.0.2.10', reconcileIntervalMs: 600_000, peers: [{ name: 'r1', address: '192.0.2.1', asn: 65000, families: ['ipv4-unicast'] }] } });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
  const store = new DesiredStateStore(file);
  const daemon = new DurabilityCheckingDaemon(file);
  daemon.desired = () => store.all();
  const speaker = new BgpSpeaker({ config: result.config.bgp, store, daemon, log: silentLogger() });
  await speaker.start();
  try {
    const announcing: Promise<unknown>[] = [];
    for (let i = 1; i <= 20; i++) {
      announcing.push(speaker.announceRtbh({ prefix: `203.0.113.${i}/32`, owner: `attack-${i}`, ttlSeconds: 600 }));
      // A pass on the next turn of the event loop, while the announcement above may still be writing.
      await new Promise((resolve) => setImmediate(resolve));
      announcing.push(speaker.reconcile());
    }
    await Promise.all(announcing);
    await speaker.reconcile();
    assert.equal(daemon.sent.size, 20, 'every route reached the daemon');
    assert.ok(daemon.given >= 20);
    assert.deepEqual(daemon.notOnDisk, [], 'routes given to the daemon before they were on disk');
  } finally {
    await speaker.stop();
  }
});
