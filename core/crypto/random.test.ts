import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from './random.js';

test('randomBytes returns the requested length, distinct on each call', () => {
  assert.equal(randomBytes(0).length, 0);
  const a = randomBytes(32);
  const b = randomBytes(32);
  assert.equal(a.length, 32);
  assert.ok(a instanceof Uint8Array);
  assert.notDeepEqual(a, b);
});
