// BIRD 2 as the speaker (Breakwater runs it and owns its included routes file), peered over a veth pair
// with a router BIRD in another namespace.
import { describe } from 'node:test';
import { commandMissing, netnsUnavailableReason } from '../support/netns.js';
import { speakerSuite } from './helpers/speaker-suite.js';

const skip = netnsUnavailableReason() ?? commandMissing('/usr/sbin/bird');
describe('BIRD speaker against a router BIRD', { skip, concurrency: 1 }, () => {
  speakerSuite({ kind: 'bird', daemonPidFile: 'bird.pid', sessionTimeoutMs: 15_000, password: 'bw-md5-test' });
});
