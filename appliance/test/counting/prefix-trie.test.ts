// Longest-prefix match over IPv4 and IPv6, and address/prefix key helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressKey, hasHostBits, keyText, parseKeyPrefix } from '../../src/counting/address-key.js';
import { PrefixTrie } from '../../src/counting/prefix-trie.js';

function trieOf(prefixes: string[]): PrefixTrie {
  const t = new PrefixTrie(4);
  prefixes.forEach((p, i) => {
    const k = parseKeyPrefix(p)!;
    t.insert(k.family, k.words, k.length, i);
  });
  return t;
}

const lookup = (t: PrefixTrie, a: string) => t.lookup(...addressKey(a));

test('the longest matching prefix wins, IPv4 and IPv6 alike, and the families never mix', () => {
  const t = trieOf(['198.51.100.0/22', '198.51.100.0/24', '198.51.100.128/25', '2001:db8::/32', '2001:db8:100::/48', '0.0.0.0/0']);
  assert.equal(lookup(t, '198.51.100.200'), 2);
  assert.equal(lookup(t, '198.51.100.7'), 1);
  assert.equal(lookup(t, '198.51.102.7'), 0);
  assert.equal(lookup(t, '203.0.113.1'), 5, 'the default route catches everything IPv4');
  assert.equal(lookup(t, '2001:db8:100::1'), 4);
  assert.equal(lookup(t, '2001:db8:200::1'), 3);
  assert.equal(lookup(t, '2001:db9::1'), -1, 'no IPv6 default: 0.0.0.0/0 is IPv4 only');
  assert.equal(lookup(t, '::c633:6401'), -1, 'an IPv6 address with IPv4-looking words is not IPv4');
});

test('a /32 and a /128 match their single address', () => {
  const t = trieOf(['192.0.2.53/32', '2001:db8::53/128']);
  assert.equal(lookup(t, '192.0.2.53'), 0);
  assert.equal(lookup(t, '192.0.2.54'), -1);
  assert.equal(lookup(t, '2001:db8::53'), 1);
  assert.equal(lookup(t, '2001:db8::52'), -1);
});

test('prefix text: canonical form, host bits, round trip of key words', () => {
  assert.equal(parseKeyPrefix('2001:0db8:0100::/48')!.text, '2001:db8:100::/48');
  assert.equal(parseKeyPrefix('198.51.100.0/33'), undefined);
  assert.equal(parseKeyPrefix('198.51.100.0'), undefined);
  assert.equal(hasHostBits('10.0.0.1/8'), true);
  assert.equal(hasHostBits('10.0.0.0/8'), false);
  assert.equal(keyText(...addressKey('2001:db8::1')), '2001:db8::1');
  assert.equal(keyText(...addressKey('203.0.113.9')), '203.0.113.9');
});
