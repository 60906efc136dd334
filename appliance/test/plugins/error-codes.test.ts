import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PLUGIN_ERROR_CODES } from '@breakwater/sdk';
import { errorCodes } from '../../src/errors.js';

test('the SDK\'s plugin error codes are exactly the BW_ERR_PLUGIN_* rows of the error table', () => {
  const table = Object.keys(errorCodes).filter((c) => c.startsWith('BW_ERR_PLUGIN_')).sort();
  assert.deepEqual([...PLUGIN_ERROR_CODES].sort(), table);
});
