import { cbc, gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { AeadAlgorithm, AeadPrimitive, CbcPrimitive } from './cipher-backend.js';

/** @noble/ciphers AEAD: the fallback where the runtime lacks the cipher, and the cross-check in tests. */
export function nobleAead(algorithm: AeadAlgorithm, keyBits: number): AeadPrimitive | undefined {
  if (algorithm === 'chacha20-poly1305' ? keyBits !== 256 : ![128, 192, 256].includes(keyBits)) return undefined;
  const construct = algorithm === 'chacha20-poly1305' ? chacha20poly1305 : gcm;
  return {
    seal: (key, nonce, aad, plaintext) => construct(key, nonce, aad).encrypt(plaintext),
    open(key, nonce, aad, sealed) {
      try {
        return construct(key, nonce, aad).decrypt(sealed);
      } catch {
        return null;
      }
    },
  };
}

/** @noble/ciphers AES-CBC without padding. */
export function nobleCbc(keyBits: number): CbcPrimitive | undefined {
  if (![128, 192, 256].includes(keyBits)) return undefined;
  return {
    encrypt: (key, iv, data) => cbc(key, iv, { disablePadding: true }).encrypt(data),
    decrypt: (key, iv, data) => cbc(key, iv, { disablePadding: true }).decrypt(data),
  };
}
