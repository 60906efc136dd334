// The iptables fallback against real traffic, as nft-netns.test.ts does for nftables: a BREAKWATER chain in the
// raw table of the victim namespace drops the attack signature only, counters (iptables-save -c) show the
// drops, removal restores delivery, and reconcile removes orphans.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { FirewallRule } from '@breakwater/sdk';
import { isBreakwaterError } from '../../src/errors.js';
import { FirewallService } from '../../src/firewall/firewall-service.js';
import { IptablesBackend } from '../../src/firewall/iptables-backend.js';
import { renderIptables } from '../../src/firewall/render-iptables.js';
import { cleanUpEverything, commandMissing, netnsUnavailableReason } from '../support/netns.js';
import { ATTACK_SPORT, BENIGN_SPORT, PAYLOAD, settled, startTrafficLab, type TrafficLab } from './helpers/traffic-lab.js';

const skip = netnsUnavailableReason() ?? commandMissing('/usr/sbin/iptables', '/usr/sbin/ip6tables', '/usr/sbin/iptables-save', '/usr/sbin/iptables-restore');
let lab: TrafficLab;
let backend: IptablesBackend;

before(async () => {
  if (skip) return;
  lab = await startTrafficLab('ipt', 42);
  backend = new IptablesBackend({ prefix: ['ip', 'netns', 'exec', lab.victim] });
});
after(() => cleanUpEverything());

const attackRule = (sport = ATTACK_SPORT): FirewallRule => ({
  match: { destination: { prefix: `${lab.link.b.ipv4}/32` }, protocol: [[{ op: '=', value: 17 }]], sourcePort: [[{ op: '=', value: sport }]] },
  action: { type: 'drop' },
});
const saved = (): string => execFileSync('ip', ['netns', 'exec', lab.victim, 'iptables-save', '-t', 'raw'], { encoding: 'utf8' });

test('iptables: drops the attack signature only, counters equal the packets sent, removal restores delivery', { skip }, async () => {
  const service = new FirewallService(backend);
  await service.start();
  const receipt = await service.apply(attackRule(), { attackId: 'atk-1', ttlSeconds: 60 });
  assert.match(saved(), /-A PREROUTING -j BREAKWATER/);

  await lab.send(ATTACK_SPORT, 2000);
  await lab.send(BENIGN_SPORT, 300);
  assert.equal(await settled(lab, BENIGN_SPORT), 300);
  assert.equal(await lab.received(ATTACK_SPORT), 0);
  const counters = await service.counters(receipt.id);
  assert.equal(counters?.packets, 2000);
  assert.equal(counters?.bytes, 2000 * (20 + 8 + PAYLOAD));

  assert.equal(await service.remove(receipt.id), true);
  await lab.send(ATTACK_SPORT, 100);
  assert.equal(await settled(lab, ATTACK_SPORT), 100);
  await service.stop();
});

test('iptables: the later-fragments signature is -f: fragmented datagrams are lost, whole ones arrive, 2 later fragments counted each', { skip }, async () => {
  const service = new FirewallService(backend);
  await service.start();
  const receipt = await service.apply(
    { match: { destination: { prefix: `${lab.link.b.ipv4}/32` }, fragment: [[{ flags: ['is-fragment'], mode: 'all' }, { flags: ['first-fragment'], mode: 'none' }]] }, action: { type: 'drop' } },
    { attackId: 'atk-frag', ttlSeconds: 60 },
  );
  assert.match(saved(), / -f .*-j DROP/);
  await lab.send(41000, 50, 3000); // 3 fragments each (1480 + 1480 + 48 bytes)
  await lab.send(41001, 50, 1000);
  assert.equal(await settled(lab, 41001), 50, 'unfragmented datagrams arrive');
  assert.equal(await lab.received(41000), 0, 'no fragmented datagram was reassembled');
  assert.equal((await service.counters(receipt.id))?.packets, 100);
  await service.remove(receipt.id);
  await service.stop();
});

test('iptables: reconcile on start removes orphans and keeps wanted entries', { skip }, async () => {
  const kept = { id: 'kept-1', attackId: 'atk-4', rule: attackRule(123), expiresAt: Date.now() + 600_000 };
  await backend.install({ id: 'orphan-1', attackId: 'atk-3', rule: attackRule(), expiresAt: Date.now() + 600_000 });
  await backend.install(kept);
  const service = new FirewallService(backend);
  await service.start([kept]);
  assert.deepEqual((await backend.read()).map((c) => c.id), ['kept-1']);
  await service.stop({ teardown: true });
  assert.doesNotMatch(saved(), /BREAKWATER/);
});

test('iptables: ports, lengths and flags render as multiport, length and tcp-flags; fragments other than later ones are refused', () => {
  const { specs } = renderIptables({
    match: { destination: { prefix: '203.0.113.10/32' }, protocol: [[{ op: '=', value: 6 }]], destinationPort: [[{ op: '=', value: 80 }], [{ op: '=', value: 443 }]], packetLength: [[{ op: '>=', value: 40 }, { op: '<=', value: 60 }]], tcpFlags: [[{ flags: ['syn', 'ack'], mode: 'all' }]] },
    action: { type: 'drop' },
  });
  assert.deepEqual(specs, [['-d', '203.0.113.10/32', '-p', 'tcp', '-m', 'multiport', '--dports', '80,443', '--tcp-flags', 'SYN,ACK', 'SYN,ACK', '-m', 'length', '--length', '40:60']]);
  // A first fragment (MF set, offset 0) has no iptables test: -f is "offset non-zero" only.
  assert.throws(
    () => renderIptables({ match: { destination: { prefix: '203.0.113.10/32' }, fragment: [[{ flags: ['is-fragment'], mode: 'any' }]] }, action: { type: 'drop' } }),
    (err) => isBreakwaterError(err, 'BW_ERR_FIREWALL_UNSUPPORTED'),
  );
});
