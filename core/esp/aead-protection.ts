/**
 * AES-GCM-16 (RFC 4106) and ChaCha20-Poly1305 (RFC 7634) for ESP. Nonce = 4-byte salt (the end of the keying
 * material) ‖ 8-byte IV carried in the packet; AAD = SPI ‖ sequence number low, or SPI ‖ high ‖ low with ESN
 * (RFC 4106 §5, RFC 7634 §2.1).
 *
 * On node:crypto the packet is built once and the cipher works from a KeyObject made once per SA, so a packet costs
 * one createCipheriv and no concatenation; where the runtime lacks the cipher (@noble fallback) it goes through the
 * generic AeadCipher interface.
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
import type { AeadCipher } from '../crypto/encryption.js';
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

function nodeAead(cipher: AeadCipher, keyMaterial: Uint8Array): NodeAead | undefined {
  if (cipher.backend !== 'node') return undefined;
  let name: NodeAeadName;
  if (cipher.id === EncrId.CHACHA20_POLY1305) name = 'chacha20-poly1305';
  else if (cipher.id === EncrId.AES_GCM_16 && cipher.keyBits === 128) name = 'aes-128-gcm';
  else if (cipher.id === EncrId.AES_GCM_16 && cipher.keyBits === 192) name = 'aes-192-gcm';
  else if (cipher.id === EncrId.AES_GCM_16 && cipher.keyBits === 256) name = 'aes-256-gcm';
  else return undefined;
  return { name, key: createSecretKey(keyMaterial.subarray(0, keyMaterial.length - SALT_LENGTH)) };
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
  ) {
    this.aad = new Uint8Array(esn ? 12 : 8);
    this.aad.set(spi);
    this.nonce.set(keyMaterial.subarray(keyMaterial.length - SALT_LENGTH));
    this.node = nodeAead(cipher, keyMaterial);
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
    if (this.node) {
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
    if (!this.node) return this.cipher.open(this.keyMaterial, iv, aad, packet.subarray(BODY));
    const icvAt = packet.length - ICV_LENGTH;
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
