// Framing of BIRD's byte stream, on recorded replies: whole, byte by byte, concatenated, and with
// asynchronous lines interleaved the way nest/cli.c interleaves them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyParser, type ParserEvent } from '../src/reply-parser.js';
import { events, fixture, fixtureNames, reply } from './helpers/fixtures.js';

function byteByByte(bytes: Buffer): ParserEvent[] {
  const parser = new ReplyParser();
  const out: ParserEvent[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...parser.push(bytes.subarray(i, i + 1)));
  return out;
}

test('every recorded fixture frames into exactly one reply and no malformed lines', () => {
  const names = fixtureNames();
  assert.ok(names.length >= 30, `expected the recorded fixtures, found ${names.length}`);
  for (const name of names) {
    const all = events(fixture(name));
    assert.equal(all.filter((e) => e.kind === 'reply').length, 1, name);
    assert.deepEqual(all.filter((e) => e.kind === 'malformed'), [], name);
  }
});

test('feeding a fixture byte by byte gives the same events as one chunk', () => {
  for (const name of fixtureNames()) {
    const bytes = fixture(name);
    assert.deepEqual(byteByByte(bytes), events(bytes), name);
  }
});

test('splitting every fixture at every position gives the same events', () => {
  for (const name of ['show-status', 'bgp-show-route-all', 'echo-disable-st4']) {
    const bytes = fixture(name);
    const expected = events(bytes);
    for (let cut = 1; cut < bytes.length; cut++) {
      const parser = new ReplyParser();
      const got = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut))];
      assert.deepEqual(got, expected, `${name} cut at ${cut}`);
    }
  }
});

test('codes, separators and continuation lines', () => {
  assert.deepEqual(reply('greeting'), [{ code: 1, text: 'BIRD 2.0.12 ready.' }]);
  const status = reply('show-status');
  assert.deepEqual(
    status.map((l) => l.code),
    [1000, 1011, 1011, 1011, 1011, 1011, 13],
  );
  assert.equal(status[2]!.text, 'Hostname is vm', 'a continuation line takes the previous code, minus its space');
  assert.deepEqual(status[6], { code: 13, text: 'Daemon is up and running' });
  // "0000 " ends most replies: code 0 with empty text.
  assert.deepEqual(reply('show-route-t4').at(-1), { code: 0, text: '' });
  // Tabs after the one-space continuation prefix are kept.
  assert.equal(reply('show-interfaces')[3]!.text, '\t::1/128 (Preferred, scope host)');
  assert.deepEqual(reply('syntax-error'), [
    { code: 9001, text: 'syntax error, unexpected CF_SYM_UNDEFINED, expecting CF_SYM_KNOWN or ALL' },
  ]);
});

test('+ lines after a reply are async events, not reply lines', () => {
  const all = events(fixture('echo-disable-st4'));
  assert.deepEqual(all, [
    {
      kind: 'reply',
      lines: [
        { code: 9, text: 'st4: disabled' },
        { code: 0, text: '' },
      ],
    },
    { kind: 'async', text: 'Disabling protocol st4' },
  ]);
});

test('a + line inside a block does not end it and the next continuation keeps the code', () => {
  // cli_copy_message() appends log lines to the output between any two lines of a long reply
  // without touching the continuation state; splice one into a recorded reply the same way.
  const lines = fixture('show-protocols').toString('utf8').split('\n');
  lines.splice(2, 0, '+Reconfiguring');
  lines.splice(4, 0, '<2 messages lost>');
  const all = events(Buffer.from(lines.join('\n')));
  assert.deepEqual(
    all.filter((e) => e.kind === 'async'),
    [
      { kind: 'async', text: 'Reconfiguring' },
      { kind: 'async', text: '<2 messages lost>' },
    ],
  );
  const replies = all.filter((e) => e.kind === 'reply');
  assert.equal(replies.length, 1);
  assert.deepEqual(
    replies[0]!.lines.map((l) => l.code),
    [2002, 1002, 1002, 1002, 1002, 1002, 1002, 0],
  );
});

test('several replies in one chunk come out in order', () => {
  const bytes = Buffer.concat([fixture('greeting'), fixture('disable-st4'), fixture('enable-st4')]);
  const replies = events(bytes).flatMap((e) => (e.kind === 'reply' ? [e.lines[0]!.text] : []));
  assert.deepEqual(replies, ['BIRD 2.0.12 ready.', 'st4: disabled', 'st4: enabled']);
});

test('a UTF-8 character split across chunks is decoded whole', () => {
  // Protocol descriptions are free text from the config, so non-ASCII can appear.
  const bytes = Buffer.from('1006-  Description: Přístup\n0000 \n', 'utf8');
  const got = byteByByte(bytes);
  assert.deepEqual(got, [
    {
      kind: 'reply',
      lines: [
        { code: 1006, text: '  Description: Přístup' },
        { code: 0, text: '' },
      ],
    },
  ]);
});

test('lines outside the protocol are reported as malformed, and parsing goes on', () => {
  const parser = new ReplyParser();
  assert.deepEqual(parser.push(' orphan continuation\n'), [
    { kind: 'malformed', line: ' orphan continuation', reason: 'continuation line without a preceding coded line' },
  ]);
  assert.deepEqual(parser.push('HTTP/1.1 400 Bad Request\n'), [
    { kind: 'malformed', line: 'HTTP/1.1 400 Bad Request', reason: 'line does not start with a 4-digit code, a space or +' },
  ]);
  assert.deepEqual(parser.push('0000 \n'), [{ kind: 'reply', lines: [{ code: 0, text: '' }] }]);
});

test('an over-long line is dropped once, whether it arrives in one chunk or many', () => {
  for (const chunkSize of [1_000_000, 7]) {
    const parser = new ReplyParser({ maxLineBytes: 100 });
    const stream = Buffer.from(`1007-${'x'.repeat(300)}\n0000 \n`);
    const got: ParserEvent[] = [];
    for (let i = 0; i < stream.length; i += chunkSize) got.push(...parser.push(stream.subarray(i, i + chunkSize)));
    assert.equal(got.filter((e) => e.kind === 'malformed').length, 1, `chunk ${chunkSize}`);
    assert.deepEqual(got.at(-1), { kind: 'reply', lines: [{ code: 0, text: '' }] }, `chunk ${chunkSize}`);
  }
});

test('midReply and reset()', () => {
  const parser = new ReplyParser();
  assert.equal(parser.midReply, false);
  parser.push('1007-Table t4:\n 198.51');
  assert.equal(parser.midReply, true);
  parser.reset();
  assert.equal(parser.midReply, false);
  assert.deepEqual(parser.push('0013 Daemon is up and running\n'), [
    { kind: 'reply', lines: [{ code: 13, text: 'Daemon is up and running' }] },
  ]);
});
