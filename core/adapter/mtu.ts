/**
 * The tunnel MTU from the path MTU and the real ESP-in-UDP overhead of the negotiated transforms (RFC 4303 §2,
 * RFC 3948), and the TCP MSS that fits in it.
 */
import type { Encryption } from '../crypto/encryption.js';
import type { Integrity } from '../crypto/integrity.js';

const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const UDP_HEADER = 8;
const ESP_HEADER = 8; // SPI + sequence number
const ESP_TRAILER = 2; // pad length + next header
const TCP_HEADER = 20;

export function tunnelMtu(
  pathMtu: number,
  encryption: Encryption,
  integrity: Integrity | undefined,
  outerIpv6 = false,
): number {
  const icv = encryption.kind === 'aead' ? encryption.icvLength : (integrity?.icvLength ?? 0);
  const block = encryption.kind === 'cbc' ? encryption.blockSize : 4;
  const room = pathMtu - (outerIpv6 ? IPV6_HEADER : IPV4_HEADER) - UDP_HEADER - ESP_HEADER - encryption.ivLength - icv;
  // the encrypted part (inner packet + trailer) is padded up to the block: the largest inner packet that needs no
  // more than `room` bytes once padded
  return Math.floor(room / block) * block - ESP_TRAILER;
}

export function mssFor(mtu: number, ipv6: boolean): number {
  return mtu - (ipv6 ? IPV6_HEADER : IPV4_HEADER) - TCP_HEADER;
}
