import { createHmac } from 'node:crypto';
import { PrfId } from '../iana.js';
import { cryptoError } from './crypto-error.js';

/** A pseudorandom function of IKEv2 (RFC 7296 §3.3.2, transform type 2). */
export interface Prf {
  /** IANA PRF transform id (PrfId). */
  readonly id: number;
  readonly outputLength: number;
  /**
   * Length of SK_d, SK_pi and SK_pr: the PRF's preferred key size (RFC 7296 §2.13/§2.14), which for HMAC is the
   * output length (RFC 4868 §2.1.1).
   */
  readonly keyLength: number;
  compute(key: Uint8Array, data: Uint8Array): Uint8Array;
}

/** prf+ never runs more than 255 rounds: its counter is a single octet (RFC 7296 §2.13). */
const PRF_PLUS_MAX_ROUNDS = 255;

/**
 * prf+ (RFC 7296 §2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), output T1 | T2 | ... cut to `length`.
 */
export function prfPlus(prf: Prf, key: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw cryptoError(`prf+ length ${length} is not a byte count`);
  const blockLength = prf.outputLength;
  const rounds = Math.ceil(length / blockLength);
  if (rounds > PRF_PLUS_MAX_ROUNDS) {
    throw cryptoError(`prf+ asked for ${length} bytes, more than 255 rounds of a ${blockLength}-byte PRF`);
  }
  const out = new Uint8Array(length);
  // One input buffer reused for every round: [ T(n-1) | S | n ]; round 1 starts after the empty T0.
  const input = new Uint8Array(blockLength + seed.length + 1);
  input.set(seed, blockLength);
  for (let round = 1, offset = 0; round <= rounds; round++, offset += blockLength) {
    input[input.length - 1] = round;
    const block = prf.compute(key, round === 1 ? input.subarray(blockLength) : input);
    input.set(block, 0);
    out.set(block.subarray(0, Math.min(blockLength, length - offset)), offset);
  }
  return out;
}

function hmacPrf(id: number, hash: string, outputLength: number): Prf {
  return {
    id,
    outputLength,
    keyLength: outputLength,
    compute: (key, data) => createHmac(hash, key).update(data).digest(),
  };
}

/** PRF_HMAC_SHA1 (RFC 2104), kept for gateways that still offer it. */
export const PRF_HMAC_SHA1 = hmacPrf(PrfId.HMAC_SHA1, 'sha1', 20);
/** PRF_HMAC_SHA2_256 / 384 / 512 (RFC 4868 §2.1). */
export const PRF_HMAC_SHA2_256 = hmacPrf(PrfId.HMAC_SHA2_256, 'sha256', 32);
export const PRF_HMAC_SHA2_384 = hmacPrf(PrfId.HMAC_SHA2_384, 'sha384', 48);
export const PRF_HMAC_SHA2_512 = hmacPrf(PrfId.HMAC_SHA2_512, 'sha512', 64);
