/**
 * Transport mode for IPv4 (RFC 4303 §3.1.1): the ESP header goes between the IP header (options included) and the
 * upper-layer data, which it protects with Next Header = the original protocol; the IP header then says protocol
 * 50 with its total length and checksum fixed. The tunnel client itself uses tunnel mode; this serves host-to-host
 * SAs and tests.
 */
import { DecodeError } from '../errors.js';
import { NEXT_HEADER_NONE } from './layout.js';
import type { Decapsulated, DropReason } from './sa.js';

const PROTOCOL_ESP = 50;
const MIN_HEADER = 20;
const MAX_TOTAL_LENGTH = 0xffff;

/** A dummy packet (RFC 4303 §2.6) is not delivered either, though nothing is wrong with it. */
export type TransportDrop = DropReason | 'dummy';

export type TransportOpened = { ok: true; packet: Uint8Array } | { ok: false; reason: TransportDrop };

interface Ipv4 {
  headerLength: number;
  totalLength: number;
  protocol: number;
}

/** The IPv4 header fields transport mode needs, or a sentence saying why these bytes are not a whole datagram. */
function parseIpv4(packet: Uint8Array): Ipv4 | string {
  if (packet.length < MIN_HEADER) return `IPv4 packet of ${packet.length} bytes`;
  if (packet[0]! >> 4 !== 4) return `IP version ${packet[0]! >> 4}`;
  const headerLength = (packet[0]! & 0x0f) * 4;
  const totalLength = (packet[2]! << 8) | packet[3]!;
  if (headerLength < MIN_HEADER || totalLength < headerLength || totalLength > packet.length) {
    return `IPv4 header length ${headerLength}, total length ${totalLength}, ${packet.length} bytes`;
  }
  // RFC 4303 §3.4.1: ESP works on whole datagrams; fragments are reassembled first
  const more = (packet[6]! & 0x20) !== 0;
  const offset = ((packet[6]! & 0x1f) << 8) | packet[7]!;
  if (more || offset !== 0) return 'IPv4 fragment';
  if (checksum(packet, headerLength) !== 0) return 'IPv4 header checksum';
  return { headerLength, totalLength, protocol: packet[9]! };
}

/** The Internet checksum (RFC 1071) over the first `length` bytes: 0 for a header whose checksum is right. */
function checksum(bytes: Uint8Array, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** `header` (copied) in front of `data`, with protocol, total length and header checksum set. */
function withHeader(header: Uint8Array, protocol: number, data: Uint8Array): Uint8Array {
  const totalLength = header.length + data.length;
  const out = new Uint8Array(totalLength);
  out.set(header);
  out.set(data, header.length);
  out[9] = protocol;
  out[2] = totalLength >> 8;
  out[3] = totalLength;
  out[10] = 0;
  out[11] = 0;
  const sum = checksum(out, header.length);
  out[10] = sum >> 8;
  out[11] = sum;
  return out;
}

/**
 * An IPv4 datagram to its transport-mode ESP form through `sa` (an OutboundSa). Throws DecodeError when the bytes
 * are not a whole, unfragmented IPv4 datagram or the result would exceed 65535 bytes.
 */
export function sealTransport(
  ipPacket: Uint8Array,
  sa: { encapsulate(payload: Uint8Array, nextHeader: number): Uint8Array },
): Uint8Array {
  const ip = parseIpv4(ipPacket);
  if (typeof ip === 'string') throw new DecodeError(ip);
  const esp = sa.encapsulate(ipPacket.subarray(ip.headerLength, ip.totalLength), ip.protocol);
  if (ip.headerLength + esp.length > MAX_TOTAL_LENGTH) throw new DecodeError('transport-mode ESP datagram over 65535');
  return withHeader(ipPacket.subarray(0, ip.headerLength), PROTOCOL_ESP, esp);
}

/**
 * A transport-mode ESP datagram back to the original IPv4 datagram through `sa` (an InboundSa), or why it was not
 * delivered: the SA's reasons, 'malformed' for a datagram that is not whole, unfragmented IPv4 carrying ESP, and
 * 'dummy' for a dummy packet. Never throws.
 */
export function openTransport(
  ipPacket: Uint8Array,
  sa: { decapsulate(packet: Uint8Array): Decapsulated },
): TransportOpened {
  const ip = parseIpv4(ipPacket);
  if (typeof ip === 'string' || ip.protocol !== PROTOCOL_ESP) return { ok: false, reason: 'malformed' };
  const result = sa.decapsulate(ipPacket.subarray(ip.headerLength, ip.totalLength));
  if (!result.ok) return result;
  if (result.nextHeader === NEXT_HEADER_NONE) return { ok: false, reason: 'dummy' };
  return { ok: true, packet: withHeader(ipPacket.subarray(0, ip.headerLength), result.nextHeader, result.payload) };
}
