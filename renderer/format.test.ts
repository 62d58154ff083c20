import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, sparklinePoints } from './format.js';

test('uptime as m:ss, then h:mm:ss', () => {
  assert.equal(formatDuration(0), '0:00');
  assert.equal(formatDuration(61_999), '1:01');
  assert.equal(formatDuration(3_600_000 + 5 * 60_000 + 7_000), '1:05:07');
  assert.equal(formatDuration(-5), '0:00');
});

test('sparkline points span the width with the maximum at the top', () => {
  assert.equal(sparklinePoints([0, 5, 10], 100, 20, 10), '0.0,20.0 50.0,10.0 100.0,0.0');
  assert.equal(sparklinePoints([], 100, 20, 10), '');
  assert.equal(sparklinePoints([30], 100, 20, 10), '0.0,0.0', 'values above the scale are clamped');
});
