/** Whole IKE messages: the header and the outer payload chain; SK and SKF bodies stay opaque here. */

import { IKE_HEADER_LENGTH } from '../../iana.js';
import { decodeChain, encodePayloadChain, firstPayloadType } from './chain.js';
import { decodeHeader, encodeHeader } from './header.js';
import type { IkeHeader, IkeMessage, Payload } from './types.js';

/** Decodes one datagram's message (after any non-ESP marker has been removed). */
export function decodeMessage(bytes: Uint8Array): IkeMessage {
  const header = decodeHeader(bytes);
  const payloads = decodeChain(header.firstPayload, bytes.subarray(IKE_HEADER_LENGTH), 'IKE message', true);
  return { header, payloads };
}

export function encodeMessage(header: IkeHeader, payloads: readonly Payload[]): Uint8Array {
  const chain = encodePayloadChain(payloads);
  const total = IKE_HEADER_LENGTH + chain.length;
  const out = new Uint8Array(total);
  out.set(encodeHeader(header, firstPayloadType(payloads), total));
  out.set(chain, IKE_HEADER_LENGTH);
  return out;
}
