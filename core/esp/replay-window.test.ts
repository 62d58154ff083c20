import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../test/support/seeded-random.js';
import { ReplayWindow } from './replay-window.js';

const TWO_32 = 2 ** 32;

/** check then accept, as the SA does for an authentic packet. */
function receive(w: ReplayWindow, low: number): number | undefined {
  const seq = w.check(low);
  if (seq !== undefined) w.accept(seq);
  return seq;
}

describe('anti-replay window (RFC 4303 §3.4.3)', () => {
  it('refuses 0, which is never sent, and duplicates', () => {
    const w = new ReplayWindow(1024, false);
    assert.equal(w.check(0), undefined);
    assert.equal(receive(w, 1), 1);
    assert.equal(w.check(1), undefined);
    assert.equal(receive(w, 2), 2);
    assert.equal(w.highest, 2);
  });

  for (const size of [1024, 2048, 4096]) {
    it(`holds exactly ${size} numbers: the oldest still inside is accepted once, one more is too old`, () => {
      const w = new ReplayWindow(size, false);
      const top = 10 * size + 17;
      assert.equal(receive(w, top), top, 'far ahead moves the window');
      const oldest = top - size + 1;
      assert.equal(w.check(oldest - 1), undefined, 'just outside');
      assert.equal(receive(w, oldest), oldest, 'just inside');
      assert.equal(w.check(oldest), undefined, 'duplicate of the oldest');
      assert.equal(receive(w, top - 1), top - 1);
      assert.equal(w.check(top), undefined, 'duplicate of the newest');
      assert.equal(w.highest, top);
    });
  }

  it('forgets a number only when it leaves the window, across word and ring boundaries', () => {
    const w = new ReplayWindow(1024, false);
    for (let s = 1; s <= 5000; s += 3) receive(w, s);
    const top = w.highest;
    for (let s = top - 1023; s <= top; s++) {
      const expected = (s - 1) % 3 === 0 ? undefined : s;
      assert.equal(w.check(s), expected, `seq ${s}`);
    }
    for (let s = top - 1100; s < top - 1023; s++) assert.equal(w.check(s), undefined, `seq ${s} too old`);
  });

  it('slides by more than the window at once and by every smaller step, never keeping stale bits', () => {
    const w = new ReplayWindow(1024, false);
    const seen = new Set<number>();
    const random = seededRandom(0x5eed);
    let top = 0;
    for (let i = 0; i < 20000; i++) {
      const r = random();
      // mostly in order, sometimes late, sometimes a big jump
      const jump = r % 100 < 80 ? 1 + (r % 3) : r % 100 < 95 ? -(r % 1500) : (r % 5000) + 1;
      const s = Math.max(1, top + jump);
      const expectedNew = !seen.has(s) && s > top - 1024;
      assert.equal(w.check(s) !== undefined, expectedNew, `step ${i}: seq ${s}, top ${top}`);
      if (expectedNew) {
        w.accept(s);
        seen.add(s);
        top = Math.max(top, s);
      }
    }
  });

  it('only accept() moves it: a number checked but never accepted (failed ICV) stays acceptable', () => {
    const w = new ReplayWindow(1024, false);
    receive(w, 100);
    assert.equal(w.check(5000), 5000);
    assert.equal(w.highest, 100, 'no move without an authentic packet');
    assert.equal(w.check(50), 50, 'window still where it was');
    assert.equal(receive(w, 5000), 5000);
    assert.equal(w.check(50), undefined);
  });

  it('without ESN the low 32 bits are the whole number, up to 2^32 - 1', () => {
    const w = new ReplayWindow(1024, false);
    assert.equal(receive(w, TWO_32 - 1), TWO_32 - 1);
    assert.equal(w.check(1), undefined, 'no wrap: far behind');
  });

  it('refuses a window that is not a positive multiple of 32', () => {
    assert.throws(() => new ReplayWindow(1000, false), { code: 'crypto' });
    assert.throws(() => new ReplayWindow(0, false), { code: 'crypto' });
  });
});

describe('ESN high-order bits (RFC 4303 Appendix A2)', () => {
  it('case A (window within one subspace): Seql >= Bl gives Th, below Bl gives Th + 1', () => {
    const w = new ReplayWindow(1024, true);
    receive(w, 5000);
    // Tl = 5000, Bl = 3977
    assert.equal(w.check(3977), 3977, 'Bl itself: this subspace, inside the window');
    assert.equal(w.check(3976), TWO_32 + 3976, 'below Bl: the next subspace (ahead)');
    assert.equal(w.check(6000), 6000, 'ahead in this subspace');
  });

  it('case B (window spanning two subspaces): Seql >= Bl gives Th - 1, below Bl gives Th', () => {
    const w = new ReplayWindow(1024, true);
    receive(w, TWO_32 - 10);
    receive(w, 5); // Th = 1, Tl = 5: Bl = 2^32 - 1018
    assert.equal(w.highest, TWO_32 + 5);
    assert.equal(w.check(TWO_32 - 1018), TWO_32 - 1018, 'Bl: previous subspace, oldest inside');
    // below Bl counts as this subspace, far ahead: an old packet's ICV then fails with the wrong high bits
    assert.equal(w.check(TWO_32 - 1019), 2 * TWO_32 - 1019, 'below Bl');
    assert.equal(w.check(TWO_32 - 10), undefined, 'seen before the rollover');
    assert.equal(w.check(3), TWO_32 + 3, 'this subspace, late');
    assert.equal(w.check(200000), TWO_32 + 200000, 'this subspace, ahead');
  });

  it('before the first rollover there is no previous subspace: high numbers are this one', () => {
    const w = new ReplayWindow(1024, true);
    assert.equal(w.check(TWO_32 - 3), TWO_32 - 3);
    receive(w, 10);
    assert.equal(w.check(TWO_32 - 3), TWO_32 - 3);
  });

  it('follows a sender through several rollovers', () => {
    const w = new ReplayWindow(1024, true);
    const random = seededRandom(42);
    let seq = 1;
    for (let i = 0; i < 3000; i++) {
      // steps of up to 2^31 cross 2^32 many times; the inferred number must always be the real one
      seq += 1 + (random() % 0x7fffffff);
      const low = seq % TWO_32;
      assert.equal(receive(w, low), seq, `step ${i}`);
      // a late one from just before, still inside
      if (i % 7 === 0) assert.equal(w.check((seq - 1000) % TWO_32), seq - 1000);
    }
    assert.ok(w.highest > 2 ** 40, 'well beyond 32 bits');
  });
});
