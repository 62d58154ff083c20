/**
 * Signature schemes the gateway may authenticate with (RFC 7296 §3.8, RFC 7427) and their verification through
 * node:crypto.
 */
import { constants, type KeyObject, verify } from 'node:crypto';
import { DecodeError, OutpostError } from '../errors.js';
import { AuthMethod } from '../iana.js';
import { contextTag, type DerReader, decodeOid, decodeSmallUnsigned, parseDer, readerOf, Tag } from './asn1.js';

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';
export type EcdsaCurve = 'P-256' | 'P-384' | 'P-521';
export type SignatureScheme =
  | { kind: 'rsa-pkcs1'; hash: HashName }
  | { kind: 'rsa-pss'; hash: HashName; saltLength: number }
  // `curve` is set where the AUTH method fixes it (methods 9/10/11); RFC 7427 leaves it to the key.
  | { kind: 'ecdsa'; hash: HashName; curve?: EcdsaCurve }
  | { kind: 'ed25519' };

/** node:crypto's names of the curves in asymmetricKeyDetails.namedCurve. */
const OPENSSL_CURVES: Readonly<Record<string, EcdsaCurve>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/**
 * Checks `signature` over `data` with `key`. Returns false, never throws, for a signature that does not verify and
 * also for a key that does not fit the scheme (an RSA key with an ECDSA scheme, an ECDSA key on another curve than
 * the scheme's): to the caller both mean the gateway did not prove its identity. `ecdsaEncoding` is how an ECDSA
 * signature is laid out: 'der' (RFC 7427 method 14) or 'ieee-p1363' r||s (methods 9/10/11); other schemes ignore it.
 */
