/**
 * Appends big-endian fields to a growing buffer. A value that does not fit its field is a bug in the caller (the
 * engine builds these values itself), so it throws a plain Error rather than truncating silently.
 */
export class ByteWriter {
  #buffer = new Uint8Array(256);
  #length = 0;

  #grow(extra: number): number {
    const start = this.#length;
    const needed = start + extra;
    if (needed > this.#buffer.length) {
      const next = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      next.set(this.#buffer.subarray(0, start));
      this.#buffer = next;
    }
    this.#length = needed;
    return start;
  }

  u8(value: number, field: string): this {
    checkUint(value, 0xff, field);
    const at = this.#grow(1);
    this.#buffer[at] = value;
    return this;
  }

  u16(value: number, field: string): this {
    checkUint(value, 0xffff, field);
    const at = this.#grow(2);
    this.#buffer[at] = value >>> 8;
    this.#buffer[at + 1] = value & 0xff;
    return this;
  }

  u32(value: number, field: string): this {
    checkUint(value, 0xffffffff, field);
    const at = this.#grow(4);
    this.#buffer[at] = value >>> 24;
    this.#buffer[at + 1] = (value >>> 16) & 0xff;
    this.#buffer[at + 2] = (value >>> 8) & 0xff;
    this.#buffer[at + 3] = value & 0xff;
    return this;
  }

  zeros(length: number): this {
    this.#grow(length); // a fresh or grown buffer is zero-filled and never written twice
    return this;
  }

  bytes(value: Uint8Array): this {
    const at = this.#grow(value.length);
    this.#buffer.set(value, at);
    return this;
  }

  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

export function checkUint(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`${field} ${value} does not fit in 0..${max}`);
  }
}
