// Tier 1 with real nftables in a network namespace: an attacker namespace sends real UDP to a victim namespace,
// the nftables backend (running `nft` through `ip netns exec`) drops the attack signature and nothing else, and
// its counters show the drops. Then: removal restores delivery, the TTL removes the rule by itself, and a
// restart reconciles away rules left behind by a crash.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { FirewallRule } from '@breakwater/sdk';
import { isBreakwaterError } from '../../src/errors.js';
import { FirewallService } from '../../src/firewall/firewall-service.js';
import { NftBackend } from '../../src/firewall/nft-backend.js';
import { renderNft } from '../../src/firewall/render-nft.js';
import { cleanUpEverything, commandMissing, eventually, netnsUnavailableReason } from '../support/netns.js';
import { ATTACK_SPORT, BENIGN_SPORT, PAYLOAD, RECEIVER_PORT, settled, startTrafficLab, type TrafficLab } from './helpers/traffic-lab.js';

const skip = netnsUnavailableReason() ?? commandMissing('/usr/sbin/nft');
let lab: TrafficLab;
let backend: NftBackend;

before(async () => {
  if (skip) return;
  lab = await startTrafficLab('fw', 41);
  backend = new NftBackend({ prefix: ['ip', 'netns', 'exec', lab.victim] });
});
after(() => cleanUpEverything());

const attackRule = (): FirewallRule => ({
  match: { destination: { prefix: `${lab.link.b.ipv4}/32` }, protocol: [[{ op: '=', value: 17 }]], sourcePort: [[{ op: '=', value: ATTACK_SPORT }]] },
  action: { type: 'drop' },
});
const nftList = (): string => execFileSync('ip', ['netns', 'exec', lab.victim, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });

test('drops the attack signature, keeps benign traffic, and the counter equals the packets sent', { skip }, async () => {
  await lab.send(ATTACK_SPORT, 200);
  await lab.send(BENIGN_SPORT, 200);
  assert.equal(await settled(lab, ATTACK_SPORT), 200, 'the path delivers before any rule');
  assert.equal(await settled(lab, BENIGN_SPORT), 200);

  const service = new FirewallService(backend);
  await service.start();
  const receipt = await service.apply(attackRule(), { attackId: 'atk-1', ttlSeconds: 60 });
  assert.match(nftList(), /hook prerouting priority -450/);

  await lab.send(ATTACK_SPORT, 2000);
  await lab.send(BENIGN_SPORT, 500);
  assert.equal(await settled(lab, BENIGN_SPORT), 700, 'benign datagrams still arrive');
  assert.equal(await lab.received(ATTACK_SPORT), 200, 'no attack datagram arrived after the rule');
  const counters = await service.counters(receipt.id);
  assert.equal(counters?.packets, 2000);
  assert.equal(counters?.bytes, 2000 * (20 + 8 + PAYLOAD));

  assert.equal(await service.remove(receipt.id), true);
  assert.doesNotMatch(nftList(), /bw:/);
  await lab.send(ATTACK_SPORT, 100);
  assert.equal(await settled(lab, ATTACK_SPORT), 300, 'removal restores delivery');
  await service.stop();
});

test('IPv6: the same inet table drops an IPv6 signature and leaves IPv4 to the same port alone', { skip }, async () => {
  const service = new FirewallService(backend);
  await service.start();
  const receipt = await service.apply(
    { match: { destination: { prefix: `${lab.link.b.ipv6}/128` }, protocol: [[{ op: '=', value: 17 }]], sourcePort: [[{ op: '=', value: ATTACK_SPORT }]] }, action: { type: 'drop' } },
    { attackId: 'atk-v6', ttlSeconds: 60 },
  );
  const v4Before = await lab.received(ATTACK_SPORT);
  await lab.send6(ATTACK_SPORT, 1000);
  await lab.send6(BENIGN_SPORT, 200);
  await lab.send(ATTACK_SPORT, 100);
  assert.equal(await settledOn(() => lab.received6(BENIGN_SPORT)), 200);
  assert.equal(await lab.received6(ATTACK_SPORT), 0);
  assert.equal(await settled(lab, ATTACK_SPORT), v4Before + 100, 'IPv4 to the same port is not matched');
  const counters = await service.counters(receipt.id);
  assert.equal(counters?.packets, 1000);
  assert.equal(counters?.bytes, 1000 * (40 + 8 + PAYLOAD));
  await service.remove(receipt.id);
  await service.stop();
});

async function settledOn(read: () => Promise<number>): Promise<number> {
  let last = -1;
  return eventually('delivery to settle', 5_000, async () => {
    const now = await read();
    if (now === last) return now;
    last = now;
    return undefined;
  }, 50);
}

