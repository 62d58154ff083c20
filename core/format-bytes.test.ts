import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatRate } from './format-bytes.js';

test('byte counts read as people expect, in SI units', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1500), '1.5 kB');
  assert.equal(formatBytes(5 * 1000 ** 3), '5.0 GB');
  assert.equal(formatBytes(2 * 1000 ** 5), '2000.0 TB');
  assert.equal(formatRate(2048.4), '2.0 kB/s');
  assert.equal(formatRate(0.4), '0 B/s');
});
