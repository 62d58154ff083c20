import { DecodeError } from '../errors.js';
import { EncrId } from '../iana.js';
import { type Backend, pickBackend } from './backend.js';
import type { AeadPrimitive, CbcPrimitive } from './cipher-backend.js';
import { nobleAead, nobleCbc } from './cipher-noble.js';
import { nodeAead, nodeCbc } from './cipher-node.js';
import { cryptoError } from './crypto-error.js';

export type CipherBackend = Backend;

/**
 * A combined-mode cipher (RFC 5282 for IKEv2, RFC 4106 / RFC 7634 for ESP). Its keying material ends with a 4-byte
 * salt; the 12-byte nonce is salt || the 8-byte IV carried in each message.
 */
export interface AeadCipher {
  readonly kind: 'aead';
  /** IANA encryption transform id (EncrId). */
  readonly id: number;
  readonly name: string;
  /** Which implementation runs it: node:crypto, or @noble/ciphers where the runtime lacks the cipher. */
  readonly backend: CipherBackend;
  readonly keyBits: number;
  /** Bytes of keying material including the 4-byte salt: 20/28/36 for AES-GCM, 36 for ChaCha20-Poly1305. */
  readonly keyLength: number;
  readonly ivLength: 8;
  readonly icvLength: 16;
  /** ciphertext || 16-byte ICV */
  seal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** The plaintext, or null when the ICV does not verify or `sealed` is shorter than the ICV. */
  open(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

/** AES-CBC (RFC 3602) for use with a separate integrity transform. */
export interface BlockCipher {
  readonly kind: 'cbc';
  readonly id: number;
  readonly name: string;
  readonly backend: CipherBackend;
  readonly keyBits: number;
  readonly keyLength: number;
  readonly ivLength: 16;
  readonly blockSize: 16;
  /** `plaintext` must already be padded to a whole number of blocks; nothing is added. */
  encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Throws DecodeError when `ciphertext` is not a whole number of blocks; nothing is removed. */
  decrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

export type Encryption = AeadCipher | BlockCipher;

const SALT_LENGTH = 4;
const AEAD_IV_LENGTH = 8;
const AEAD_ICV_LENGTH = 16;
const AES_BLOCK = 16;
const AES_KEY_BITS: readonly number[] = [128, 192, 256];

type Backed<T> = readonly [CipherBackend, T];

function aead(id: number, name: string, keyBits: number, [backend, primitive]: Backed<AeadPrimitive>): AeadCipher {
  const encKeyLength = keyBits / 8;
  const keyLength = encKeyLength + SALT_LENGTH;
  // Reused for every call: both backends consume the nonce before returning.
  const nonce = new Uint8Array(SALT_LENGTH + AEAD_IV_LENGTH);
  const prepare = (key: Uint8Array, iv: Uint8Array): Uint8Array => {
    if (key.length !== keyLength)
      throw cryptoError(`${name} needs ${keyLength} bytes of key material, got ${key.length}`);
    if (iv.length !== AEAD_IV_LENGTH) throw cryptoError(`${name} needs an 8-byte IV, got ${iv.length}`);
    nonce.set(key.subarray(encKeyLength), 0);
    nonce.set(iv, SALT_LENGTH);
    return key.subarray(0, encKeyLength);
  };
  return {
    kind: 'aead',
    id,
    name,
    backend,
    keyBits,
    keyLength,
    ivLength: AEAD_IV_LENGTH,
    icvLength: AEAD_ICV_LENGTH,
    seal: (key, iv, aad, plaintext) => primitive.seal(prepare(key, iv), nonce, aad, plaintext),
    open(key, iv, aad, sealed) {
      const encKey = prepare(key, iv);
      if (sealed.length < AEAD_ICV_LENGTH) return null;
      return primitive.open(encKey, nonce, aad, sealed);
    },
  };
}

function blockCipher(keyBits: number, [backend, primitive]: Backed<CbcPrimitive>): BlockCipher {
  const name = `AES_CBC_${keyBits}`;
  const keyLength = keyBits / 8;
  const check = (key: Uint8Array, iv: Uint8Array) => {
    if (key.length !== keyLength) throw cryptoError(`${name} needs a ${keyLength}-byte key, got ${key.length}`);
    if (iv.length !== AES_BLOCK) throw cryptoError(`${name} needs a 16-byte IV, got ${iv.length}`);
  };
  return {
    kind: 'cbc',
    id: EncrId.AES_CBC,
    name,
    backend,
    keyBits,
    keyLength,
    ivLength: AES_BLOCK,
    blockSize: AES_BLOCK,
    encrypt(key, iv, plaintext) {
      check(key, iv);
      if (plaintext.length % AES_BLOCK !== 0) {
        throw cryptoError(`${name} plaintext of ${plaintext.length} bytes is not padded to the block size`);
      }
      return primitive.encrypt(key, iv, plaintext);
    },
    decrypt(key, iv, ciphertext) {
      check(key, iv);
      if (ciphertext.length % AES_BLOCK !== 0) {
        throw new DecodeError(`AES-CBC ciphertext of ${ciphertext.length} bytes is not a whole number of blocks`);
      }
      return primitive.decrypt(key, iv, ciphertext);
    },
  };
}

/**
 * The encryption transform for an IKE/ESP transform id and Key Length attribute (bits), or undefined when it is not
 * supported. AES needs the attribute; ChaCha20-Poly1305 has a fixed 256-bit key (RFC 7634 §2: no attribute, though
 * an explicit 256 is accepted). By default node:crypto is used and @noble/ciphers only where the runtime lacks the
 * cipher; `backend` pins one, for cross-checks.
 */
export function createEncryption(
  id: number,
  keyBits: number | undefined,
  options: { backend?: CipherBackend } = {},
): Encryption | undefined {
  switch (id) {
    case EncrId.AES_GCM_16: {
      if (keyBits === undefined || !AES_KEY_BITS.includes(keyBits)) return undefined;
      const primitive = pickBackend(
        options.backend,
        () => nodeAead('aes-gcm', keyBits),
        () => nobleAead('aes-gcm', keyBits),
      );
      return primitive && aead(id, `AES_GCM_16_${keyBits}`, keyBits, primitive);
    }
    case EncrId.CHACHA20_POLY1305: {
      if (keyBits !== undefined && keyBits !== 256) return undefined;
      const primitive = pickBackend(
        options.backend,
        () => nodeAead('chacha20-poly1305', 256),
        () => nobleAead('chacha20-poly1305', 256),
      );
      return primitive && aead(id, 'CHACHA20_POLY1305', 256, primitive);
    }
    case EncrId.AES_CBC: {
      if (keyBits === undefined || !AES_KEY_BITS.includes(keyBits)) return undefined;
      const primitive = pickBackend(
        options.backend,
        () => nodeCbc(keyBits),
        () => nobleCbc(keyBits),
      );
      return primitive && blockCipher(keyBits, primitive);
    }
    default:
      return undefined;
  }
}
