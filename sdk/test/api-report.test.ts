import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderApiReport, reportFile } from '../scripts/api-report.js';

test('api-report.d.ts is what the SDK exports today (regenerate: npm run api-report -w sdk, and review the diff)', () => {
  assert.equal(renderApiReport(), readFileSync(reportFile, 'utf8'));
});
