import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrafficStats } from '../tunnel/tunnel.js';
import { TrafficMeter } from './traffic-meter.js';

const stats = (bytesIn: number, bytesOut: number, drops: Record<string, number> = {}): TrafficStats => ({
  bytesIn,
  bytesOut,
  packetsIn: 0,
  packetsOut: 0,
  drops,
  childRekeys: 0,
  ikeRekeys: 0,
});

test('the text line shows totals and per-second rates in the same units as the window', () => {
  const lines: string[] = [];
  const meter = new TrafficMeter((line) => lines.push(line), false);
  meter.sample(stats(0, 0), 0);
  meter.sample(stats(1_500_000, 2048, { replay: 2 }), 2000);
  assert.deepEqual(lines, ['connected  ↓ 1.5 MB (750.0 kB/s)  ↑ 2.0 kB (1.0 kB/s)  dropped 2']);
});
