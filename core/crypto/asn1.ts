/**
 * A minimal strict DER reader (X.690 §10): enough to pick apart certificates and AlgorithmIdentifiers.
 * Every length is checked against the bytes that are there; indefinite and non-minimal lengths, high tag numbers and
 * trailing bytes are refused with a DecodeError, so nothing downstream ever reads past its slice.
 */
import { DecodeError } from '../errors.js';

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Tag byte of a context-specific [n] field. */
export function contextTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

export type DerElement = {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  readonly tag: number;
  /** The content octets. */
  readonly contents: Uint8Array;
  /** The whole encoding: identifier, length and contents. */
  readonly encoded: Uint8Array;
};

/** Reads consecutive elements from one slice of bytes; `what` names the structure in errors. */
export class DerReader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  peekTag(): number | undefined {
    return this.bytes[this.offset];
  }

  read(): DerElement {
    const start = this.offset;
    const tag = this.bytes[start];
    if (tag === undefined) throw new DecodeError(`${this.what}: element missing`);
    if ((tag & 0x1f) === 0x1f) throw new DecodeError(`${this.what}: high tag number form`);
    const first = this.bytes[start + 1];
    if (first === undefined) throw new DecodeError(`${this.what}: length missing`);
    let length = first;
    let header = 2;
    if (first & 0x80) {
      const count = first & 0x7f;
      if (count === 0) throw new DecodeError(`${this.what}: indefinite length`);
      if (count > 4) throw new DecodeError(`${this.what}: length too large`);
      if (start + 2 + count > this.bytes.length) throw new DecodeError(`${this.what}: length truncated`);
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + (this.bytes[start + 2 + i] ?? 0);
      if (this.bytes[start + 2] === 0 || length < 0x80) throw new DecodeError(`${this.what}: non-minimal length`);
      header += count;
    }
    const end = start + header + length;
    if (end > this.bytes.length) throw new DecodeError(`${this.what}: element truncated`);
    this.offset = end;
    return {
      tag,
      contents: this.bytes.subarray(start + header, end),
      encoded: this.bytes.subarray(start, end),
    };
  }

  /** Reads the next element and insists on its tag. */
  expect(tag: number, field: string): DerElement {
    const next = this.peekTag();
    if (next !== tag) throw new DecodeError(`${this.what}: ${field} expected`);
    return this.read();
  }

  /** Reads the next element only when it carries `tag` (OPTIONAL and DEFAULT fields). */
  optional(tag: number): DerElement | undefined {
    return this.peekTag() === tag ? this.read() : undefined;
  }

  /** A structure must use up its bytes exactly. */
  end(): void {
    if (!this.done) throw new DecodeError(`${this.what}: unexpected trailing data`);
  }
}

/** Exactly one element filling `bytes`. */
export function parseDer(bytes: Uint8Array, what: string): DerElement {
  const reader = new DerReader(bytes, what);
  const element = reader.read();
  reader.end();
  return element;
}

/** A reader over the contents of a constructed element that must carry `tag`. */
export function readerOf(element: DerElement, tag: number, what: string): DerReader {
  if (element.tag !== tag) throw new DecodeError(`${what}: wrong type`);
  return new DerReader(element.contents, what);
}

/** Dotted-decimal form of an OBJECT IDENTIFIER's contents. */
export function decodeOid(contents: Uint8Array, what: string): string {
  if (contents.length === 0) throw new DecodeError(`${what}: empty object identifier`);
  const arcs: number[] = [];
  let value = 0;
  let fresh = true;
  for (const byte of contents) {
    if (fresh && byte === 0x80) throw new DecodeError(`${what}: non-minimal object identifier`);
    if (value >= 2 ** 46) throw new DecodeError(`${what}: object identifier arc too large`);
    value = value * 128 + (byte & 0x7f);
    fresh = (byte & 0x80) === 0;
    if (fresh) {
      if (arcs.length === 0) {
        const top = value < 40 ? 0 : value < 80 ? 1 : 2;
        arcs.push(top, value - top * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    }
  }
  if (!fresh) throw new DecodeError(`${what}: object identifier truncated`);
  return arcs.join('.');
}

/** A non-negative INTEGER that fits a JavaScript safe integer, minimally encoded. */
export function decodeSmallUnsigned(element: DerElement, what: string): number {
  if (element.tag !== Tag.INTEGER) throw new DecodeError(`${what}: integer expected`);
  const { contents } = element;
  const first = contents[0];
  if (first === undefined) throw new DecodeError(`${what}: empty integer`);
  if (first & 0x80) throw new DecodeError(`${what}: negative integer`);
  if (contents.length > 1 && first === 0 && ((contents[1] ?? 0) & 0x80) === 0) {
    throw new DecodeError(`${what}: non-minimal integer`);
  }
  if (contents.length > 7) throw new DecodeError(`${what}: integer too large`);
  let value = 0;
  for (const byte of contents) value = value * 256 + byte;
  if (!Number.isSafeInteger(value)) throw new DecodeError(`${what}: integer too large`);
  return value;
}

/** DER BOOLEAN: one byte, 0x00 or 0xff. */
export function decodeBoolean(element: DerElement, what: string): boolean {
  if (element.tag !== Tag.BOOLEAN || element.contents.length !== 1) throw new DecodeError(`${what}: boolean expected`);
  const value = element.contents[0];
  if (value === 0x00) return false;
  if (value === 0xff) return true;
  throw new DecodeError(`${what}: non-DER boolean`);
}

/** BIT STRING contents as bytes plus the count of unused bits in the last one (which DER requires to be zero). */
export function decodeBitString(element: DerElement, what: string): { bytes: Uint8Array; unusedBits: number } {
  if (element.tag !== Tag.BIT_STRING) throw new DecodeError(`${what}: bit string expected`);
  const unusedBits = element.contents[0];
  if (unusedBits === undefined || unusedBits > 7) throw new DecodeError(`${what}: bad bit string`);
  const bytes = element.contents.subarray(1);
  const last = bytes[bytes.length - 1];
  if (bytes.length === 0 ? unusedBits !== 0 : ((last ?? 0) & ((1 << unusedBits) - 1)) !== 0) {
    throw new DecodeError(`${what}: bad bit string padding`);
  }
  return { bytes, unusedBits };
}

/** UTCTime (RFC 5280 §4.1.2.5.1: YYMMDDHHMMSSZ) or GeneralizedTime (§4.1.2.5.2: YYYYMMDDHHMMSSZ). */
export function decodeTime(element: DerElement, what: string): Date {
  const text = new TextDecoder('latin1').decode(element.contents);
  const match =
    element.tag === Tag.UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : element.tag === Tag.GENERALIZED_TIME
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
        : null;
  if (match === null) throw new DecodeError(`${what}: bad time`);
  let year = Number(match[1]);
  // RFC 5280 §4.1.2.5.1: a two-digit year of 50 or more is 19YY, below 50 is 20YY.
  if (element.tag === Tag.UTC_TIME) year += year >= 50 ? 1900 : 2000;
  const [month, day, hour, minute, second] = match.slice(2).map(Number) as [number, number, number, number, number];
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    throw new DecodeError(`${what}: bad time`);
  }
  return date;
}
