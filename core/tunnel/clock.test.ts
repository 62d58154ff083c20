import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Clock, ClockJumpWatch } from './clock.js';

function fakeClock(): Clock & { advance(monotonicMs: number, wallMs?: number): void } {
  let monotonic = 1000;
  let wall = Date.UTC(2026, 11, 2);
  return {
    monotonic: () => monotonic,
    wall: () => wall,
    advance(monotonicMs, wallMs = monotonicMs) {
      monotonic += monotonicMs;
      wall += wallMs;
    },
  };
}

test('a wall-clock jump of +10 min against the monotonic clock is noticed once, with its size', () => {
  const clock = fakeClock();
  const watch = new ClockJumpWatch(clock);
  clock.advance(2000, 2000 + 10 * 60_000);
  assert.equal(watch.jumped(), 10 * 60_000);
  clock.advance(2000);
  assert.equal(watch.jumped(), 0, 'reported once');
});

test('time passing on both clocks, a late timer or a small NTP step is no jump; a step back is', () => {
  const clock = fakeClock();
  const watch = new ClockJumpWatch(clock);
  clock.advance(60_000);
  assert.equal(watch.jumped(), 0);
  clock.advance(2000, 2000 + 800);
  assert.equal(watch.jumped(), 0);
  clock.advance(2000, 2000 - 3_600_000);
  assert.equal(watch.jumped(), -3_600_000);
});
