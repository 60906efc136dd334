// The SDK's DeliveryError codes are rows of the appliance's error table (and so documented in docs/errors.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DELIVERY_ERROR_CODES } from '@breakwater/sdk';
import { errorCodes } from '../../src/errors.js';

test('every DeliveryError code is in errors.ts', () => {
  assert.deepEqual(DELIVERY_ERROR_CODES.filter((c) => !(c in errorCodes)), []);
});
