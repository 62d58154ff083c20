/**
 * Parsing the gateway's certificate. node:crypto's X509Certificate does the signature checks; the fields it does not
 * expose faithfully (exact DER of the subject and public key, pathLen, keyUsage bits, critical extensions, raw
 * subjectAltName entries) are read here with the strict DER reader.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { DecodeError, isOutpostError, OutpostError } from '../../errors.js';
import {
  contextTag,
  decodeBitString,
  decodeBoolean,
  decodeOid,
  decodeSmallUnsigned,
  decodeTime,
  parseDer,
  readerOf,
  Tag,
} from '../asn1.js';
import { ia5, type Name, parseName } from './name.js';

export type GeneralName =
  | { readonly kind: 'dns'; readonly name: string }
  | { readonly kind: 'email'; readonly address: string }
  | { readonly kind: 'ip'; readonly address: Uint8Array }
  | { readonly kind: 'dn'; readonly name: Name };

export type CertificateFields = {
  /** The OID of the algorithm its issuer signed it with. */
  readonly signatureAlgorithm: string;
  readonly issuer: Name;
  readonly subject: Name;
  /** The subject Name as encoded in the certificate: what an ID_DER_ASN1_DN identity carries (RFC 7296 §3.5). */
  readonly subjectDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectPublicKeyInfo: Uint8Array;
  /** Absent when the certificate has no basicConstraints extension. */
  readonly basicConstraints: { readonly ca: boolean; readonly pathLen: number | undefined } | undefined;
  /** Absent when the certificate has no keyUsage extension (then every usage is allowed). */
  readonly keyCertSign: boolean | undefined;
  readonly subjectAltNames: readonly GeneralName[];
  /** Critical extensions this module does not enforce: such a certificate must not be relied on (RFC 5280 §4.2). */
  readonly unhandledCritical: readonly string[];
};

const EXTENSION = {
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
} as const;

/** keyUsage bit 5 (RFC 5280 §4.2.1.3), counted from the most significant bit of the first byte. */
const KEY_CERT_SIGN_MASK = 0x80 >> 5;

const fieldsByCertificate = new WeakMap<X509Certificate, CertificateFields>();

/** Parses one DER certificate; DecodeError if it is not a well-formed X.509 certificate. */
export function parseCertificateDer(der: Uint8Array): X509Certificate {
  const bytes = Uint8Array.from(der);
  const fields = parseCertificateFields(bytes);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(bytes);
    // OpenSSL reads the key only when asked, then throws its own error: a key it cannot read (an EC point off its
    // curve, say) makes the certificate useless, so it is malformed here and not a surprise at AUTH time
    void certificate.publicKey;
  } catch (cause) {
    throw new DecodeError(`certificate: ${cause instanceof Error ? cause.message : 'rejected by OpenSSL'}`);
  }
  fieldsByCertificate.set(certificate, fields);
  return certificate;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/g;

/** Every certificate in a PEM text, in order. Throws OutpostError('profile-invalid') when there is none or one is damaged. */
export function parseCertificatesPem(text: string): X509Certificate[] {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  const begins = text.split('-----BEGIN CERTIFICATE-----').length - 1;
  if (begins === 0) {
    throw new OutpostError(
      'profile-invalid',
      'No certificate was found: the file must contain a PEM certificate starting with "-----BEGIN CERTIFICATE-----".',
    );
  }
  if (blocks.length !== begins) {
    throw new OutpostError('profile-invalid', 'The certificate file is damaged: a certificate block is incomplete.', {
      detail: `${begins} BEGIN CERTIFICATE lines, ${blocks.length} complete blocks`,
    });
  }
  return blocks.map((block, index) => {
    const base64 = (block[1] ?? '').replace(/\s+/g, '');
    try {
      if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
        throw new DecodeError('certificate PEM: invalid base64');
      }
      return parseCertificateDer(Buffer.from(base64, 'base64'));
    } catch (cause) {
      if (!isOutpostError(cause)) throw cause;
      throw new OutpostError(
        'profile-invalid',
        `The certificate file is damaged: certificate ${index + 1} could not be read.`,
        { detail: cause.detail, cause },
      );
    }
  });
}

/** SHA-1 of the DER SubjectPublicKeyInfo, what IKEv2 CERTREQ carries for X.509 (RFC 7296 §3.7). */
export function subjectPublicKeyInfoSha1(cert: X509Certificate): Uint8Array {
  return createHash('sha1').update(certificateFields(cert).subjectPublicKeyInfo).digest();
}

/** The fields read here, for certificates parsed by this module and for any other X509Certificate alike. */
export function certificateFields(cert: X509Certificate): CertificateFields {
  let fields = fieldsByCertificate.get(cert);
  if (fields === undefined) {
    fields = parseCertificateFields(Uint8Array.from(cert.raw));
    fieldsByCertificate.set(cert, fields);
  }
  return fields;
}

/**
 * RFC 5280 §4.1:
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
 * TBSCertificate ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, serialNumber, signature, issuer, validity, subject,
 *   subjectPublicKeyInfo, issuerUniqueID [1] IMPLICIT OPTIONAL, subjectUniqueID [2] IMPLICIT OPTIONAL,
 *   extensions [3] EXPLICIT OPTIONAL }
 */
