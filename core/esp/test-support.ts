// Shared by the ESP tests (not part of the build): published packets, an ICV-less stand-in and config makers.

import { fromHex } from '../../test/support/hex.js';
import type { Integrity } from '../crypto/integrity.js';
import { randomBytes } from '../crypto/random.js';
import { getEncryption, getIntegrity } from '../crypto/registry.js';
import { EncrId, IntegId } from '../iana.js';
import type { EspSaConfig } from './sa.js';

/**
 * RFC 3602's ESP examples carry no ICV (encryption-only ESP, which we never negotiate): this zero-length
 * "integrity" reproduces them through the real CBC code.
 */
export const NULL_ICV_FOR_TESTS: Integrity = {
  id: 0,
  keyLength: 0,
  icvLength: 0,
  compute: () => new Uint8Array(0),
  verify: (_key, icv) => icv.length === 0,
};

export interface Rfc3602Case {
  name: string;
  key: string;
  spi: string;
  seq: number;
  iv: string;
  /** What ESP protects: the upper-layer data (transport mode) or the whole inner packet (tunnel mode). */
  payload: string;
  nextHeader: number;
  /** payload ‖ padding ‖ Pad Length ‖ Next Header, as the RFC lists it before encryption */
  padded: string;
  /** SPI ‖ sequence number ‖ IV ‖ ciphertext */
  esp: string;
}

const CASE5_DATA = `08000ebd a70a0000 8e9c083d b95b0700 08090a0b 0c0d0e0f 10111213 14151617
  18191a1b 1c1d1e1f 20212223 24252627 28292a2b 2c2d2e2f 30313233 34353637`;

/** RFC 3602 §4 case #5: transport-mode ESP of an ICMP echo from 192.168.123.3 to 192.168.123.100. */
export const RFC3602_CASE5: Rfc3602Case = {
  name: '#5',
  key: '90d382b4 10eeba7a d938c46c ec1a82bf',
  spi: '00004321',
  seq: 1,
  iv: 'e96e8c08 ab465763 fd098d45 dd3ff893',
  payload: CASE5_DATA,
  nextHeader: 1,
  padded: `${CASE5_DATA} 01020304 05060708 090a0b0c 0d0e 0e 01`,
  esp: `00004321 00000001 e96e8c08 ab465763 fd098d45 dd3ff893
    f663c25d 325c18c6 a9453e19 4e120849 a4870b66 cc6b9965 330013b4 898dc856
    a4699e52 3a55db08 0b59ec3a 8e4b7e52 775b07d1 db34ed9c 538ab50c 551b874a
    a269add0 47ad2d59 13ac19b7 cfbad4a6`,
};

const CASE7_INNER = `45000054 09040000 4001f988 c0a87b03 c0a87bc8 08009f76 a90a0100 b49c083d
  02a20400 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f 20212223
  24252627 28292a2b 2c2d2e2f 30313233 34353637`;

/** RFC 3602 §4 case #7: tunnel-mode ESP of an ICMP echo (inner IPv4 packet, Next Header 4). */
export const RFC3602_CASE7: Rfc3602Case = {
  name: '#7',
  key: '01234567 89abcdef 01234567 89abcdef',
  spi: '00008765',
  seq: 2,
  iv: 'f4e76524 4f6407ad f13dc138 0f673f37',
  payload: CASE7_INNER,
  nextHeader: 4,
  padded: `${CASE7_INNER} 01020304 05060708 090a 0a 04`,
  esp: `00008765 00000002 f4e76524 4f6407ad f13dc138 0f673f37
    773b5241 a4c44922 5e4f3ce5 ed611b0c 237ca96c f74a9301 3c1b0ea1 a0cf70f8
    e4ecaec7 8ac53aad 7a0f022b 859243c6 47752e94 a859352b 8a4d4d2d ecd136e5
    c177f132 ad3fbfb2 201ac990 4c74ee0a 109e0ca1 e4dfe9d5 a100b842 f1c22f0d`,
};

/** Every ESP transform we negotiate, by name. */
export const TRANSFORMS: readonly { name: string; encr: number; keyBits: number | undefined; integ?: number }[] = [
  { name: 'AES-GCM-16-128', encr: EncrId.AES_GCM_16, keyBits: 128 },
  { name: 'AES-GCM-16-192', encr: EncrId.AES_GCM_16, keyBits: 192 },
  { name: 'AES-GCM-16-256', encr: EncrId.AES_GCM_16, keyBits: 256 },
  { name: 'ChaCha20-Poly1305', encr: EncrId.CHACHA20_POLY1305, keyBits: undefined },
  { name: 'AES-CBC-128 + HMAC-SHA1-96', encr: EncrId.AES_CBC, keyBits: 128, integ: IntegId.HMAC_SHA1_96 },
  { name: 'AES-CBC-128 + HMAC-SHA2-256-128', encr: EncrId.AES_CBC, keyBits: 128, integ: IntegId.HMAC_SHA2_256_128 },
  { name: 'AES-CBC-192 + HMAC-SHA2-384-192', encr: EncrId.AES_CBC, keyBits: 192, integ: IntegId.HMAC_SHA2_384_192 },
  { name: 'AES-CBC-256 + HMAC-SHA2-512-256', encr: EncrId.AES_CBC, keyBits: 256, integ: IntegId.HMAC_SHA2_512_256 },
];

/** A config with fresh random keys (so every OutboundSa gets keys of its own). */
export function espConfig(
  transform: { encr: number; keyBits: number | undefined; integ?: number },
  options: { esn?: boolean; spi?: Uint8Array } = {},
): EspSaConfig {
  const encryption = getEncryption(transform.encr, transform.keyBits);
  const integrity = transform.integ === undefined ? undefined : getIntegrity(transform.integ);
  if (!encryption || (transform.integ !== undefined && !integrity)) throw new Error('transform not available');
  return {
    spi: options.spi ?? fromHex('c0ffee01'),
    encryption,
    integrity,
    keys: { encryption: randomBytes(encryption.keyLength), integrity: randomBytes(integrity?.keyLength ?? 0) },
    esn: options.esn ?? false,
  };
}

/** The same config for the receiving side of a test (same keys, its own key buffers for the outbound guard). */
export function twin(config: EspSaConfig): EspSaConfig {
  return {
    ...config,
    keys: { encryption: Uint8Array.from(config.keys.encryption), integrity: Uint8Array.from(config.keys.integrity) },
  };
}

/**
 * A well-formed IPv4 (version 4) or IPv6 (version 6) packet of `length` bytes (at least the header), with its
 * length field right and seeded contents.
 */
export function ipPacket(version: 4 | 6, length: number, fill = 0): Uint8Array {
  const p = Uint8Array.from({ length }, (_, i) => (i * 31 + fill) & 0xff);
  if (version === 4) {
    p[0] = 0x45;
    p[2] = length >> 8;
    p[3] = length;
  } else {
    p[0] = 0x60;
    p[4] = (length - 40) >> 8;
    p[5] = length - 40;
  }
  return p;
}
