import { randomBytes as nodeRandomBytes } from 'node:crypto';

/** Cryptographically strong random bytes (OpenSSL's CSPRNG): nonces, SPIs, IVs, private keys. */
export function randomBytes(n: number): Uint8Array {
  return nodeRandomBytes(n);
}
