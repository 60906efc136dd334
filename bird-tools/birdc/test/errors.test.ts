// The error table: every code is documented in README.md, and BirdError carries what callers branch on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BirdError, BirdErrorCodes, isBirdError, replyError } from '../src/errors.js';

test('every BIRDC_ERR code has a row in README.md', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const code of Object.keys(BirdErrorCodes)) {
    assert.match(readme, new RegExp(`^\\| \`${code}\` \\|`, 'm'), `${code} is not in the README's error table`);
  }
});

test('BirdError carries code, command and BIRD reply details', () => {
  const reply = [{ code: 9001, text: 'syntax error, unexpected CF_SYM_UNDEFINED' }];
  const err = replyError('show route table nope', reply);
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'BirdError');
  assert.equal(err.code, 'BIRDC_ERR_REPLY');
  assert.equal(err.birdCode, 9001);
  assert.equal(err.birdText, 'syntax error, unexpected CF_SYM_UNDEFINED');
  assert.equal(err.command, 'show route table nope');
  assert.deepEqual(err.reply, reply);
  assert.equal(err.location, undefined, 'only 8002 replies carry a config location');
  assert.match(err.message, /\[BIRDC_ERR_REPLY\]$/);
  assert.ok(isBirdError(err));
  assert.ok(isBirdError(err, 'BIRDC_ERR_REPLY'));
  assert.ok(!isBirdError(err, 'BIRDC_ERR_TIMEOUT'));
  assert.ok(!isBirdError(new Error('x')));
});

test('the cause is kept', () => {
  const cause = new Error('connect ENOENT /run/bird/bird.ctl');
  const err = new BirdError('BIRDC_ERR_CONNECT', 'cannot connect', { cause });
  assert.equal(err.cause, cause);
});
