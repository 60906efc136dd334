// gobgpd as the speaker (driven through the gobgp CLI), peered over a veth pair with a router BIRD in
// another namespace. gobgpd can take several seconds to open its first session: every wait polls.
import { describe } from 'node:test';
import { commandMissing, netnsUnavailableReason } from '../support/netns.js';
import { speakerSuite } from './helpers/speaker-suite.js';

const skip = netnsUnavailableReason() ?? commandMissing('/usr/bin/gobgpd', '/usr/bin/gobgp', '/usr/sbin/bird');
describe('GoBGP speaker against a router BIRD', { skip, concurrency: 1 }, () => {
  speakerSuite({ kind: 'gobgp', daemonPidFile: 'gobgpd.pid', sessionTimeoutMs: 20_000, password: 'bw-md5-test' });
});
