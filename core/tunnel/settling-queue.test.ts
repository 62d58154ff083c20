import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SettlingQueue } from './settling-queue.js';

/** A settling engine the test drives: `begin` starts a write, `settle` finishes them all. */
function engine() {
  let pending: { promise: Promise<void>; resolve: () => void } | undefined;
  return {
    settling: () => pending?.promise,
    begin() {
      if (pending) return;
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      pending = { promise, resolve };
    },
    async settle() {
      const done = pending;
      pending = undefined;
      done?.resolve();
      // let the queue's continuation run
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

test('with nothing settling a datagram is processed at once, inside offer', () => {
  const seen: number[] = [];
  const queue = new SettlingQueue<number>(
    (n) => seen.push(n),
    () => undefined,
  );
  queue.offer(1);
  assert.deepEqual(seen, [1]);
  assert.equal(queue.waiting, 0);
});

test('datagrams that arrive while the engine settles wait, then go in arrival order', async () => {
  const tls = engine();
  const seen: number[] = [];
  const queue = new SettlingQueue<number>((n) => seen.push(n), tls.settling);
  tls.begin();
  queue.offer(1);
  queue.offer(2);
  assert.deepEqual(seen, []);
  assert.equal(queue.waiting, 2);
  await tls.settle();
  assert.deepEqual(seen, [1, 2]);
  assert.equal(queue.waiting, 0);
});

test('a datagram whose processing starts a write holds the next one until that write settles too', async () => {
  const tls = engine();
  const seen: number[] = [];
  // each datagram answered with TLS records: a write node finishes a turn later
  const queue = new SettlingQueue<number>((n) => {
    seen.push(n);
    tls.begin();
  }, tls.settling);
  queue.offer(1);
  queue.offer(2);
  queue.offer(3);
  assert.deepEqual(seen, [1]);
  await tls.settle();
  assert.deepEqual(seen, [1, 2]);
  // one that arrives while others wait goes behind them, even if the engine has settled by then
  queue.offer(4);
  await tls.settle();
  assert.deepEqual(seen, [1, 2, 3]);
  await tls.settle();
  await tls.settle();
  assert.deepEqual(seen, [1, 2, 3, 4]);
});

test('a datagram that arrives during processing (re-entrantly) is processed after the current one', () => {
  const seen: number[] = [];
  const queue: SettlingQueue<number> = new SettlingQueue<number>(
    (n) => {
      if (n === 1) queue.offer(2);
      seen.push(n);
    },
    () => undefined,
  );
  queue.offer(1);
  assert.deepEqual(seen, [1, 2]);
});
