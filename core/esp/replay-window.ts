/**
 * The anti-replay window of RFC 4303 §3.4.3 as a sliding bitmap, with the high-order bits of extended sequence
 * numbers inferred as in Appendix A2. `check` is cheap and runs before decryption; `accept` runs only after the ICV
 * verified, so a forged packet cannot move the window.
 */
const TWO_32 = 0x1_0000_0000;

export class ReplayWindow {
  /** Highest authenticated sequence number (full 64-bit value as a JS number: 2^53 is far beyond any SA's life). */
  private top = 0;
  private readonly bits: Uint32Array;

  constructor(
    readonly size: number,
    private readonly esn: boolean,
  ) {
    if (size < 32 || size % 32 !== 0) throw new Error('replay window size must be a multiple of 32');
    this.bits = new Uint32Array(size / 32);
  }

  /** The full sequence number for the 32 low-order bits on the wire, or undefined when it is a replay or too old. */
  check(low: number): number | undefined {
    const seq = this.esn ? this.infer(low) : low;
    if (seq === 0) return undefined; // sequence numbers start at 1 (RFC 4303 §2.2)
    if (seq > this.top) return seq;
    const age = this.top - seq;
    if (age >= this.size) return undefined;
    return this.isSet(seq) ? undefined : seq;
  }

  /** Records an authenticated packet. */
  accept(seq: number): void {
    if (seq > this.top) {
      const shift = seq - this.top;
      if (shift >= this.size) this.bits.fill(0);
      else for (let s = this.top + 1; s <= seq; s++) this.clear(s);
      this.top = seq;
    }
    this.set(seq);
  }

  /** RFC 4303 Appendix A2.1: pick the high-order half that puts `low` nearest the window. */
  private infer(low: number): number {
    const topLow = this.top % TWO_32;
    const topHigh = Math.floor(this.top / TWO_32);
    const bottom = this.top - this.size + 1;
    if (topLow >= this.size - 1) {
      // window within one high-order epoch
      return (low >= bottom % TWO_32 ? topHigh : topHigh + 1) * TWO_32 + low;
    }
    // window spans two epochs
    const bottomLow = ((bottom % TWO_32) + TWO_32) % TWO_32;
    return (low >= bottomLow && topHigh > 0 ? topHigh - 1 : topHigh) * TWO_32 + low;
  }

  private index(seq: number): [number, number] {
    const slot = seq % this.size;
    return [slot >>> 5, 1 << (slot & 31)];
  }

  private isSet(seq: number): boolean {
    const [word, mask] = this.index(seq);
    return (this.bits[word]! & mask) !== 0;
  }

  private set(seq: number): void {
    const [word, mask] = this.index(seq);
    this.bits[word]! |= mask;
  }

  private clear(seq: number): void {
    const [word, mask] = this.index(seq);
    this.bits[word]! &= ~mask;
  }
}
