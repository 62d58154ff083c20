import type { DhGroupId } from '../iana.js';
import { cryptoError } from './crypto-error.js';

export type SupportedDhGroup =
  | typeof DhGroupId.MODP_2048
  | typeof DhGroupId.ECP_256
  | typeof DhGroupId.ECP_384
  | typeof DhGroupId.CURVE25519;

/** A key pair on one backend. Values are in IKE encoding; the peer's value reaches `compute` already checked. */
export interface RawKeyPair {
  readonly publicValue: Uint8Array;
  compute(peerPublic: Uint8Array): Uint8Array;
}

export interface KeyAgreement {
  generate(): RawKeyPair;
  fromPrivateKey(privateKey: Uint8Array): RawKeyPair;
}

/** RFC 3526 §3: the 2048-bit MODP group's prime (generator 2). */
export const MODP_2048_PRIME = BigInt(
  '0x' +
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74' +
    '020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437' +
    '4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05' +
    '98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB' +
    '9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
    'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718' +
    '3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF',
);
export const MODP_2048_LENGTH = 256;

/**
 * Big-endian bytes right-aligned in `length` bytes: IKE pads MODP values to the prime's length (RFC 7296 §3.4) and
 * ECP coordinates and shared secrets to the field's (RFC 5903 §7).
 */
export function leftPad(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length === length) return bytes;
  if (bytes.length > length) throw cryptoError(`a ${bytes.length}-byte value does not fit in ${length} bytes`);
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0
    ? 0n
    : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`);
}

export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  return leftPad(Buffer.from(value.toString(16).padStart(2 * length, '0'), 'hex'), length);
}
