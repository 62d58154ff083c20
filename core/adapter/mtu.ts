/**
 * The tunnel MTU from the path MTU and the real ESP-in-UDP overhead of the negotiated transforms (RFC 4303 §2,
 * RFC 3948), and the TCP MSS that fits in it.
 */
import type { Encryption } from '../crypto/encryption.js';
import type { Integrity } from '../crypto/integrity.js';
import { OutpostError } from '../errors.js';

const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const UDP_HEADER = 8;
/** SPI + sequence number. */
const ESP_HEADER = 8;
/** Pad Length + Next Header. */
const ESP_TRAILER = 2;
const TCP_HEADER = 20;
/** RFC 4303 §2.4: even without a block cipher the trailer ends on a 4-byte boundary. */
const ESP_MIN_ALIGNMENT = 4;
/** RFC 791: every IPv4 link carries 68 bytes; below that the adapter cannot be configured at all. */
const MIN_IPV4_MTU = 68;

/**
 * The largest inner packet that, once ESP-in-UDP encapsulated with minimal padding, fits in `pathMtu`: the
 * encrypted part (inner packet + padding + trailer) is a whole number of cipher blocks, so the inner packet plus the
 * trailer is exactly the room left after the fixed overhead, rounded down to the block.
 */
export function tunnelMtu(
  pathMtu: number,
  encryption: Encryption,
  integrity: Integrity | undefined,
  outerIpv6 = false,
): number {
  const icv = encryption.kind === 'aead' ? encryption.icvLength : (integrity?.icvLength ?? 0);
  const alignment = encryption.kind === 'cbc' ? Math.max(encryption.blockSize, ESP_MIN_ALIGNMENT) : ESP_MIN_ALIGNMENT;
  const room = pathMtu - (outerIpv6 ? IPV6_HEADER : IPV4_HEADER) - UDP_HEADER - ESP_HEADER - encryption.ivLength - icv;
  const mtu = Math.floor(room / alignment) * alignment - ESP_TRAILER;
  if (!Number.isInteger(pathMtu) || mtu < MIN_IPV4_MTU) {
    throw new OutpostError('profile-invalid', `A path MTU of ${pathMtu} bytes is too small to carry the tunnel.`, {
      detail: `${encryption.name} over UDP leaves ${mtu} bytes for inner packets; IPv4 needs ${MIN_IPV4_MTU}`,
    });
  }
  return mtu;
}

/** The TCP MSS that keeps a segment with no options inside one packet of `mtu` bytes. */
export function mssFor(mtu: number, ipv6: boolean): number {
  return mtu - (ipv6 ? IPV6_HEADER : IPV4_HEADER) - TCP_HEADER;
}
