import { pow } from '@noble/curves/abstract/modular.js';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { DhGroupId } from '../iana.js';
import {
  bigIntToBytes,
  bytesToBigInt,
  type KeyAgreement,
  MODP_2048_LENGTH,
  MODP_2048_PRIME,
  type RawKeyPair,
  type SupportedDhGroup,
} from './dh-backend.js';
import { randomBytes } from './random.js';

function x25519Pair(privateKey: Uint8Array): RawKeyPair {
  return {
    publicValue: nobleX25519.getPublicKey(privateKey),
    compute: (peer) => nobleX25519.getSharedSecret(privateKey, peer),
  };
}

const x25519: KeyAgreement = {
  generate: () => x25519Pair(nobleX25519.utils.randomSecretKey()),
  fromPrivateKey: x25519Pair,
};

function ecp(curve: typeof p256): KeyAgreement {
  const pair = (privateKey: Uint8Array): RawKeyPair => ({
    // noble's uncompressed point is 04 || x || y and its shared secret a compressed point 02/03 || x; IKE wants the
    // coordinates alone (RFC 5903 §7).
    publicValue: curve.getPublicKey(privateKey, false).subarray(1),
    compute: (peer) => curve.getSharedSecret(privateKey, Uint8Array.from([4, ...peer]), true).subarray(1),
  });
  return { generate: () => pair(curve.utils.randomSecretKey()), fromPrivateKey: pair };
}

/**
 * RFC 3526 §8 asks for an exponent of at least twice the group's ~110-bit strength; 256 bits keeps BigInt
 * exponentiation in this fallback fast.
 */
const MODP_EXPONENT_LENGTH = 32;

function modpPair(privateKey: Uint8Array): RawKeyPair {
  const x = bytesToBigInt(privateKey);
  return {
    publicValue: bigIntToBytes(pow(2n, x, MODP_2048_PRIME), MODP_2048_LENGTH),
    compute: (peer) => bigIntToBytes(pow(bytesToBigInt(peer), x, MODP_2048_PRIME), MODP_2048_LENGTH),
  };
}

const modp2048: KeyAgreement = {
  generate: () => modpPair(randomBytes(MODP_EXPONENT_LENGTH)),
  fromPrivateKey: modpPair,
};

/** The pure-JS implementation of a group: the fallback where the runtime lacks it, and the cross-check in tests. */
export function nobleKeyAgreement(id: SupportedDhGroup): KeyAgreement {
  switch (id) {
    case DhGroupId.CURVE25519:
      return x25519;
    case DhGroupId.ECP_256:
      return ecp(p256);
    case DhGroupId.ECP_384:
      return ecp(p384);
    case DhGroupId.MODP_2048:
      return modp2048;
  }
}
