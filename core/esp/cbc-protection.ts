/**
 * AES-CBC (RFC 3602) with a truncated HMAC (RFC 2404 / RFC 4868) for ESP, encrypt-then-MAC: the ICV covers SPI ‖
 * sequence number low ‖ IV ‖ ciphertext, followed with ESN by the high-order 32 bits, which are never sent (RFC 4303
 * §2.2.1, §3.3.2.1). The receiver checks the ICV before it decrypts anything.
 *
 * On node:crypto the cipher works from a KeyObject made once per SA and the packet is built once; otherwise the
 * generic BlockCipher interface runs it.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import type { BlockCipher } from '../crypto/encryption.js';
import type { Integrity } from '../crypto/integrity.js';
import { ESP_HEADER_LENGTH, espPacket, padLengthFor, TRAILER_LENGTH, writeUint32 } from './layout.js';
import type { EspProtection } from './protection.js';
import { RandomIvs } from './random-ivs.js';

interface NodeCbc {
  name: string;
  key: KeyObject;
}

export class CbcProtection implements EspProtection {
  /** node:crypto's ciphers are made per packet: nothing outlives one. */
  dispose(): void {}

  readonly ivLength: number;
  readonly icvLength: number;
  private readonly body: number;
  private readonly node: NodeCbc | undefined;
  private readonly ivs: RandomIvs;
  /** The high-order sequence bits appended for the ICV only (ESN). */
  private readonly highBits = new Uint8Array(4);

  constructor(
    private readonly spi: Uint8Array,
    private readonly esn: boolean,
    private readonly cipher: BlockCipher,
    private readonly key: Uint8Array,
    private readonly integrity: Integrity,
    private readonly integrityKey: Uint8Array,
  ) {
    this.ivLength = cipher.ivLength;
    this.icvLength = integrity.icvLength;
    this.body = ESP_HEADER_LENGTH + cipher.ivLength;
    this.ivs = new RandomIvs(cipher.ivLength);
    this.node =
      cipher.backend === 'node' ? { name: `aes-${cipher.keyBits}-cbc`, key: createSecretKey(key) } : undefined;
  }

  iv(): Uint8Array {
    return this.ivs.next();
  }

  seal(high: number, low: number, iv: Uint8Array, payload: Uint8Array, nextHeader: number): Uint8Array {
    const { body, icvLength } = this;
    const padLength = padLengthFor(payload.length, this.cipher.blockSize);
    const plainLength = payload.length + padLength + TRAILER_LENGTH;
    const icvAt = body + plainLength;
    const out = espPacket(this.spi, low, iv, payload, padLength, nextHeader, icvLength);
    const plain = out.subarray(body, icvAt);
    // Without padding, OpenSSL returns every whole block from update(): final() would add nothing.
    if (this.node) out.set(createCipheriv(this.node.name, this.node.key, iv).setAutoPadding(false).update(plain), body);
    else out.set(this.cipher.encrypt(this.key, iv, plain), body);
    const covered = out.subarray(0, icvAt);
    const icv = this.esn
      ? this.integrity.compute(this.integrityKey, covered, this.high(high))
      : this.integrity.compute(this.integrityKey, covered);
    out.set(icv, icvAt);
    return out;
  }

  fits(length: number): boolean {
    const ciphertext = length - this.body - this.icvLength;
    return ciphertext >= this.cipher.blockSize && ciphertext % this.cipher.blockSize === 0;
  }

  open(packet: Uint8Array, high: number): Uint8Array | null {
    const icvAt = packet.length - this.icvLength;
    const covered = packet.subarray(0, icvAt);
    const icv = packet.subarray(icvAt);
    const authentic = this.esn
      ? this.integrity.verify(this.integrityKey, icv, covered, this.high(high))
      : this.integrity.verify(this.integrityKey, icv, covered);
    if (!authentic) return null;
    const iv = packet.subarray(ESP_HEADER_LENGTH, this.body);
    const ciphertext = packet.subarray(this.body, icvAt);
    if (!this.node) return this.cipher.decrypt(this.key, iv, ciphertext);
    return createDecipheriv(this.node.name, this.node.key, iv).setAutoPadding(false).update(ciphertext);
  }

  private high(high: number): Uint8Array {
    writeUint32(this.highBits, 0, high);
    return this.highBits;
  }
}
