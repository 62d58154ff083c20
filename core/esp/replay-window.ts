/**
 * The receiver's anti-replay window of RFC 4303 §3.4.3 as a sliding bitmap, with the high-order half of extended
 * sequence numbers inferred as in Appendix A2. `check` is cheap and runs before any cryptography; `accept` runs only
 * once the ICV verified, so a forged packet can neither mark a number as seen nor move the window.
 */
import { cryptoError } from '../crypto/crypto-error.js';

const TWO_32 = 0x1_0000_0000;
const WORD_BITS = 32;

export class ReplayWindow {
  /**
   * Highest authenticated sequence number, 0 before the first. A JS number is exact up to 2^53: a peer would need
   * centuries at line rate to get there, and `check` refuses anything beyond instead of rounding.
   */
  private top = 0;
  /**
   * Ring of bits indexed by sequence number, one word more than the window: the word `top` moves into is cleared
   * whole, and the spare word keeps that from erasing the oldest `size` numbers still inside the window.
   */
  private readonly words: Uint32Array;

  constructor(
    readonly size: number,
    private readonly esn: boolean,
  ) {
    if (!Number.isInteger(size) || size < WORD_BITS || size % WORD_BITS !== 0) {
      throw cryptoError(`anti-replay window of ${size} packets is not a positive multiple of 32`);
    }
    this.words = new Uint32Array(size / WORD_BITS + 1);
  }

  /** Highest sequence number accepted so far (0 before the first). */
  get highest(): number {
    return this.top;
  }

  /**
   * The full sequence number a packet with these low-order 32 bits carries, or undefined when it was already
   * received or lies left of the window (and for 0, which is never sent: numbering starts at 1, RFC 4303 §3.3.3).
   */
  check(low: number): number | undefined {
    const seq = this.esn ? this.infer(low) : low;
    if (seq === 0 || seq > Number.MAX_SAFE_INTEGER) return undefined;
    if (seq > this.top) return seq;
    if (this.top - seq >= this.size) return undefined;
    return this.isSet(seq) ? undefined : seq;
  }

  /** Records an authenticated packet: marks it seen and slides the window when it is the newest. */
  accept(seq: number): void {
    if (seq > this.top) {
      const from = Math.floor(this.top / WORD_BITS);
      const to = Math.floor(seq / WORD_BITS);
      if (to - from >= this.words.length) this.words.fill(0);
      else for (let w = from + 1; w <= to; w++) this.words[w % this.words.length] = 0;
      this.top = seq;
    }
    this.words[Math.floor(seq / WORD_BITS) % this.words.length]! |= 1 << (seq % WORD_BITS);
  }

  /**
   * RFC 4303 Appendix A2.2: Seqh is Th, or Th + 1 when Seql lies below the window's bottom Bl = Tl - W + 1 in the
   * same subspace (case A, the window within one subspace), or Th - 1 when Seql is at or above Bl of the previous
   * subspace (case B, the window spanning two). Before the counter first wraps there is no previous subspace: Th.
   */
  private infer(low: number): number {
    const high = Math.floor(this.top / TWO_32);
    const topLow = this.top % TWO_32;
    const bottomLow = (topLow - this.size + 1 + TWO_32) % TWO_32;
    let seqHigh: number;
    if (topLow >= this.size - 1) seqHigh = low >= bottomLow ? high : high + 1;
    else seqHigh = low >= bottomLow && high > 0 ? high - 1 : high;
    return seqHigh * TWO_32 + low;
  }

  private isSet(seq: number): boolean {
    return ((this.words[Math.floor(seq / WORD_BITS) % this.words.length]! >>> (seq % WORD_BITS)) & 1) === 1;
  }
}
