/**
 * The ESP packet layout (RFC 4303 §2): SPI ‖ Sequence Number ‖ IV ‖ ciphertext of (Payload ‖ Padding ‖ Pad Length ‖
 * Next Header) ‖ ICV. Shared by both protections so the trailer is built and checked in one place.
 */

/** SPI (4) + low-order 32 bits of the sequence number (4). */
export const ESP_HEADER_LENGTH = 8;
/** Pad Length + Next Header. */
export const TRAILER_LENGTH = 2;
/** RFC 4303 §2.6: a dummy packet, which the receiver discards. */
export const NEXT_HEADER_NONE = 59;
/** Tunnel mode inner packets (IANA protocol numbers). */
export const NEXT_HEADER_IPV4 = 4;
export const NEXT_HEADER_IPV6 = 41;

/**
 * Padding bytes so that payload + trailer ends on `alignment` (RFC 4303 §2.4: 4 bytes at least, the cipher's block
 * size for CBC).
 */
export function padLengthFor(payloadLength: number, alignment: number): number {
  const rest = (payloadLength + TRAILER_LENGTH) % alignment;
  return rest === 0 ? 0 : alignment - rest;
}

/** Writes the default padding 1, 2, 3, … (RFC 4303 §2.4), Pad Length and Next Header at `offset`. */
export function writeTrailer(out: Uint8Array, offset: number, padLength: number, nextHeader: number): void {
  let at = offset;
  for (let i = 1; i <= padLength; i++) out[at++] = i;
  out[at++] = padLength;
  out[at] = nextHeader;
}

export interface Trailer {
  /** Length of the payload, i.e. where the padding starts. */
  payloadLength: number;
  nextHeader: number;
}

/**
 * The payload length and Next Header of decrypted `plain`, or undefined when Pad Length runs past the start or the
 * padding is not the monotonic 1, 2, 3, … that RFC 4303 §2.4 has the receiver inspect.
 */
export function readTrailer(plain: Uint8Array): Trailer | undefined {
  if (plain.length < TRAILER_LENGTH) return undefined;
  const padLength = plain[plain.length - 2]!;
  const nextHeader = plain[plain.length - 1]!;
  const payloadLength = plain.length - TRAILER_LENGTH - padLength;
  if (payloadLength < 0) return undefined;
  for (let i = 0; i < padLength; i++) if (plain[payloadLength + i] !== i + 1) return undefined;
  return { payloadLength, nextHeader };
}

/** The big-endian unsigned 32-bit number at `offset` (an SPI as a map key, the low half of a sequence number). */
export function readUint32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/** Writes `value` (0 … 2^32 - 1) big-endian at `offset`. */
/**
 * A new ESP packet (RFC 4303 §2) with everything but the ciphertext and ICV in place: SPI ‖ low-order sequence bits ‖
 * IV ‖ payload ‖ padding ‖ Pad Length ‖ Next Header, and `icvLength` bytes left for the ICV. The plaintext to
 * encrypt in place starts right after the IV.
 */
export function espPacket(
  spi: Uint8Array,
  low: number,
  iv: Uint8Array,
  payload: Uint8Array,
  padLength: number,
  nextHeader: number,
  icvLength: number,
): Buffer {
  const body = ESP_HEADER_LENGTH + iv.length;
  const out = Buffer.allocUnsafe(body + payload.length + padLength + TRAILER_LENGTH + icvLength);
  out.set(spi, 0);
  writeUint32(out, 4, low);
  out.set(iv, ESP_HEADER_LENGTH);
  out.set(payload, body);
  writeTrailer(out, body + payload.length, padLength, nextHeader);
  return out;
}

export function writeUint32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = value >>> 16;
  out[offset + 2] = value >>> 8;
  out[offset + 3] = value;
}
