/**
 * Payload chains (RFC 7296 §3.2): each payload's generic header names the type of the one after it. The chain is
 * where lengths and next-payload fields live, so typed payloads never carry them.
 */
import { DecodeError } from '../../errors.js';
import { PayloadType } from '../../iana.js';
import { GENERIC_HEADER_LENGTH } from './constants.js';
import { decodePayload, encodePayload, isEncrypted, payloadName, payloadTypeOf } from './payloads.js';
import type { Payload } from './types.js';
import { ByteWriter } from './writer.js';

const CRITICAL = 0x80;
const MAX_PAYLOAD_LENGTH = 0xffff;

/**
 * Decodes a chain that fills `bytes` exactly. In the outer chain of a message an SK or SKF payload ends the chain
 * (its next-payload field names the first encrypted payload instead) and must reach the end of the message; inside a
 * decrypted SK an encrypted payload has no meaning and is rejected.
 */
export function decodeChain(firstType: number, bytes: Uint8Array, context: string, outer: boolean): Payload[] {
  const payloads: Payload[] = [];
  let type = firstType;
  let offset = 0;
  while (type !== PayloadType.NONE) {
    const where = `${context}, payload ${payloads.length + 1} (${payloadName(type)})`;
    const left = bytes.length - offset;
    if (left < GENERIC_HEADER_LENGTH) {
      throw new DecodeError(`${where}: announced but only ${left} bytes remain`);
    }
    const next = bytes[offset]!;
    const critical = (bytes[offset + 1]! & CRITICAL) !== 0;
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    if (length < GENERIC_HEADER_LENGTH) {
      throw new DecodeError(`${where}: length ${length} is shorter than the generic header`);
    }
    if (length > left) {
      throw new DecodeError(`${where}: length ${length} but only ${left} bytes remain`);
    }
    const body = bytes.subarray(offset + GENERIC_HEADER_LENGTH, offset + length);
    offset += length;
    if (isEncrypted(type)) {
      if (!outer) {
        throw new DecodeError(`${where}: an encrypted payload inside an encrypted payload`);
      }
      if (offset !== bytes.length) {
        throw new DecodeError(`${where}: must be the last payload but ${bytes.length - offset} bytes follow`);
      }
    }
    payloads.push(decodePayload(type, next, critical, body));
    type = isEncrypted(type) ? PayloadType.NONE : next;
  }
  if (offset !== bytes.length) {
    throw new DecodeError(`${context}: ${bytes.length - offset} bytes after the last payload`);
  }
  return payloads;
}

/** Decodes the payloads found inside a decrypted SK payload (or reassembled SKF fragments). */
export function decodePayloadChain(firstType: number, bytes: Uint8Array): Payload[] {
  return decodeChain(firstType, bytes, 'encrypted payloads', false);
}

export function firstPayloadType(payloads: readonly Payload[]): number {
  const first = payloads[0];
  return first === undefined ? PayloadType.NONE : payloadTypeOf(first);
}

/** The 4-byte generic payload header with the critical bit clear, e.g. for building the AAD of SK or SKF. */
export function encodeGenericHeader(nextPayload: number, length: number): Uint8Array {
  return genericHeader(nextPayload, false, length);
}

function genericHeader(nextPayload: number, critical: boolean, length: number): Uint8Array {
  if (length < GENERIC_HEADER_LENGTH || length > MAX_PAYLOAD_LENGTH) {
    throw new Error(`payload length ${length} outside ${GENERIC_HEADER_LENGTH}..${MAX_PAYLOAD_LENGTH}`);
  }
  return new ByteWriter()
    .u8(nextPayload, 'next payload')
    .u8(critical ? CRITICAL : 0, 'flags')
    .u16(length, 'payload length')
    .finish();
}

export function encodePayloadChain(payloads: readonly Payload[]): Uint8Array {
  const w = new ByteWriter();
  payloads.forEach((payload, i) => {
    const following = payloads[i + 1];
    let next: number;
    if (payload.type === PayloadType.SK || payload.type === PayloadType.SKF) {
      if (following !== undefined) {
        throw new Error(`${payloadName(payload.type)} must be the last payload of a chain`);
      }
      next = payload.innerType;
    } else {
      next = following === undefined ? PayloadType.NONE : payloadTypeOf(following);
    }
    const body = encodePayload(payload);
    const critical = payload.type === 'unrecognized' && payload.critical;
    w.bytes(genericHeader(next, critical, GENERIC_HEADER_LENGTH + body.length)).bytes(body);
  });
  return w.finish();
}
