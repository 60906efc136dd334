// Diversion routes (Tier 4, BGP diversion community) through each speaker that can announce them — ExaBGP,
// BIRD and GoBGP — peered over a veth pair with a router BIRD in another namespace (helpers/diversion-suite.ts
// says what is checked). FRR cannot announce them: diversion-route.test.ts checks its refusal.
import { describe } from 'node:test';
import { commandMissing, netnsUnavailableReason } from '../support/netns.js';
import { diversionSuite } from './helpers/diversion-suite.js';

const netns = netnsUnavailableReason();

describe('diversion routes: ExaBGP speaker to a router BIRD', { skip: netns ?? commandMissing('/usr/sbin/exabgp', '/usr/sbin/bird'), concurrency: 1 }, () => {
  diversionSuite({ kind: 'exabgp', daemonPidFile: 'exabgp.pid', sessionTimeoutMs: 15_000 });
});

describe('diversion routes: BIRD speaker to a router BIRD', { skip: netns ?? commandMissing('/usr/sbin/bird'), concurrency: 1 }, () => {
  diversionSuite({ kind: 'bird', daemonPidFile: 'bird.pid', sessionTimeoutMs: 15_000 });
});

describe('diversion routes: GoBGP speaker to a router BIRD', { skip: netns ?? commandMissing('/usr/bin/gobgpd', '/usr/bin/gobgp', '/usr/sbin/bird'), concurrency: 1 }, () => {
  diversionSuite({ kind: 'gobgp', daemonPidFile: 'gobgpd.pid', sessionTimeoutMs: 20_000 });
});