test('TCP: a SYN-flood signature stops new connections to the attacked port only', { skip }, async () => {
  const service = new FirewallService(backend);
  await service.start();
  const attacked = RECEIVER_PORT + 1;
  const other = RECEIVER_PORT + 2;
  const receipt = await service.apply(
    { match: { destination: { prefix: `${lab.link.b.ipv4}/32` }, protocol: [[{ op: '=', value: 6 }]], destinationPort: [[{ op: '=', value: attacked }]], tcpFlags: [[{ flags: ['syn'], mode: 'all' }, { flags: ['ack'], mode: 'none' }]] }, action: { type: 'drop' } },
    { attackId: 'atk-tcp', ttlSeconds: 60 },
  );
  assert.equal(lab.connect(attacked, 3, 300), 0, 'no connection completes to the attacked port');
  assert.equal(lab.connect(other, 3, 1_000), 3, 'the other port still accepts');
  assert.equal(await lab.accepted(attacked), 0);
  assert.equal(await lab.accepted(other), 3);
  // Each attempt's SYN and its kernel retransmissions within the timeout were dropped.
  assert.ok(((await service.counters(receipt.id))?.packets ?? 0) >= 3);
  await service.remove(receipt.id);
  assert.equal(lab.connect(attacked, 3, 1_000), 3, 'removal restores connections');
  await service.stop();
});

// Detection's IP-fragments signature (signature.ts: is-fragment and not first-fragment): datagrams larger than the
// 1500-byte MTU leave the attacker as fragments; dropping the later ones before reassembly loses the datagram,
// while datagrams that fit one packet, to the same address and port, still arrive.
const laterFragments = (prefix: string): FirewallRule => ({
  match: { destination: { prefix }, fragment: [[{ flags: ['is-fragment'], mode: 'all' }, { flags: ['first-fragment'], mode: 'none' }]] },
  action: { type: 'drop' },
});
const FRAGMENTED_SPORT = 41000;
const WHOLE_SPORT = 41001;
const FRAGMENTED_PAYLOAD = 3000; // IPv4: 3 fragments (1480 + 1480 + 48 bytes), IPv6: 3 (1448 + 1448 + 112): 2 later ones each

test('fragments: the later-fragments signature drops fragmented datagrams, whole ones pass, 2 later fragments counted per datagram', { skip }, async () => {
  const service = new FirewallService(backend);
  await service.start();
  const v4 = await service.apply(laterFragments(`${lab.link.b.ipv4}/32`), { attackId: 'atk-frag', ttlSeconds: 60 });
  const v6 = await service.apply(laterFragments(`${lab.link.b.ipv6}/128`), { attackId: 'atk-frag6', ttlSeconds: 60 });
  assert.match(nftList(), /ip frag-off & (0x1fff|8191) != 0/, 'nft lists the mask in decimal');

  await lab.send(FRAGMENTED_SPORT, 50, FRAGMENTED_PAYLOAD);
  await lab.send(WHOLE_SPORT, 50, 1000);
  await lab.send6(FRAGMENTED_SPORT, 50, FRAGMENTED_PAYLOAD);
  await lab.send6(WHOLE_SPORT, 50, 1000);
  assert.equal(await settled(lab, WHOLE_SPORT), 50, 'unfragmented IPv4 datagrams arrive');
  assert.equal(await settledOn(() => lab.received6(WHOLE_SPORT)), 50, 'unfragmented IPv6 datagrams arrive');
  assert.equal(await lab.received(FRAGMENTED_SPORT), 0, 'no fragmented IPv4 datagram was reassembled');
  assert.equal(await lab.received6(FRAGMENTED_SPORT), 0, 'no fragmented IPv6 datagram was reassembled');
  assert.equal((await service.counters(v4.id))?.packets, 100);
  assert.equal((await service.counters(v6.id))?.packets, 100);

  await service.remove(v4.id);
  await service.remove(v6.id);
  await lab.send(FRAGMENTED_SPORT, 20, FRAGMENTED_PAYLOAD);
  await lab.send6(FRAGMENTED_SPORT, 20, FRAGMENTED_PAYLOAD);
  assert.equal(await settled(lab, FRAGMENTED_SPORT), 20, 'removal restores fragmented delivery');
  assert.equal(await settledOn(() => lab.received6(FRAGMENTED_SPORT)), 20);
  await service.stop();
});

test('the TTL removes the rule without being asked', { skip }, async () => {
  const service = new FirewallService(backend);
  await service.start();
  const before = await lab.received(ATTACK_SPORT);
  const receipt = await service.apply(attackRule(), { attackId: 'atk-2', ttlSeconds: 1 });
  await lab.send(ATTACK_SPORT, 100);
  assert.equal((await service.counters(receipt.id))?.packets, 100);
  await eventually('the rule to expire', 4_000, async () => ((await backend.read()).length === 0 ? true : undefined), 100);
  await lab.send(ATTACK_SPORT, 100);
  assert.equal(await settled(lab, ATTACK_SPORT), before + 100, 'delivered again after expiry');
  await service.stop();
});

