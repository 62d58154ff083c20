/**
 * Our AUTH signature with the user's certificate key: RFC 7427 Digital Signature (AUTH method 14), with a hash the
 * gateway announced in SIGNATURE_HASH_ALGORITHMS. RSA keys sign PKCS#1 v1.5 (what every gateway verifies), ECDSA keys
 * with the hash of their curve's strength, Ed25519 keys with the Identity "hash" (RFC 8420).
 */
import { constants, type KeyObject, sign } from 'node:crypto';
import { OutpostError } from '../errors.js';
import { HashAlgorithmId } from '../iana.js';
import type { HashName } from './signature.js';

/** DER AlgorithmIdentifiers (RFC 7427 Appendix A); RSA ones carry NULL parameters, ECDSA and Ed25519 none. */
const ALGORITHM_IDENTIFIERS = {
  'rsa-sha256': '300d06092a864886f70d01010b0500',
  'rsa-sha384': '300d06092a864886f70d01010c0500',
  'rsa-sha512': '300d06092a864886f70d01010d0500',
  'ecdsa-sha256': '300a06082a8648ce3d040302',
  'ecdsa-sha384': '300a06082a8648ce3d040303',
  'ecdsa-sha512': '300a06082a8648ce3d040304',
  ed25519: '300506032b6570',
} as const;

const HASH_IDS: Readonly<Record<Exclude<HashName, 'sha1'>, number>> = {
  sha256: HashAlgorithmId.SHA2_256,
  sha384: HashAlgorithmId.SHA2_384,
  sha512: HashAlgorithmId.SHA2_512,
};

/** The hashes a key of this kind prefers, best first: a curve's own strength first (RFC 5656 §6.2.1). */
function preferredHashes(key: KeyObject): Exclude<HashName, 'sha1'>[] {
  switch (key.asymmetricKeyDetails?.namedCurve) {
    case 'secp384r1':
      return ['sha384', 'sha512', 'sha256'];
    case 'secp521r1':
      return ['sha512', 'sha384', 'sha256'];
    default:
      return ['sha256', 'sha384', 'sha512'];
  }
}

function unsupportedKey(detail: string): OutpostError {
  return new OutpostError('unsupported', 'The key of your certificate is of a kind this app cannot sign with.', {
    detail,
  });
}

/**
 * AUTH data for method 14 over `octets`: the AlgorithmIdentifier's length, the AlgorithmIdentifier, the signature.
 * `peerHashes` are the gateway's SIGNATURE_HASH_ALGORITHMS; without a common hash the gateway could not verify us.
 */
export function digitalSignatureAuth(key: KeyObject, peerHashes: readonly number[], octets: Uint8Array): Uint8Array {
  const keyType = key.asymmetricKeyType;
  let algorithm: keyof typeof ALGORITHM_IDENTIFIERS;
  let signature: Buffer;
  if (keyType === 'ed25519') {
    if (!peerHashes.includes(HashAlgorithmId.IDENTITY)) throw noCommonHash(peerHashes);
    algorithm = 'ed25519';
    signature = sign(null, octets, key);
  } else if (keyType === 'ec' || keyType === 'rsa') {
    const hash = preferredHashes(key).find((h) => peerHashes.includes(HASH_IDS[h]));
    if (hash === undefined) throw noCommonHash(peerHashes);
    if (keyType === 'ec') {
      algorithm = `ecdsa-${hash}`;
      signature = sign(hash, octets, { key, dsaEncoding: 'der' });
    } else {
      algorithm = `rsa-${hash}`;
      signature = sign(hash, octets, { key, padding: constants.RSA_PKCS1_PADDING });
    }
  } else {
    throw unsupportedKey(`key type ${keyType}`);
  }
  const identifier = Buffer.from(ALGORITHM_IDENTIFIERS[algorithm], 'hex');
  return Buffer.concat([Buffer.of(identifier.length), identifier, signature]);
}

function noCommonHash(peerHashes: readonly number[]): OutpostError {
  return new OutpostError(
    'unsupported',
    'The gateway announced no signature hash your certificate can sign with (RFC 7427). Ask IT.',
    { detail: `gateway SIGNATURE_HASH_ALGORITHMS: [${peerHashes.join(', ')}]` },
  );
}
