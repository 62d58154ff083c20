import { randomFillSync } from 'node:crypto';

/**
 * Unpredictable CBC IVs (RFC 3602 §2) drawn from a pool refilled by one CSPRNG call per `count` IVs: a randomBytes
 * call per packet costs as much as the AES itself at 1400 bytes.
 */
export class RandomIvs {
  private readonly pool: Buffer;
  private offset: number;

  constructor(
    private readonly ivLength: number,
    count = 256,
  ) {
    this.pool = Buffer.allocUnsafe(ivLength * count);
    this.offset = this.pool.length;
  }

  /** A fresh IV; the view is only valid until the next call, so copy it before asking again. */
  next(): Uint8Array {
    if (this.offset === this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const iv = this.pool.subarray(this.offset, this.offset + this.ivLength);
    this.offset += this.ivLength;
    return iv;
  }
}
