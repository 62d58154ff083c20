/**
 * The exchange manager's retransmission schedules: a request's own budget (a liveness check's four tries in 8 s)
 * beside the session's default one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LIVENESS } from './config.js';
import { ExchangeManager, Wire } from './exchange-manager.js';
import { ExchangeType } from './message/index.js';
import { establishedSa } from './test-support.js';

function manager(): { exchanges: ExchangeManager; wire: Wire } {
  const wire = new Wire();
  const retransmit = { initialMs: 1000, factor: 2, retries: 4 };
  const exchanges = new ExchangeManager(
    establishedSa(),
    wire,
    { retransmit, maxDatagram: 1228 },
    () => {},
    () => {},
  );
  return { exchanges, wire };
}

/** Ticks every 100 ms until the request runs out; the times it was sent and the time it gave up. */
function schedule(exchanges: ExchangeManager, wire: Wire): { sends: number[]; gaveUpAt: number } {
  const sends: number[] = [];
  for (let now = 0; now <= 60_000; now += 100) {
    const timedOut = exchanges.tick(now);
    if (wire.take().length > 0) sends.push(now);
    if (timedOut) return { sends, gaveUpAt: now };
  }
  throw new Error('never gave up');
}

test('a liveness check gets its own short budget: four tries, 2 s apart, dead after 8 s', () => {
  const { exchanges, wire } = manager();
  exchanges.request(ExchangeType.INFORMATIONAL, [], 0, () => {}, DEFAULT_LIVENESS.retransmit);
  const first = wire.take().length;
  assert.equal(first, 1);
  const { sends, gaveUpAt } = schedule(exchanges, wire);
  assert.deepEqual([0, ...sends], [0, 2000, 4000, 6000]);
  assert.equal(gaveUpAt, 8000);
});

test('other requests keep the session’s schedule: 1, 2, 4, 8, 16 s, given up after 31 s', () => {
  const { exchanges, wire } = manager();
  exchanges.request(ExchangeType.INFORMATIONAL, [], 0, () => {});
  wire.take();
  const { sends, gaveUpAt } = schedule(exchanges, wire);
  assert.deepEqual(sends, [1000, 3000, 7000, 15_000]);
  assert.equal(gaveUpAt, 31_000);
});
