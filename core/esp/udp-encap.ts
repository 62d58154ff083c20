/**
 * UDP encapsulation of ESP (RFC 3948): on port 4500 one socket carries IKE behind a 4-byte zero Non-ESP Marker,
 * ESP as is (its SPI is never zero), and one-byte 0xFF NAT keepalives.
 */
import { IKE_HEADER_LENGTH } from '../iana.js';
import { ESP_HEADER_LENGTH, readUint32 } from './layout.js';

/** RFC 3948: ESP, and IKE once NAT traversal starts, go to this port. */
export const NAT_T_PORT = 4500;

/** RFC 3948 §2.2: 4 zero bytes in front of IKE on UDP port 4500 tell IKE apart from ESP. */
export const NON_ESP_MARKER_LENGTH = 4;

/** An IKE message as it goes on port 4500: behind the Non-ESP Marker. */
export function withNonEspMarker(ike: Uint8Array): Uint8Array {
  const framed = new Uint8Array(NON_ESP_MARKER_LENGTH + ike.length);
  framed.set(ike, NON_ESP_MARKER_LENGTH);
  return framed;
}

/** RFC 3948 §2.3: the NAT-keepalive payload, a single 0xFF byte. */
export const NAT_KEEPALIVE: Uint8Array = Uint8Array.of(0xff);

export type NatTDatagram = 'ike' | 'esp' | 'keepalive' | 'malformed';

/**
 * What a datagram on the NAT-T port is: 'ike' (marker + at least an IKE header: strip the first 4 bytes), 'esp'
 * (non-zero SPI and room for SPI + sequence number), 'keepalive', or 'malformed' (anything else, to be ignored).
 */
export function classifyNatTDatagram(d: Uint8Array): NatTDatagram {
  if (d.length === 1) return d[0] === 0xff ? 'keepalive' : 'malformed';
  if (d.length < NON_ESP_MARKER_LENGTH) return 'malformed';
  if (readUint32(d, 0) === 0) return d.length >= NON_ESP_MARKER_LENGTH + IKE_HEADER_LENGTH ? 'ike' : 'malformed';
  return d.length >= ESP_HEADER_LENGTH ? 'esp' : 'malformed';
}

/** ESP from the gateway, for the data path: on the NAT-T port and not IKE, a keepalive or garbage. */
export function isEspDatagram(datagram: Uint8Array, port: number): boolean {
  return port === NAT_T_PORT && classifyNatTDatagram(datagram) === 'esp';
}
