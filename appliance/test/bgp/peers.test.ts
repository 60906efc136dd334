// The bgp configuration section and peering rules: defaults that start no speaker, cross-key checks with
// their paths, and fitting a FlowSpec rule to every FlowSpec peer's router profile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitRuleToPeers } from '../../src/bgp/peers.js';
import { validateConfig } from '../../src/config/load.js';
import type { BgpPeerConfig } from '../../src/config/schema.js';
import { isBreakwaterError } from '../../src/errors.js';
import { eq } from '../../src/flowspec/numeric-match.js';
import type { FlowSpecRule } from '../../src/flowspec/rule.js';

const peer = (over: Partial<BgpPeerConfig> = {}): BgpPeerConfig => ({ name: 'r1', address: '192.0.2.1', asn: 65000, families: ['ipv4-unicast', 'ipv4-flowspec'], profile: 'generic-rfc8955', ...over });

test('an empty configuration has no speaker, no peers and the RFC 7999 community', () => {
  const result = validateConfig({});
  assert.ok(result.ok);
  assert.equal(result.config.bgp.speaker, 'none');
  assert.deepEqual(result.config.bgp.peers, []);
  assert.deepEqual(result.config.bgp.rtbh.communities, ['65535:666']);
  assert.equal(result.config.bgp.shutdown, 'withdraw');
});

const cases: { name: string; bgp: Record<string, unknown>; path: string }[] = [
  { name: 'a speaker needs a local IPv4 address', bgp: { speaker: 'exabgp' }, path: '/bgp/localAddress' },
  { name: 'peer names are unique', bgp: { peers: [peer(), peer({ address: '192.0.2.2' })] }, path: '/bgp/peers/1/name' },
  { name: 'peer addresses are addresses', bgp: { peers: [peer({ address: 'router.example' })] }, path: '/bgp/peers/0/address' },
  { name: 'router profiles must exist', bgp: { peers: [peer({ profile: 'no-such-router' })] }, path: '/bgp/peers/0/profile' },
  { name: 'FRR cannot be given FlowSpec peers', bgp: { speaker: 'frr', localAddress: '192.0.2.10', peers: [peer()] }, path: '/bgp/peers/0/families' },
  { name: 'an MD5 password cannot carry quotes into a daemon config', bgp: { peers: [peer({ md5Password: 'a"b' })] }, path: '/bgp/peers/0/md5Password' },
  { name: 'an IPv6 peer needs an IPv6 local address', bgp: { speaker: 'bird', localAddress: '192.0.2.10', peers: [peer({ address: '2001:db8::1' })] }, path: '/bgp/peers/0/localAddress' },
  { name: 'RTBH next hops are addresses of their family', bgp: { rtbh: { nextHopIpv6: '192.0.2.1' } }, path: '/bgp/rtbh/nextHopIpv6' },
];
for (const c of cases) {
  test(`config check: ${c.name}`, () => {
    const result = validateConfig({ bgp: c.bgp });
    assert.equal(result.ok, false);
    if (!result.ok) assert.ok(result.problems.some((p) => p.path === c.path), JSON.stringify(result.problems));
  });
}

const rateLimited: FlowSpecRule = { family: 'ipv4', match: { destination: { prefix: '203.0.113.1/32' }, protocol: eq(17) }, actions: [{ type: 'rate-limit', bytesPerSecond: 1000 }] };

test('a rule is refused when any FlowSpec peer\'s profile refuses it, naming the peer', () => {
  assert.throws(
    () => fitRuleToPeers(rateLimited, [peer(), peer({ name: 'frr1', address: '192.0.2.2', profile: 'frr-receiver' })], 0),
    (err) => isBreakwaterError(err, 'BW_ERR_FLOWSPEC_PROFILE_REFUSED') && err.details?.peer === 'frr1',
  );
});

test('peers without FlowSpec families do not constrain FlowSpec rules', () => {
  const fit = fitRuleToPeers(rateLimited, [peer(), peer({ name: 'rtbh_only', address: '192.0.2.2', families: ['ipv4-unicast'], profile: 'frr-receiver' })], 0);
  assert.deepEqual(fit.rule, rateLimited);
  assert.deepEqual(fit.trimmed, []);
});

test('a profile\'s rule budget is enforced with BW_ERR_FLOWSPEC_PROFILE_LIMIT', () => {
  assert.throws(() => fitRuleToPeers(rateLimited, [peer({ profile: 'nokia-sros' })], 512), (err) => isBreakwaterError(err, 'BW_ERR_FLOWSPEC_PROFILE_LIMIT'));
});
