/**
 * A bounds-checked cursor over received bytes. Every read that would run past the end throws a DecodeError naming
 * the field, so the codecs above it never see a RangeError or a silently short value.
 */
import { DecodeError } from '../../errors.js';

export class ByteReader {
  readonly context: string;
  readonly #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array, context: string) {
    // A plain view, so that slice() copies even when given a Buffer (whose slice() would alias the input).
    this.#bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.context = context;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  /** A DecodeError that says where in the message the problem is. */
  fail(what: string): DecodeError {
    return new DecodeError(`${this.context}: ${what}`);
  }

  #need(length: number, field: string): number {
    if (length > this.remaining) {
      throw this.fail(`${field} needs ${length} bytes but only ${this.remaining} remain`);
    }
    const start = this.#offset;
    this.#offset += length;
    return start;
  }

  u8(field: string): number {
    const at = this.#need(1, field);
    return this.#bytes[at]!;
  }

  u16(field: string): number {
    const at = this.#need(2, field);
    return (this.#bytes[at]! << 8) | this.#bytes[at + 1]!;
  }

  u32(field: string): number {
    const at = this.#need(4, field);
    return (
      ((this.#bytes[at]! << 24) | (this.#bytes[at + 1]! << 16) | (this.#bytes[at + 2]! << 8) | this.#bytes[at + 3]!) >>>
      0
    );
  }

  /** A copy, so decoded values never alias a receive buffer that may be reused. */
  bytes(length: number, field: string): Uint8Array {
    const at = this.#need(length, field);
    return this.#bytes.slice(at, at + length);
  }

  skip(length: number, field: string): void {
    this.#need(length, field);
  }

  rest(): Uint8Array {
    return this.bytes(this.remaining, 'rest');
  }

  /** A reader over the next `length` bytes, for a substructure whose own length field bounds it. */
  sub(length: number, field: string, context: string): ByteReader {
    const at = this.#need(length, field);
    return new ByteReader(this.#bytes.subarray(at, at + length), context);
  }

  /** Structures here have exact lengths: leftover bytes mean the sender and we disagree about the layout. */
  end(after: string): void {
    if (this.remaining !== 0) {
      throw this.fail(`${this.remaining} unexpected bytes after ${after}`);
    }
  }
}
