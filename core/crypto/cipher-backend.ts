// What a cipher backend (node:crypto or @noble/ciphers) provides: the bare primitives, with keys, nonces and lengths
// already checked by encryption.ts.

export type AeadAlgorithm = 'aes-gcm' | 'chacha20-poly1305';

export interface AeadPrimitive {
  /** ciphertext || 16-byte tag */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** null when the tag does not verify; `sealed` is at least one tag long. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

export interface CbcPrimitive {
  /** `data` is a whole number of blocks; no padding is added or removed. */
  encrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
}
