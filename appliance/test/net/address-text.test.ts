// Address text: RFC 5952 IPv6 forms (table of the RFC's own rules, then a differential check against the
// WHATWG URL serializer, which applies the same compression rules), IPv4, MACs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressText, ipv4NumberText, ipv4Text, ipv6Text, macBytesText, macText } from '../../src/net/address-text.js';
import { ipv6Bytes } from '../support/addresses.js';

test('IPv6 text follows RFC 5952', async (t) => {
  const cases: [string, string, string][] = [
    ['lower case, no leading zeros (§4.1, §4.3)', '2001:0DB8:0000:0000:0000:0000:0AB0:0001', '2001:db8::ab0:1'],
    ['longest zero run compressed (§4.2.1)', '2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'],
    ['a single zero group is not compressed (§4.2.2)', '2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['first of equal runs compressed (§4.2.3)', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['all zeros', '0:0:0:0:0:0:0:0', '::'],
    ['loopback', '0:0:0:0:0:0:0:1', '::1'],
    ['leading run', '0:0:0:0:0:0:0:ff', '::ff'],
    ['trailing run', 'fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['no zeros', '2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['IPv4-mapped keeps the dotted quad (§5)', '0:0:0:0:0:ffff:c000:0201', '::ffff:192.0.2.1'],
    ['IPv4-compatible (deprecated) is plain hex', '0:0:0:0:0:0:c000:0201', '::c000:201'],
  ];
  for (const [name, input, expected] of cases) {
    await t.test(name, () => assert.equal(ipv6Text(ipv6Bytes(input)), expected));
  }
});

test('IPv6 text matches the WHATWG URL serializer on random sparse addresses', () => {
  let seed = 12345;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
  for (let i = 0; i < 5000; i++) {
    const bytes = new Uint8Array(16);
    // Mostly-zero groups give many runs of zeros of different lengths.
    for (let g = 0; g < 8; g++) {
      if (random() < 0.5) continue;
      bytes[2 * g] = random() < 0.5 ? 0 : Math.floor(random() * 256);
      bytes[2 * g + 1] = Math.floor(random() * 256);
    }
    const text = ipv6Text(bytes);
    if (text.startsWith('::ffff:') && text.includes('.')) continue;
    const viaUrl = new URL(`http://[${text}]/`).hostname.slice(1, -1);
    assert.equal(text, viaUrl);
    assert.deepEqual(ipv6Bytes(text), bytes);
  }
});

test('IPv4, family dispatch and offsets', () => {
  const bytes = Uint8Array.from([9, 9, 192, 0, 2, 255]);
  assert.equal(ipv4Text(bytes, 2), '192.0.2.255');
  assert.equal(ipv4NumberText(0xc00002ff), '192.0.2.255');
  assert.equal(addressText(4, Uint8Array.from([10, 0, 0, 1])), '10.0.0.1');
  assert.equal(addressText(6, ipv6Bytes('2001:db8::1')), '2001:db8::1');
  assert.equal(addressText(0, new Uint8Array(16)), undefined);
});

test('MACs from numbers and bytes', () => {
  assert.equal(macText(0), '00:00:00:00:00:00');
  assert.equal(macText(0xffffffffffff), 'ff:ff:ff:ff:ff:ff');
  assert.equal(macText(0x00005e005301), '00:00:5e:00:53:01');
  assert.equal(macBytesText(Uint8Array.from([0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f]), 1), 'aa:bb:cc:dd:ee:0f');
});
