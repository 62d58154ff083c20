import { p256, p384 } from '@noble/curves/nist.js';
import { messageOf, OutpostError } from '../errors.js';
import { DhGroupId } from '../iana.js';
import { type Backend, pickBackend } from './backend.js';
import {
  bytesToBigInt,
  MODP_2048_LENGTH,
  MODP_2048_PRIME,
  type RawKeyPair,
  type SupportedDhGroup,
} from './dh-backend.js';
import { nobleKeyAgreement } from './dh-noble.js';
import { nodeKeyAgreement } from './dh-node.js';

export type DhBackend = Backend;

/** A Diffie-Hellman group of IKEv2 (RFC 7296 §3.3.2, transform type 4). */
export interface DhGroup {
  /** IANA DH group number (DhGroupId). */
  readonly id: number;
  readonly name: string;
  readonly backend: DhBackend;
  /** Length of the KE payload's data for this group. */
  readonly publicLength: number;
  generate(): DhKeyPair;
  /** A key pair from a known private key (raw scalar or exponent, big-endian; little-endian for x25519). */
  fromPrivateKey(privateKey: Uint8Array): DhKeyPair;
}

export interface DhKeyPair {
  /** The KE payload's data in IKE encoding. */
  readonly publicValue: Uint8Array;
  /**
   * g^ir from the peer's KE data. Throws OutpostError('invalid-ke') for a value of the wrong length, an ECP point
   * off the curve or with a coordinate not below p, a MODP value outside 2..p-2 (RFC 6989 §2), or an x25519 value
   * that yields the all-zero secret (RFC 8031 §2).
   */
  computeShared(peerPublic: Uint8Array): Uint8Array;
}

function invalidKe(detail: string, cause?: unknown): OutpostError {
  return new OutpostError('invalid-ke', 'The gateway sent an invalid key exchange value.', { detail, cause });
}

interface GroupSpec {
  readonly name: string;
  readonly publicLength: number;
  /** Checks the peer's value before the backend sees it; returns the reason it is unacceptable, if it is. */
  readonly reject: (peer: Uint8Array) => string | undefined;
  /** Checks the computed secret; returns the reason it is unacceptable, if it is. */
  readonly rejectShared: (shared: Uint8Array) => string | undefined;
}

const acceptAll = () => undefined;

/** RFC 6989 §2.3 / SP 800-56A 5.6.2.3.4: both coordinates in [0, p-1] and y² = x³ + ax + b (mod p). */
function ecpSpec(name: string, curve: typeof p256): GroupSpec {
  const { p, a, b } = curve.Point.CURVE();
  const coordinateLength = Math.ceil(p.toString(2).length / 8);
  return {
    name,
    publicLength: 2 * coordinateLength,
    reject(peer) {
      const x = bytesToBigInt(peer.subarray(0, coordinateLength));
      const y = bytesToBigInt(peer.subarray(coordinateLength));
      if (x >= p || y >= p) return `${name} point has a coordinate not below the field prime`;
      const rhs = (((x * x) % p) * x + a * x + b) % p;
      if ((y * y - rhs) % p !== 0n) return `${name} point is not on the curve`;
      return undefined;
    },
    rejectShared: acceptAll,
  };
}

const SPECS: Readonly<Record<SupportedDhGroup, GroupSpec>> = {
  [DhGroupId.MODP_2048]: {
    name: 'MODP_2048',
    publicLength: MODP_2048_LENGTH,
    reject(peer) {
      // For a safe prime the only small subgroup is {1, p-1}, so the range check suffices (RFC 6989 §2.2).
      const y = bytesToBigInt(peer);
      return y < 2n || y > MODP_2048_PRIME - 2n ? 'MODP_2048 value is not in 2..p-2' : undefined;
    },
    rejectShared: acceptAll,
  },
  [DhGroupId.ECP_256]: ecpSpec('ECP_256', p256),
  [DhGroupId.ECP_384]: ecpSpec('ECP_384', p384),
  [DhGroupId.CURVE25519]: {
    name: 'CURVE25519',
    publicLength: 32,
    // Every 32-byte string is a u-coordinate (RFC 7748 §5); low-order points show as an all-zero secret.
    reject: acceptAll,
    rejectShared: (shared) => (shared.every((byte) => byte === 0) ? 'CURVE25519 shared secret is all zero' : undefined),
  },
};

function isSupported(id: number): id is SupportedDhGroup {
  return Object.hasOwn(SPECS, id);
}

function keyPair(spec: GroupSpec, backend: DhBackend, raw: RawKeyPair): DhKeyPair {
  return {
    publicValue: raw.publicValue,
    computeShared(peer) {
      if (peer.length !== spec.publicLength) {
        throw invalidKe(`${spec.name} KE data is ${peer.length} bytes, expected ${spec.publicLength}`);
      }
      const reason = spec.reject(peer);
      if (reason !== undefined) throw invalidKe(reason);
      let shared: Uint8Array;
      try {
        shared = raw.compute(peer);
      } catch (e) {
        throw invalidKe(`${spec.name} value refused by the ${backend} backend: ${messageOf(e)}`, e);
      }
      const sharedReason = spec.rejectShared(shared);
      if (sharedReason !== undefined) throw invalidKe(sharedReason);
      return shared;
    },
  };
}

/**
 * The Diffie-Hellman group for an IKE transform id, or undefined when it is not supported. By default node:crypto
 * runs it and @noble/curves only where the runtime lacks the group; `backend` pins one, for cross-checks.
 */
export function createDhGroup(id: number, options: { backend?: DhBackend } = {}): DhGroup | undefined {
  if (!isSupported(id)) return undefined;
  const picked = pickBackend(
    options.backend,
    () => nodeKeyAgreement(id),
    () => nobleKeyAgreement(id),
  );
  if (picked === undefined) return undefined;
  const [backend, agreement] = picked;
  const spec = SPECS[id];
  return {
    id,
    name: spec.name,
    backend,
    publicLength: spec.publicLength,
    generate: () => keyPair(spec, backend, agreement.generate()),
    fromPrivateKey: (privateKey) => keyPair(spec, backend, agreement.fromPrivateKey(privateKey)),
  };
}
