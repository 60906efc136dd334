// The mitigation signature on hand-made sample sets: narrowest match covering ≥ 95%, collateral measured on
// benign traffic, and FlowSpec validity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompactSample } from '../../src/detection/attack-profile.js';
import { classify, looksLikeFlashCrowd } from '../../src/detection/classifier.js';
import { buildSignature } from '../../src/detection/signature.js';
import { Vector, VECTOR_COUNT } from '../../src/counting/vector.js';
import { FlowFlag } from '../../src/intake/flow-batch.js';
import { validateFlowSpecRule } from '../../src/flowspec/validate.js';

const L4 = FlowFlag.hasL4;
function samples(n: number, make: (i: number) => Partial<CompactSample>): CompactSample[] {
  return Array.from({ length: n }, (_, i) => ({ protocol: 17, srcPort: 40000 + i, dstPort: 53, length: 100, tcpFlags: 0, flags: L4, vector: Vector.udp, weight: 1000, ...make(i) }));
}

test('DNS amplification: UDP from port 53 in a length range; resolver queries of the host are not collateral', () => {
  const attack = samples(500, (i) => ({ srcPort: 53, dstPort: 1024 + i, length: 1200 + (i % 300), vector: Vector.dns }));
  const benign = [...samples(80, (i) => ({ srcPort: 30000 + i, dstPort: 53, length: 80 })), ...samples(20, () => ({ protocol: 6, srcPort: 50000, dstPort: 443, tcpFlags: 0x10, length: 52, vector: Vector.tcpAck }))];
  const s = buildSignature({ family: 'dns_amplification', ipVersion: 4, destination: '198.51.100.10/32', attack, benign, protectedPrefixes: ['198.51.100.0/24'] });
  assert.deepEqual(s.match.protocol, [[{ op: '=', value: 17 }]]);
  assert.deepEqual(s.match.sourcePort, [[{ op: '=', value: 53 }]]);
  assert.ok(s.match.packetLength, 'a length range');
  assert.equal(s.match.destinationPort, undefined, 'random destination ports: no component');
  assert.equal(s.coverage, 1);
  assert.equal(s.collateral, 0);
  assert.deepEqual([s.attackSamples, s.benignSamples], [500, 100]);
  assert.ok(validateFlowSpecRule({ family: 'ipv4', match: s.match, actions: [{ type: 'discard' }] }, { protectedPrefixes: ['198.51.100.0/24'] }).ok);
});

test('a few odd samples (0.5%) are left out rather than widening the match; collateral is stated, not hidden', () => {
  const attack = samples(1000, (i) => (i % 200 === 0 ? { srcPort: 9999, length: 60 } : { srcPort: 123, dstPort: 1024 + (i % 5000), length: 486, vector: Vector.ntp }));
  const benign = samples(50, (i) => ({ srcPort: 123, dstPort: 123, length: 90 + (i % 2) * 396 }));
  const s = buildSignature({ family: 'ntp_amplification', ipVersion: 4, destination: '198.51.100.10/32', attack, benign, protectedPrefixes: ['198.51.100.0/24'] });
  assert.deepEqual(s.match.sourcePort, [[{ op: '=', value: 123 }]]);
  assert.equal(s.coverage, 0.995);
  assert.ok(s.collateral > 0, 'NTP replies of the host\'s own clients that look like the attack count as collateral');
});

test('SYN flood: SYN-without-ACK flags and the attacked port; IPv6 lengths are payload lengths', () => {
  const attack = samples(300, () => ({ protocol: 6, srcPort: 1234, dstPort: 443, tcpFlags: 0x02, length: 20, vector: Vector.tcpSyn }));
  const s = buildSignature({ family: 'syn_flood', ipVersion: 6, destination: '2001:db8::10/128', attack, benign: [], protectedPrefixes: ['2001:db8::/32'] });
  assert.deepEqual(s.match.tcpFlags, [[{ flags: ['syn'], mode: 'all' }, { flags: ['ack'], mode: 'none' }]]);
  assert.deepEqual(s.match.destinationPort, [[{ op: '=', value: 443 }]]);
  assert.equal(s.collateral, 0);
  assert.equal(s.benignSamples, 0);
  assert.ok(validateFlowSpecRule({ family: 'ipv6', match: s.match, actions: [{ type: 'discard' }] }, { protectedPrefixes: ['2001:db8::/32'] }).ok);
});

test('a destination outside the protected networks is refused by the validator; the signature keeps what it can', () => {
  const attack = samples(100, () => ({ srcPort: 53 }));
  const s = buildSignature({ family: 'dns_amplification', ipVersion: 4, destination: '192.0.2.1/32', attack, benign: [], protectedPrefixes: ['198.51.100.0/24'] });
  assert.equal(s.match.destination.prefix, '192.0.2.1/32');
  assert.deepEqual(s.match.sourcePort, [[{ op: '=', value: 53 }]]);
});

function vectors(entries: [number, number, number][]): { packets: Float64Array; samples: Float64Array } {
  const packets = new Float64Array(VECTOR_COUNT);
  const s = new Float64Array(VECTOR_COUNT);
  for (const [v, p, n] of entries) {
    packets[v] = p;
    s[v] = n;
  }
  return { packets, samples: s };
}

test('classification: the dominant family of the key that crossed, confidence = its share discounted by few samples', () => {
  const { packets, samples: n } = vectors([[Vector.dns, 90_000, 90], [Vector.udp, 10_000, 10]]);
  const c = classify({ prefixTarget: false, keyMask: (1 << Vector.dns) | (1 << Vector.udp), vectorPackets: packets, vectorSamples: n, recent: [], benign: [], topSourceShare: 0.01 });
  assert.equal(c.family, 'dns_amplification');
  assert.ok(c.confidence > 0.85 && c.confidence < 0.9, `${c.confidence}`);
  const carpet = classify({ prefixTarget: true, keyMask: (1 << Vector.dns) | (1 << Vector.udp), vectorPackets: packets, vectorSamples: n, recent: [], benign: [], topSourceShare: 0.01 });
  assert.deepEqual([carpet.family, carpet.dominant], ['carpet_bombing', 'dns_amplification']);
});

test('flash crowd: the same mix as before from many sources looks like one; a changed mix or few sources does not', () => {
  const web = (n: number, seed: number) => samples(n, (i) => ({ protocol: 6, dstPort: i % 7 === 0 ? 80 : 443, tcpFlags: i % 10 === 0 ? 0x02 : 0x10, vector: i % 10 === 0 ? Vector.tcpSyn : Vector.tcpAck, length: ((i * 37 + seed) % 3) === 0 ? 1400 : 60 }));
  assert.equal(looksLikeFlashCrowd({ recent: web(200, 1), benign: web(60, 2), topSourceShare: 0.01 }), true);
  assert.equal(looksLikeFlashCrowd({ recent: web(200, 1), benign: web(60, 2), topSourceShare: 0.5 }), false, 'few sources');
  const syn = samples(200, () => ({ protocol: 6, dstPort: 443, tcpFlags: 0x02, vector: Vector.tcpSyn, length: 60 }));
  assert.equal(looksLikeFlashCrowd({ recent: syn, benign: web(60, 2), topSourceShare: 0.01 }), false, 'the SYN share jumped');
  assert.equal(looksLikeFlashCrowd({ recent: web(200, 1), benign: web(5, 2), topSourceShare: 0.01 }), false, 'too little history to compare');
});
