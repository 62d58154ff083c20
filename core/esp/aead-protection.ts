/**
 * AES-GCM-16 (RFC 4106) and ChaCha20-Poly1305 (RFC 7634) for ESP. Nonce = 4-byte salt (the end of the keying
 * material) ‖ 8-byte IV carried in the packet; AAD = SPI ‖ sequence number low, or SPI ‖ high ‖ low with ESN
 * (RFC 4106 §5, RFC 7634 §2.1).
 *
 * The packet is built once and sealed in place. First choice is OpenSSL's EVP API with one context per SA
 * (core/crypto/evp-aead.ts: the key schedule made once, half the CPU of node:crypto per packet); it also serves
 * ChaCha20-Poly1305 where the runtime's node:crypto lacks it (Electron's BoringSSL) but libcrypto.so.3 is there.
 * Without it, node:crypto from a KeyObject made once per SA: one createCipheriv per packet and no concatenation.
 * Where the runtime lacks the cipher too (@noble fallback), the generic AeadCipher interface. All three give the
 * same packets byte for byte.
 */
import {
  type CipherChaCha20Poly1305,
  type CipherGCM,
  type CipherGCMTypes,
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type DecipherChaCha20Poly1305,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto';
import { nodeAead as runtimeAead } from '../crypto/cipher-node.js';
import type { AeadCipher } from '../crypto/encryption.js';
import { createEvpAead, type EvpAead } from '../crypto/evp-aead.js';
import { EncrId } from '../iana.js';
import { ESP_HEADER_LENGTH, espPacket, padLengthFor, readUint32, TRAILER_LENGTH, writeUint32 } from './layout.js';
import type { EspProtection } from './protection.js';

const SALT_LENGTH = 4;
const IV_LENGTH = 8;
const ICV_LENGTH = 16;
/** RFC 4303 §2.4: the ciphertext ends on a 4-byte boundary. */
const ALIGNMENT = 4;
const BODY = ESP_HEADER_LENGTH + IV_LENGTH;

type NodeAeadName = CipherGCMTypes | 'chacha20-poly1305';

interface NodeAead {
  name: NodeAeadName;
  key: KeyObject;
}

function aeadName(cipher: AeadCipher): NodeAeadName | undefined {
  if (cipher.id === EncrId.CHACHA20_POLY1305) return 'chacha20-poly1305';
  if (cipher.id === EncrId.AES_GCM_16 && cipher.keyBits === 128) return 'aes-128-gcm';
  if (cipher.id === EncrId.AES_GCM_16 && cipher.keyBits === 192) return 'aes-192-gcm';
  if (cipher.id === EncrId.AES_GCM_16 && cipher.keyBits === 256) return 'aes-256-gcm';
  return undefined;
}

/**
 * The EVP context for this SA, unless @noble was pinned (cross-checks) while the runtime has the cipher: @noble
 * chosen because node:crypto lacks the cipher is exactly where EVP helps most.
 */
function evpAead(cipher: AeadCipher, name: NodeAeadName, key: Uint8Array): EvpAead | undefined {
  const pinnedNoble =
    cipher.backend === 'noble' &&
    runtimeAead(name === 'chacha20-poly1305' ? name : 'aes-gcm', cipher.keyBits) !== undefined;
  return pinnedNoble ? undefined : createEvpAead(name, key);
}

function nodeAead(cipher: AeadCipher, name: NodeAeadName, key: Uint8Array): NodeAead | undefined {
  return cipher.backend === 'node' ? { name, key: createSecretKey(key) } : undefined;
}

function sealer(
  aead: NodeAead,
  nonce: Uint8Array,
  aad: Uint8Array,
  length: number,
): CipherGCM | CipherChaCha20Poly1305 {
  // Two calls, so each picks the overload whose result has setAAD/getAuthTag (ChaCha's typing wants the length).
  return aead.name === 'chacha20-poly1305'
    ? createCipheriv(aead.name, aead.key, nonce).setAAD(aad, { plaintextLength: length })
    : createCipheriv(aead.name, aead.key, nonce).setAAD(aad);
}

function opener(
  aead: NodeAead,
  nonce: Uint8Array,
  aad: Uint8Array,
  length: number,
): DecipherGCM | DecipherChaCha20Poly1305 {
  return aead.name === 'chacha20-poly1305'
    ? createDecipheriv(aead.name, aead.key, nonce).setAAD(aad, { plaintextLength: length })
    : createDecipheriv(aead.name, aead.key, nonce).setAAD(aad);
}

export class AeadProtection implements EspProtection {
  readonly ivLength = IV_LENGTH;
  readonly icvLength = ICV_LENGTH;
  private readonly evp: EvpAead | undefined;
  private readonly node: NodeAead | undefined;
  /** SPI ‖ [high ‖] low, rewritten per packet. */
  private readonly aad: Uint8Array;
  /** salt ‖ IV, rewritten per packet; node:crypto copies it when the cipher is created. */
  private readonly nonce = new Uint8Array(SALT_LENGTH + IV_LENGTH);
  private readonly counterIv = new Uint8Array(IV_LENGTH);

  constructor(
    private readonly spi: Uint8Array,
    private readonly esn: boolean,
    private readonly cipher: AeadCipher,
    private readonly keyMaterial: Uint8Array,
    /** false keeps to node:crypto (or @noble), for the cross-check against EVP and the benchmark. */
    options: { evp?: boolean } = {},
  ) {
    this.aad = new Uint8Array(esn ? 12 : 8);
    this.aad.set(spi);
    this.nonce.set(keyMaterial.subarray(keyMaterial.length - SALT_LENGTH));
    const name = aeadName(cipher);
    const key = keyMaterial.subarray(0, keyMaterial.length - SALT_LENGTH);
    // freed by dispose() when the SA goes (and, failing that, with this object)
    this.evp = name && options.evp !== false ? evpAead(cipher, name, key) : undefined;
    this.node = name && !this.evp ? nodeAead(cipher, name, key) : undefined;
  }

  dispose(): void {
    this.evp?.free();
  }

  iv(high: number, low: number): Uint8Array {
    writeUint32(this.counterIv, 0, high);
    writeUint32(this.counterIv, 4, low);
    return this.counterIv;
  }

  seal(high: number, low: number, iv: Uint8Array, payload: Uint8Array, nextHeader: number): Uint8Array {
    const padLength = padLengthFor(payload.length, ALIGNMENT);
    const plainLength = payload.length + padLength + TRAILER_LENGTH;
    const out = espPacket(this.spi, low, iv, payload, padLength, nextHeader, ICV_LENGTH);
    const aad = this.aadFor(high, low);
    const plain = out.subarray(BODY, BODY + plainLength);
    if (this.evp) {
      this.nonce.set(iv, SALT_LENGTH);
      this.evp.seal(this.nonce, aad, plain, out, BODY);
    } else if (this.node) {
      this.nonce.set(iv, SALT_LENGTH);
      const cipher = sealer(this.node, this.nonce, aad, plainLength);
      out.set(cipher.update(plain), BODY);
      cipher.final();
      out.set(cipher.getAuthTag(), BODY + plainLength);
    } else {
      out.set(this.cipher.seal(this.keyMaterial, iv, aad, plain), BODY);
    }
    return out;
  }

  fits(length: number): boolean {
    return length >= BODY + TRAILER_LENGTH + ICV_LENGTH;
  }

  open(packet: Uint8Array, high: number): Uint8Array | null {
    const iv = packet.subarray(ESP_HEADER_LENGTH, BODY);
    const aad = this.aadFor(high, readUint32(packet, 4));
    const icvAt = packet.length - ICV_LENGTH;
    if (this.evp) {
      this.nonce.set(iv, SALT_LENGTH);
      const plain = Buffer.allocUnsafe(icvAt - BODY);
      return this.evp.open(this.nonce, aad, packet.subarray(BODY), plain, 0) ? plain : null;
    }
    if (!this.node) return this.cipher.open(this.keyMaterial, iv, aad, packet.subarray(BODY));
    this.nonce.set(iv, SALT_LENGTH);
    const decipher = opener(this.node, this.nonce, aad, icvAt - BODY);
    decipher.setAuthTag(packet.subarray(icvAt));
    const plain = decipher.update(packet.subarray(BODY, icvAt));
    try {
      decipher.final();
    } catch {
      return null;
    }
    return plain;
  }

  /** Which implementation seals and opens: libcrypto's EVP context, node:crypto, or @noble. */
  get path(): 'evp' | 'node' | 'noble' {
    return this.evp ? 'evp' : this.node ? 'node' : 'noble';
  }

  private aadFor(high: number, low: number): Uint8Array {
    if (this.esn) {
      writeUint32(this.aad, 4, high);
      writeUint32(this.aad, 8, low);
    } else {
      writeUint32(this.aad, 4, low);
    }
    return this.aad;
  }
}
