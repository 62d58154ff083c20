import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asUiError } from './errors.js';

test('rejections become UiErrors, including ones Electron flattened into a message', () => {
  const ui = { code: 'otp-rejected', message: 'The code from your authenticator was rejected.' };
  assert.deepEqual(asUiError(ui), ui);
  const flattened = new Error(`Error invoking remote method 'connection:connect': ${JSON.stringify(ui)}`);
  assert.deepEqual(asUiError(flattened), ui);
  const plain = asUiError(new Error('boom'));
  assert.equal(plain.code, 'unexpected');
  assert.equal(plain.detail, 'boom');
});
