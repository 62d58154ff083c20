import {
  createDiffieHellman,
  createECDH,
  createPrivateKey,
  createPublicKey,
  type DiffieHellmanGroup,
  diffieHellman,
  generateKeyPairSync,
  getCurves,
  getDiffieHellman,
  type KeyObject,
} from 'node:crypto';
import { DhGroupId } from '../iana.js';
import {
  bigIntToBytes,
  type KeyAgreement,
  leftPad,
  MODP_2048_LENGTH,
  MODP_2048_PRIME,
  type RawKeyPair,
  type SupportedDhGroup,
} from './dh-backend.js';

// DER headers that wrap a raw X25519 key as SubjectPublicKeyInfo / PKCS#8 (RFC 8410 §4, §7).
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

function x25519Pair(privateKey: KeyObject): RawKeyPair {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return {
    publicValue: spki.subarray(X25519_SPKI_PREFIX.length),
    compute: (peer) =>
      diffieHellman({
        privateKey,
        publicKey: createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, peer]), format: 'der', type: 'spki' }),
      }),
  };
}

const x25519: KeyAgreement = {
  generate: () => x25519Pair(generateKeyPairSync('x25519').privateKey),
  fromPrivateKey: (raw) =>
    x25519Pair(createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' })),
};

function ecp(curve: string, coordinateLength: number): KeyAgreement {
  const pair = (ecdh: ReturnType<typeof createECDH>): RawKeyPair => ({
    // Uncompressed SEC1 is 04 || x || y; IKE carries x || y (RFC 5903 §7).
    publicValue: ecdh.getPublicKey().subarray(1),
    // computeSecret yields the x coordinate, which is the IKE shared secret (RFC 5903 §7).
    compute: (peer) => leftPad(ecdh.computeSecret(Buffer.concat([Uint8Array.of(4), peer])), coordinateLength),
  });
  return {
    generate() {
      const ecdh = createECDH(curve);
      ecdh.generateKeys();
      return pair(ecdh);
    },
    fromPrivateKey(raw) {
      const ecdh = createECDH(curve);
      ecdh.setPrivateKey(raw);
      return pair(ecdh);
    },
  };
}

function modpPair(dh: DiffieHellmanGroup): RawKeyPair {
  return {
    publicValue: leftPad(dh.getPublicKey(), MODP_2048_LENGTH),
    compute: (peer) => leftPad(dh.computeSecret(peer), MODP_2048_LENGTH),
  };
}

const modp2048: KeyAgreement = {
  generate() {
    const dh = getDiffieHellman('modp14');
    dh.generateKeys();
    return modpPair(dh);
  },
  fromPrivateKey(raw) {
    const dh = createDiffieHellman(Buffer.from(bigIntToBytes(MODP_2048_PRIME, MODP_2048_LENGTH)), Uint8Array.of(2));
    dh.setPrivateKey(Buffer.from(raw));
    // With a private key set, generateKeys only derives the public value from it.
    dh.generateKeys();
    return modpPair(dh);
  },
};

function supported(probe: () => unknown): boolean {
  try {
    probe();
    return true;
  } catch {
    return false;
  }
}

const availability = new Map<SupportedDhGroup, boolean>();

/** Whether this runtime's crypto library has the group (Electron's BoringSSL may lack some); probed once. */
function available(id: SupportedDhGroup): boolean {
  let known = availability.get(id);
  if (known === undefined) {
    known = supported(() => {
      switch (id) {
        case DhGroupId.CURVE25519:
          return generateKeyPairSync('x25519');
        case DhGroupId.ECP_256:
          if (!getCurves().includes('prime256v1')) throw new Error('no prime256v1');
          return;
        case DhGroupId.ECP_384:
          if (!getCurves().includes('secp384r1')) throw new Error('no secp384r1');
          return;
        case DhGroupId.MODP_2048:
          return getDiffieHellman('modp14');
      }
    });
    availability.set(id, known);
  }
  return known;
}

/** The node:crypto implementation of a group, or undefined when the runtime lacks it. */
export function nodeKeyAgreement(id: SupportedDhGroup): KeyAgreement | undefined {
  if (!available(id)) return undefined;
  switch (id) {
    case DhGroupId.CURVE25519:
      return x25519;
    case DhGroupId.ECP_256:
      return ecp('prime256v1', 32);
    case DhGroupId.ECP_384:
      return ecp('secp384r1', 48);
    case DhGroupId.MODP_2048:
      return modp2048;
  }
}
