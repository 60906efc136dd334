import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBreakwaterError } from '../../src/errors.js';
import { componentsToMatch, decodeFlowSpecNlri, type WireComponent } from '../../src/flowspec/decode-components.js';
import { condition as c, eq } from '../../src/flowspec/numeric-match.js';
import { hex } from './helpers.js';

const decode = (family: 'ipv4' | 'ipv6', text: string) => componentsToMatch(family, decodeFlowSpecNlri(family, hex(text)).components);

test('RFC 8955 §4.2.2 example 1: destination 192.0.2.0/24, protocol TCP, port 25', () => {
  assert.deepEqual(decode('ipv4', '0b 01 18 c0 00 02 03 81 06 04 81 19'), { destination: { prefix: '192.0.2.0/24' }, protocol: eq(6), port: eq(25) });
});

test('RFC 8955 §4.2.2 example 2: ports 137..139 or 8080 (AND inside a term, OR between terms)', () => {
  assert.deepEqual(decode('ipv4', '12 01 18 c0 00 02 02 18 cb 00 71 04 03 89 45 8b 91 1f 90'), {
    destination: { prefix: '192.0.2.0/24' },
    source: { prefix: '203.0.113.0/24' },
    port: [[c('>=', 137), c('<=', 139)], [c('=', 8080)]],
  });
});

test('RFC 8956 §3.8 examples: IPv6 prefix patterns after an offset', () => {
  assert.deepEqual(decode('ipv6', '12 01 20 00 20 01 0d b8 02 68 40 12 34 56 78 9a 03 81 06'), {
    destination: { prefix: '2001:db8::/32' },
    source: { prefix: '::1234:5678:9a00:0/104', offset: 64 },
    protocol: eq(6),
  });
  // Offset 65: the pattern bits are not byte-aligned, with one bit of padding at the end.
  assert.deepEqual(decode('ipv6', '0f 01 20 00 20 01 0d b8 02 68 41 24 68 ac f1 34').source, { prefix: '::1234:5678:9a00:0/104', offset: 65 });
});

test('bitmask operators decode to modes and flag names', () => {
  // tcp flags: =syn (0x01 m), &!rst (0x42 and+not), ack (0x00), !=syn+ack (0x83 eol+not+m)
  const match = decode('ipv4', '0f 01 20 cb 00 71 0a 09 01 02 42 04 00 10 83 12');
  assert.deepEqual(match.tcpFlags, [
    [{ flags: ['syn'], mode: 'all' }, { flags: ['rst'], mode: 'none' }],
    [{ flags: ['ack'], mode: 'any' }],
    [{ flags: ['syn', 'ack'], mode: 'not-all' }],
  ]);
  assert.deepEqual(decode('ipv4', '09 01 20 cb 00 71 0a 0c 81 06').fragment, [[{ flags: ['is-fragment', 'first-fragment'], mode: 'all' }]]);
});

test('two-byte NLRI length and multi-byte values (flow label uses 4)', () => {
  const body = '01 80 00 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 0d a1 00 0f ff ff';
  const { components, bytesRead } = decodeFlowSpecNlri('ipv6', hex(`f0 19 ${body}`));
  assert.equal(bytesRead, 27);
  assert.deepEqual(componentsToMatch('ipv6', components).flowLabel, eq(0xfffff));
});

const orderCases: [string, WireComponent[]][] = [
  ['a type after a higher type', [{ type: 1, prefix: { prefix: '203.0.113.0/24' } }, { type: 5, ops: [{ op: 0x81, value: 80 }] }, { type: 3, ops: [{ op: 0x81, value: 6 }] }]],
  ['a type twice', [{ type: 1, prefix: { prefix: '203.0.113.0/24' } }, { type: 3, ops: [{ op: 0x81, value: 6 }] }, { type: 3, ops: [{ op: 0x81, value: 17 }] }]],
];
for (const [name, components] of orderCases) {
  test(`component order: ${name} is BW_ERR_FLOWSPEC_COMPONENT_ORDER`, () => {
    assert.throws(() => componentsToMatch('ipv4', components), (err: unknown) => isBreakwaterError(err, 'BW_ERR_FLOWSPEC_COMPONENT_ORDER') && err.message.includes('components[2]'));
  });
}

const invalidCases: [string, 'ipv4' | 'ipv6', string, string, RegExp][] = [
  ['operator `true`', 'ipv4', '09 01 20 cb 00 71 0a 03 87 00', 'BW_ERR_FLOWSPEC_INVALID', /operator true/],
  ['AND bit on the first operator', 'ipv4', '09 01 20 cb 00 71 0a 03 c1 06', 'BW_ERR_FLOWSPEC_INVALID', /must not have the AND bit/],
  ['reserved numeric bit', 'ipv4', '09 01 20 cb 00 71 0a 03 89 06', 'BW_ERR_FLOWSPEC_INVALID', /reserved operator bit/],
  ['TCP flag bits the model has no name for (NS)', 'ipv4', '0a 01 20 cb 00 71 0a 09 91 01 00', 'BW_ERR_FLOWSPEC_INVALID', /bits 0x100/],
  ['unknown component type 14', 'ipv4', '09 01 20 cb 00 71 0a 0e 81 01', 'BW_ERR_FLOWSPEC_INVALID', /type 14/],
  ['flow label in IPv4', 'ipv4', '09 01 20 cb 00 71 0a 0d 81 01', 'BW_ERR_FLOWSPEC_WRONG_FAMILY', /flow label/],
  ['truncated prefix', 'ipv4', '05 01 20 cb 00 71 0a', 'BW_ERR_FLOWSPEC_INVALID', /past the end/],
  ['length beyond the bytes', 'ipv4', '20 01 20 cb 00 71 0a', 'BW_ERR_FLOWSPEC_INVALID', /runs past the 7 bytes/],
  ['no destination', 'ipv4', '03 03 81 06', 'BW_ERR_FLOWSPEC_NO_DESTINATION', /destination/],
];
for (const [name, family, bytes, code, says] of invalidCases) {
  test(`decode refuses: ${name}`, () => {
    assert.throws(() => decode(family, bytes), (err: unknown) => isBreakwaterError(err) && err.code === code && says.test(err.message));
  });
}