test('a restart after a crash removes the rules nobody wants any more (orphans), and foreign rules in our table', { skip }, async () => {
  // The "crashed" process: rules installed, then the process gone without removing them.
  await backend.install({ id: 'orphan-1', attackId: 'atk-3', rule: attackRule(), expiresAt: Date.now() + 600_000 });
  await backend.install({ id: 'kept-1', attackId: 'atk-4', rule: { ...attackRule(), match: { ...attackRule().match, sourcePort: [[{ op: '=', value: 123 }]] } }, expiresAt: Date.now() + 600_000 });
  execFileSync('ip', ['netns', 'exec', lab.victim, 'nft', 'add', 'rule', 'inet', 'breakwater', 'filter', 'udp', 'dport', '7', 'counter', 'drop']);
  assert.equal((await backend.read()).length, 2);

  const service = new FirewallService(backend);
  const kept = { id: 'kept-1', attackId: 'atk-4', rule: { ...attackRule(), match: { ...attackRule().match, sourcePort: [[{ op: '=' as const, value: 123 }]] } }, expiresAt: Date.now() + 600_000 };
  await service.start([kept]);
  assert.deepEqual((await backend.read()).map((c) => c.id), ['kept-1']);
  assert.doesNotMatch(nftList(), /dport 7/);
  await service.stop({ teardown: true });
  assert.doesNotMatch(nftList(), /breakwater/);
});

test('every FlowSpec component nft can express is accepted by nft itself (nft --check)', { skip }, () => {
  const dst = { prefix: '203.0.113.10/32' };
  const matches: FirewallRule['match'][] = [
    { destination: dst, source: { prefix: '198.51.100.0/24' }, protocol: [[{ op: '=', value: 6 }]], destinationPort: [[{ op: '>=', value: 80 }, { op: '<=', value: 90 }], [{ op: '=', value: 443 }]], tcpFlags: [[{ flags: ['syn'], mode: 'all' }, { flags: ['ack'], mode: 'none' }]] },
    { destination: dst, port: [[{ op: '!=', value: 53 }]], packetLength: [[{ op: '>', value: 1000 }]], dscp: [[{ op: '=', value: 46 }]] },
    { destination: dst, protocol: [[{ op: '=', value: 1 }]], icmpType: [[{ op: '=', value: 8 }]], icmpCode: [[{ op: '=', value: 0 }]] },
    { destination: dst, fragment: [[{ flags: ['is-fragment', 'dont-fragment'], mode: 'any' }], [{ flags: ['first-fragment'], mode: 'all' }], [{ flags: ['last-fragment'], mode: 'all' }]] },
    { destination: { prefix: '2001:db8::10/128' }, protocol: [[{ op: '=', value: 58 }]], icmpType: [[{ op: '=', value: 128 }]], packetLength: [[{ op: '<', value: 100 }]], flowLabel: [[{ op: '=', value: 5 }]] },
    { destination: { prefix: '2001:db8::/64' }, fragment: [[{ flags: ['is-fragment'], mode: 'none' }], [{ flags: ['first-fragment'], mode: 'all' }]] },
    // Every flag and mode alone, in both families (IPv6 has no dont-fragment), and the later-fragments signature.
    ...(['any', 'all', 'none', 'not-all'] as const).flatMap((mode) =>
      (['is-fragment', 'first-fragment', 'last-fragment', 'dont-fragment'] as const).flatMap((flag) => [
        { destination: dst, fragment: [[{ flags: [flag], mode }]] },
        ...(flag === 'dont-fragment' ? [] : [{ destination: { prefix: '2001:db8::/64' }, fragment: [[{ flags: [flag], mode }]] }]),
      ]),
    ),
    { destination: { prefix: '2001:db8::/64' }, fragment: [[{ flags: ['is-fragment'], mode: 'all' }, { flags: ['first-fragment'], mode: 'none' }]] },
    { destination: dst, fragment: [[{ flags: ['first-fragment', 'last-fragment'], mode: 'not-all' }, { flags: ['dont-fragment'], mode: 'none' }]] },
  ];
  const lines = ['table inet bwcheck {', 'chain c {'];
  for (const match of matches) for (const body of renderNft({ match, action: { type: 'rate-limit', packetsPerSecond: 1000 } }).bodies) lines.push(body);
  lines.push('}', '}');
  execFileSync('ip', ['netns', 'exec', lab.victim, 'nft', '--check', '-f', '-'], { input: lines.join('\n') + '\n' });
});

test('what nft cannot express is refused with BW_ERR_FIREWALL_UNSUPPORTED before the kernel is touched', () => {
  const refused: FirewallRule['match'][] = [
    { destination: { prefix: '2001:db8::/64', offset: 8 } },
    { destination: { prefix: '203.0.113.10/32' }, flowLabel: [[{ op: '=', value: 1 }]] },
    { destination: { prefix: '2001:db8::/64' }, fragment: [[{ flags: ['dont-fragment'], mode: 'all' }]] },
    { destination: { prefix: '203.0.113.10/32' }, fragment: [[{ flags: ['first-fragment', 'last-fragment'], mode: 'all' }]] },
    { destination: { prefix: '203.0.113.10/32' }, protocol: [[{ op: '<', value: 0 }]] },
    { destination: { prefix: '203.0.113.10/32' }, source: { prefix: '2001:db8::/32' } },
  ];
  for (const match of refused) {
    assert.throws(() => renderNft({ match, action: { type: 'drop' } }), (err) => isBreakwaterError(err, 'BW_ERR_FIREWALL_UNSUPPORTED'), JSON.stringify(match));
  }
});