function parseCertificateFields(der: Uint8Array): CertificateFields {
  const what = 'certificate';
  const certificate = readerOf(parseDer(der, what), Tag.SEQUENCE, what);
  const tbs = readerOf(certificate.expect(Tag.SEQUENCE, 'tbsCertificate'), Tag.SEQUENCE, what);
  const algorithm = readerOf(certificate.expect(Tag.SEQUENCE, 'signatureAlgorithm'), Tag.SEQUENCE, what);
  const signatureAlgorithm = decodeOid(algorithm.expect(Tag.OID, 'algorithm').contents, what);
  decodeBitString(certificate.expect(Tag.BIT_STRING, 'signatureValue'), what);
  certificate.end();

  const versionField = tbs.optional(contextTag(0, true));
  const version = versionField === undefined ? 0 : decodeSmallUnsigned(parseDer(versionField.contents, what), what);
  if (version > 2) throw new DecodeError(`${what}: unknown version ${version + 1}`);
  tbs.expect(Tag.INTEGER, 'serialNumber');
  tbs.expect(Tag.SEQUENCE, 'signature');
  const issuer = parseName(tbs.expect(Tag.SEQUENCE, 'issuer'), `${what} issuer`);
  const validity = readerOf(tbs.expect(Tag.SEQUENCE, 'validity'), Tag.SEQUENCE, `${what} validity`);
  const notBefore = decodeTime(validity.read(), `${what} notBefore`);
  const notAfter = decodeTime(validity.read(), `${what} notAfter`);
  validity.end();
  const subjectField = tbs.expect(Tag.SEQUENCE, 'subject');
  const subject = parseName(subjectField, `${what} subject`);
  const subjectPublicKeyInfo = tbs.expect(Tag.SEQUENCE, 'subjectPublicKeyInfo').encoded;
  tbs.optional(contextTag(1, false));
  tbs.optional(contextTag(2, false));
  const extensionsField = tbs.optional(contextTag(3, true));
  tbs.end();

  let basicConstraints: CertificateFields['basicConstraints'];
  let keyCertSign: boolean | undefined;
  let subjectAltNames: GeneralName[] = [];
  const unhandledCritical: string[] = [];
  if (extensionsField !== undefined) {
    if (version !== 2) throw new DecodeError(`${what}: extensions in a version ${version + 1} certificate`);
    const seen = new Set<string>();
    const extensions = readerOf(parseDer(extensionsField.contents, what), Tag.SEQUENCE, `${what} extensions`);
    if (extensions.done) throw new DecodeError(`${what}: empty extensions`);
    while (!extensions.done) {
      const extension = readerOf(extensions.read(), Tag.SEQUENCE, `${what} extension`);
      const id = decodeOid(extension.expect(Tag.OID, 'extnID').contents, what);
      // DER forbids encoding the DEFAULT FALSE, but certificates that do so are common and mean the same thing.
      const criticalField = extension.optional(Tag.BOOLEAN);
      const critical = criticalField === undefined ? false : decodeBoolean(criticalField, what);
      const value = extension.expect(Tag.OCTET_STRING, 'extnValue').contents;
      extension.end();
      // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of a particular extension.
      if (seen.has(id)) throw new DecodeError(`${what}: duplicate extension ${id}`);
      seen.add(id);
      switch (id) {
        case EXTENSION.basicConstraints:
          basicConstraints = parseBasicConstraints(value);
          break;
        case EXTENSION.keyUsage:
          keyCertSign = parseKeyCertSign(value);
          break;
        case EXTENSION.subjectAltName:
          subjectAltNames = parseGeneralNames(value);
          break;
        default:
          if (critical) unhandledCritical.push(id);
      }
    }
  }
  return {
    signatureAlgorithm,
    issuer,
    subject,
    subjectDer: subjectField.encoded,
    notBefore,
    notAfter,
    subjectPublicKeyInfo,
    basicConstraints,
    keyCertSign,
    subjectAltNames,
    unhandledCritical,
  };
}

/** BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL } */
function parseBasicConstraints(value: Uint8Array): CertificateFields['basicConstraints'] {
  const what = 'basicConstraints';
  const reader = readerOf(parseDer(value, what), Tag.SEQUENCE, what);
  const caField = reader.optional(Tag.BOOLEAN);
  const ca = caField === undefined ? false : decodeBoolean(caField, what);
  const pathLenField = reader.optional(Tag.INTEGER);
  const pathLen = pathLenField === undefined ? undefined : decodeSmallUnsigned(pathLenField, what);
  reader.end();
  return { ca, pathLen };
}

/** KeyUsage ::= BIT STRING; only keyCertSign matters for path validation. */
function parseKeyCertSign(value: Uint8Array): boolean {
  const { bytes } = decodeBitString(parseDer(value, 'keyUsage'), 'keyUsage');
  return ((bytes[0] ?? 0) & KEY_CERT_SIGN_MASK) !== 0;
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName; kinds that no IKE identity maps to are skipped. */
function parseGeneralNames(value: Uint8Array): GeneralName[] {
  const what = 'subjectAltName';
  const reader = readerOf(parseDer(value, what), Tag.SEQUENCE, what);
  if (reader.done) throw new DecodeError(`${what}: empty`);
  const names: GeneralName[] = [];
  while (!reader.done) {
    const entry = reader.read();
    switch (entry.tag) {
      case contextTag(1, false):
        names.push({ kind: 'email', address: ia5(entry.contents, what) });
        break;
      case contextTag(2, false):
        names.push({ kind: 'dns', name: ia5(entry.contents, what) });
        break;
      case contextTag(4, true):
        names.push({ kind: 'dn', name: parseName(parseDer(entry.contents, what), what) });
        break;
      case contextTag(7, false):
        // 4 or 16 bytes is an address; 8 or 32 (address + mask) only appears in name constraints.
        if (entry.contents.length === 4 || entry.contents.length === 16) {
          names.push({ kind: 'ip', address: entry.contents });
        }
        break;
    }
  }
  return names;
}
