import { createHmac, timingSafeEqual } from 'node:crypto';
import { IntegId } from '../iana.js';
import { cryptoError } from './crypto-error.js';

/** An integrity transform of IKEv2/ESP (RFC 7296 §3.3.2, transform type 3): a MAC truncated to the ICV length. */
export interface Integrity {
  /** IANA integrity transform id (IntegId). */
  readonly id: number;
  readonly keyLength: number;
  readonly icvLength: number;
  /** The truncated ICV over the concatenation of `data`. */
  compute(key: Uint8Array, ...data: Uint8Array[]): Uint8Array;
  /** Constant-time comparison of `icv` with the ICV over `data`; false for an ICV of the wrong length. */
  verify(key: Uint8Array, icv: Uint8Array, ...data: Uint8Array[]): boolean;
}

function truncatedHmac(id: number, hash: string, keyLength: number, icvLength: number): Integrity {
  const compute = (key: Uint8Array, data: Uint8Array[]): Uint8Array => {
    // RFC 4868 §2.1.1 / RFC 2404 §2 fix the key to the hash output length; another length means a keying bug.
    if (key.length !== keyLength) throw cryptoError(`integrity ${id} needs a ${keyLength}-byte key, got ${key.length}`);
    const hmac = createHmac(hash, key);
    for (const part of data) hmac.update(part);
    return hmac.digest().subarray(0, icvLength);
  };
  return {
    id,
    keyLength,
    icvLength,
    compute: (key, ...data) => compute(key, data),
    verify: (key, icv, ...data) => icv.length === icvLength && timingSafeEqual(compute(key, data), icv),
  };
}

/** AUTH_HMAC_SHA1_96 (RFC 2404), for interoperability with older gateways. */
export const HMAC_SHA1_96 = truncatedHmac(IntegId.HMAC_SHA1_96, 'sha1', 20, 12);
/** AUTH_HMAC_SHA2_256_128 / 384_192 / 512_256 (RFC 4868 §2). */
export const HMAC_SHA2_256_128 = truncatedHmac(IntegId.HMAC_SHA2_256_128, 'sha256', 32, 16);
export const HMAC_SHA2_384_192 = truncatedHmac(IntegId.HMAC_SHA2_384_192, 'sha384', 48, 24);
export const HMAC_SHA2_512_256 = truncatedHmac(IntegId.HMAC_SHA2_512_256, 'sha512', 64, 32);

const BY_ID: ReadonlyMap<number, Integrity> = new Map(
  [HMAC_SHA1_96, HMAC_SHA2_256_128, HMAC_SHA2_384_192, HMAC_SHA2_512_256].map((i) => [i.id, i]),
);

/** The integrity transform of IANA id `id`; AUTH_NONE (0) is not an algorithm and gives undefined like any other. */
export function getIntegrity(id: number): Integrity | undefined {
  return BY_ID.get(id);
}
