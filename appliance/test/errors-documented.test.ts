import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { errorCodes } from '../src/errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

test('every BW_ERR_* code in errors.ts has a row in docs/errors.md', () => {
  const missing = Object.keys(errorCodes).filter((code) => !doc.includes(`| \`${code}\` |`));
  assert.deepEqual(missing, []);
});

test('docs/errors.md documents no code that errors.ts lacks', () => {
  const documented = [...doc.matchAll(/^\| `(BW_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
  const unknown = documented.filter((code) => !(code! in errorCodes));
  assert.deepEqual(unknown, []);
});

test('every code is BW_ERR_ upper snake case with a message and an HTTP status', () => {
  for (const [code, spec] of Object.entries(errorCodes)) {
    assert.match(code, /^BW_ERR_[A-Z0-9_]+$/);
    assert.ok(spec.message.length > 0, code);
    assert.ok(spec.status >= 400 && spec.status < 600, code);
  }
});
