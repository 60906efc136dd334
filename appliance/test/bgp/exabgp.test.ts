// ExaBGP 4.2 as the speaker, peered over a veth pair (with TCP-MD5) with a router BIRD in another namespace.
// Besides the common suite: ExaBGP respawning its API process (the bridge) must keep every route, and the
// controller must re-send its whole desired state to the new process.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { commandMissing, eventually, netnsUnavailableReason } from '../support/netns.js';
import { routerView } from './helpers/router-view.js';
import { speakerSuite } from './helpers/speaker-suite.js';

/** The socket path a bridge was started with (its last argument). */
function bridgeSocket(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).at(-1)!;
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const skip = netnsUnavailableReason() ?? commandMissing('/usr/sbin/exabgp', '/usr/sbin/bird');
describe('ExaBGP speaker against a router BIRD', { skip, concurrency: 1 }, () => {
  speakerSuite({
    kind: 'exabgp',
    daemonPidFile: 'exabgp.pid',
    sessionTimeoutMs: 15_000,
    password: 'bw-md5-test',
    extraTests: (ctx) => {
      test('exabgp: the bridge of a daemon a killed controller left behind cannot reach the next controller', async () => {
        await ctx.converge('steady state', ctx.steady(), 5_000);
        const dir = join(ctx.dataDir(), 'bgp', 'exabgp');
        const leftover = Number(readFileSync(join(dir, 'exabgp.pid'), 'utf8'));
        const [oldBridge] = childPids(leftover);
        assert.ok(oldBridge !== undefined, 'ExaBGP runs the bridge as its child');
        const oldSocket = bridgeSocket(oldBridge);
        await ctx.restartAfterKill9();
        const daemon = Number(readFileSync(join(dir, 'exabgp.pid'), 'utf8'));
        assert.notEqual(daemon, leftover, 'the leftover daemon was replaced');
        const [newBridge] = childPids(daemon);
        assert.ok(newBridge !== undefined);
        const newSocket = bridgeSocket(newBridge);
        // Each start listens on a socket of its own; the old one is gone, so a reconnecting old bridge finds nothing.
        assert.notEqual(newSocket, oldSocket);
        assert.equal(existsSync(oldSocket), false);
        assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.sock')), [newSocket.split('/').at(-1)]);
        await ctx.converge('the same routes under the new controller', ctx.steady(), 10_000);
      });

      test('exabgp: when ExaBGP respawns its API process, the routes stay and the new bridge gets the whole state', async () => {
        await ctx.converge('steady state', ctx.steady(), 5_000);
        const exabgp = Number(readFileSync(join(ctx.dataDir(), 'bgp', 'exabgp', 'exabgp.pid'), 'utf8'));
        const [bridge] = childPids(exabgp);
        assert.ok(bridge !== undefined, 'ExaBGP runs the bridge as its child');
        process.kill(bridge, 'SIGKILL');
        const respawned = await eventually('ExaBGP to respawn the bridge', 10_000, () => {
          const now = childPids(exabgp);
          return now.length > 0 && !now.includes(bridge) ? now[0] : undefined;
        });
        assert.notEqual(respawned, bridge);
        // The routes never left the router: ExaBGP kept its RIB and the session.
        assert.deepEqual(await routerView(ctx.lab().router), ctx.steady());
        assert.equal(await ctx.lab().router.sessionUp('speaker'), true);
        // And the controller talks to the new process: a new rule goes through it.
        const report = await eventually('a reconcile pass through the new bridge', 10_000, async () => {
          const r = await ctx.controller().reconcile();
          return r.error === undefined ? r : undefined;
        });
        assert.equal(report.inSync, true);
      });
    },
  });
});