export function verifySignature(
  key: KeyObject,
  scheme: SignatureScheme,
  data: Uint8Array,
  signature: Uint8Array,
  ecdsaEncoding: 'der' | 'ieee-p1363',
): boolean {
  const keyType = key.asymmetricKeyType;
  try {
    switch (scheme.kind) {
      case 'rsa-pkcs1':
        return keyType === 'rsa' && verify(scheme.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'rsa-pss':
        return (
          (keyType === 'rsa' || keyType === 'rsa-pss') &&
          verify(
            scheme.hash,
            data,
            { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength },
            signature,
          )
        );
      case 'ecdsa':
        if (keyType !== 'ec') return false;
        if (scheme.curve !== undefined) {
          const curve = key.asymmetricKeyDetails?.namedCurve;
          if (curve === undefined || OPENSSL_CURVES[curve] !== scheme.curve) return false;
        }
        return verify(scheme.hash, data, { key, dsaEncoding: ecdsaEncoding }, signature);
      case 'ed25519':
        return keyType === 'ed25519' && verify(null, data, key, signature);
    }
  } catch {
    // OpenSSL refuses some malformed signatures (e.g. longer than the modulus) with an exception instead of false.
    return false;
  }
}

/** IKEv2 AUTH methods 1 (RSA PKCS#1 v1.5 with SHA-1), 9/10/11 (ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512, IEEE P1363 r||s). */
export function schemeForAuthMethod(method: number): SignatureScheme | undefined {
  switch (method) {
    case AuthMethod.RSA_SIGNATURE:
      return { kind: 'rsa-pkcs1', hash: 'sha1' };
    case AuthMethod.ECDSA_SHA256_P256:
      return { kind: 'ecdsa', hash: 'sha256', curve: 'P-256' };
    case AuthMethod.ECDSA_SHA384_P384:
      return { kind: 'ecdsa', hash: 'sha384', curve: 'P-384' };
    case AuthMethod.ECDSA_SHA512_P521:
      return { kind: 'ecdsa', hash: 'sha512', curve: 'P-521' };
    default:
      return undefined;
  }
}

/**
 * RFC 7427 §3: AUTH data of method 14 = 1-byte length of the AlgorithmIdentifier, the DER AlgorithmIdentifier, then
 * the signature. Throws DecodeError for malformed data and OutpostError('unsupported') for an algorithm outside
 * sha256/384/512WithRSAEncryption, RSASSA-PSS (SHA-2, MGF1 with the same hash), ecdsa-with-SHA256/384/512 and
 * Ed25519. SHA-1 is refused here: RFC 8247 §3.2 forbids it with digital signatures.
 */
export function parseDigitalSignatureAuth(data: Uint8Array): { scheme: SignatureScheme; signature: Uint8Array } {
  const length = data[0];
  if (length === undefined || length === 0) throw new DecodeError('AUTH: signature algorithm missing');
  if (data.length < 1 + length) throw new DecodeError('AUTH: signature algorithm truncated');
  const signature = data.subarray(1 + length);
  if (signature.length === 0) throw new DecodeError('AUTH: signature missing');
  return { scheme: parseSignatureAlgorithm(data.subarray(1, 1 + length)), signature };
}

const OID = {
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
} as const;

const RSA_PKCS1_HASHES: Readonly<Record<string, HashName>> = {
  [OID.sha256WithRSAEncryption]: 'sha256',
  [OID.sha384WithRSAEncryption]: 'sha384',
  [OID.sha512WithRSAEncryption]: 'sha512',
};

const ECDSA_HASHES: Readonly<Record<string, HashName>> = {
  [OID.ecdsaWithSha256]: 'sha256',
  [OID.ecdsaWithSha384]: 'sha384',
  [OID.ecdsaWithSha512]: 'sha512',
};

/** RSASSA-PSS hash functions (RFC 4055 §2.1); SHA-1, the PSS default, is left out on purpose (see above). */
const PSS_HASHES: Readonly<Record<string, HashName>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** No RSA modulus in use comes near this many bytes of salt; a larger value is nonsense, not a policy. */
const MAX_PSS_SALT_LENGTH = 1024;

function unsupported(what: string): OutpostError {
  return new OutpostError('unsupported', 'The gateway signs with an algorithm this app does not support.', {
    detail: what,
  });
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL } */
function readAlgorithmIdentifier(der: Uint8Array, what: string): { oid: string; parameters: Uint8Array | undefined } {
  const reader = readerOf(parseDer(der, what), Tag.SEQUENCE, what);
  const oid = decodeOid(reader.expect(Tag.OID, 'algorithm').contents, what);
  const parameters = reader.done ? undefined : reader.read().encoded;
  reader.end();
  return { oid, parameters };
}

function isNull(parameters: Uint8Array): boolean {
  return parameters.length === 2 && parameters[0] === Tag.NULL && parameters[1] === 0;
}

function parseSignatureAlgorithm(der: Uint8Array): SignatureScheme {
  const what = 'AUTH signature algorithm';
  const { oid, parameters } = readAlgorithmIdentifier(der, what);
  const pkcs1Hash = RSA_PKCS1_HASHES[oid];
  if (pkcs1Hash !== undefined) {
    // RFC 4055 §5: the parameters are NULL, and readers must accept them absent too.
    if (parameters !== undefined && !isNull(parameters)) throw new DecodeError(`${what}: parameters must be NULL`);
    return { kind: 'rsa-pkcs1', hash: pkcs1Hash };
  }
  const ecdsaHash = ECDSA_HASHES[oid];
  if (ecdsaHash !== undefined) {
    // RFC 5758 §3.2: the parameters field is absent.
    if (parameters !== undefined) throw new DecodeError(`${what}: ECDSA takes no parameters`);
    return { kind: 'ecdsa', hash: ecdsaHash };
  }
  if (oid === OID.ed25519) {
    // RFC 8410 §3: the parameters field is absent.
    if (parameters !== undefined) throw new DecodeError(`${what}: Ed25519 takes no parameters`);
    return { kind: 'ed25519' };
  }
  if (oid === OID.rsassaPss) {
    if (parameters === undefined) throw new DecodeError(`${what}: RSASSA-PSS parameters missing`);
    return parsePssParameters(parameters);
  }
  throw unsupported(`signature algorithm ${oid}`);
}

/** A hash AlgorithmIdentifier inside RSASSA-PSS-params; RFC 4055 §2.1: NULL and absent parameters are equivalent. */
function readPssHash(der: Uint8Array, what: string): HashName {
  const { oid, parameters } = readAlgorithmIdentifier(der, what);
  if (parameters !== undefined && !isNull(parameters)) throw new DecodeError(`${what}: hash parameters must be NULL`);
  const hash = PSS_HASHES[oid];
  if (hash === undefined) throw unsupported(`RSASSA-PSS hash ${oid}`);
  return hash;
}

/** The single element inside an EXPLICIT [n] field. */
function explicitContents(reader: DerReader, n: number, what: string): Uint8Array | undefined {
  const field = reader.optional(contextTag(n, true));
  return field === undefined ? undefined : parseDer(field.contents, what).encoded;
}

/**
 * RFC 4055 §3.1:
 * RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] DEFAULT sha1, maskGenAlgorithm [1] DEFAULT mgf1SHA1,
 *                                  saltLength [2] INTEGER DEFAULT 20, trailerField [3] INTEGER DEFAULT 1 }
 */
function parsePssParameters(der: Uint8Array): SignatureScheme {
  const what = 'RSASSA-PSS parameters';
  const reader = readerOf(parseDer(der, what), Tag.SEQUENCE, what);
  const hashDer = explicitContents(reader, 0, what);
  const mgfDer = explicitContents(reader, 1, what);
  const saltDer = explicitContents(reader, 2, what);
  const trailerDer = explicitContents(reader, 3, what);
  reader.end();

  if (hashDer === undefined) throw unsupported('RSASSA-PSS with SHA-1');
  const hash = readPssHash(hashDer, what);

  if (mgfDer === undefined) throw unsupported('RSASSA-PSS with MGF1-SHA-1');
  const mgf = readAlgorithmIdentifier(mgfDer, what);
  if (mgf.oid !== OID.mgf1) throw unsupported(`RSASSA-PSS mask generation ${mgf.oid}`);
  if (mgf.parameters === undefined) throw new DecodeError(`${what}: MGF1 hash missing`);
  // node:crypto runs MGF1 with the signature's hash; anything else cannot be verified faithfully.
  if (readPssHash(mgf.parameters, what) !== hash) throw unsupported('RSASSA-PSS with MGF1 hash differing from hash');

  const saltLength = saltDer === undefined ? 20 : decodeSmallUnsigned(parseDer(saltDer, what), `${what}: salt`);
  if (saltLength > MAX_PSS_SALT_LENGTH) throw new DecodeError(`${what}: salt length out of range`);

  if (trailerDer !== undefined && decodeSmallUnsigned(parseDer(trailerDer, what), `${what}: trailer`) !== 1) {
    throw unsupported('RSASSA-PSS trailer field other than 1');
  }
  return { kind: 'rsa-pss', hash, saltLength };
}
