/**
 * The gateway's certificate: parsing, path validation to the organisation's CA, and the identity it carries.
 * node:crypto's X509Certificate does the signature checks; the fields it does not expose faithfully (exact DER of the
 * subject and public key, pathLen, keyUsage bits, critical extensions, raw subjectAltName entries) are read here with
 * the strict DER reader.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { DecodeError, isOutpostError, OutpostError } from '../errors.js';
import { IdType } from '../iana.js';
import {
  contextTag,
  type DerElement,
  decodeBitString,
  decodeBoolean,
  decodeOid,
  decodeSmallUnsigned,
  decodeTime,
  parseDer,
  readerOf,
  Tag,
} from './asn1.js';

/** AttributeTypeAndValue: the type OID and the value's whole DER encoding. */
type Attribute = { readonly type: string; readonly value: DerElement };
/** Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue). */
type Name = readonly (readonly Attribute[])[];

type GeneralName =
  | { readonly kind: 'dns'; readonly name: string }
  | { readonly kind: 'email'; readonly address: string }
  | { readonly kind: 'ip'; readonly address: Uint8Array }
  | { readonly kind: 'dn'; readonly name: Name };

type CertificateFields = {
  readonly issuer: Name;
  readonly subject: Name;
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
  return createHash('sha1').update(fieldsOf(cert).subjectPublicKeyInfo).digest();
}

/**
 * Does the certificate carry this IKE identity? FQDN -> subjectAltName dNSName (ASCII case-insensitive, exact: no
 * wildcards, no fallback to the subject CN); IPV4/IPV6_ADDR -> SAN iPAddress; RFC822_ADDR -> SAN rfc822Name (domain
 * case-insensitive); DER_ASN1_DN -> the subject DN, or a SAN directoryName, compared as RFC 5280 §7.1 names. Other ID
 * types never match. `idData` is the raw ID payload data; DecodeError when it does not fit its type.
 */
export function certificateMatchesIdentity(cert: X509Certificate, idType: number, idData: Uint8Array): boolean {
  const fields = fieldsOf(cert);
  switch (idType) {
    case IdType.FQDN: {
      const fqdn = asciiIdentity(idData, 'FQDN');
      if (fqdn.includes('*')) return false;
      const wanted = canonicalHost(fqdn);
      return fields.subjectAltNames.some((san) => san.kind === 'dns' && canonicalHost(san.name) === wanted);
    }
    case IdType.IPV4_ADDR:
    case IdType.IPV6_ADDR: {
      const length = idType === IdType.IPV4_ADDR ? 4 : 16;
      if (idData.length !== length) throw new DecodeError(`identity: IP address of ${idData.length} bytes`);
      return fields.subjectAltNames.some((san) => san.kind === 'ip' && bytesEqual(san.address, idData));
    }
    case IdType.RFC822_ADDR: {
      const wanted = canonicalEmail(asciiIdentity(idData, 'RFC822 address'));
      return fields.subjectAltNames.some((san) => san.kind === 'email' && canonicalEmail(san.address) === wanted);
    }
    case IdType.DER_ASN1_DN: {
      const name = parseName(parseDer(idData, 'identity DN'), 'identity DN');
      return (
        namesEqual(fields.subject, name) ||
        fields.subjectAltNames.some((san) => san.kind === 'dn' && namesEqual(san.name, name))
      );
    }
    default:
      return false;
  }
}

const MAX_CHAIN_INTERMEDIATES = 8;
/** Bounds the path search: a peer can send many certificates of the same name that sign each other. */
const MAX_ISSUER_CHECKS = 128;
const NOT_OUR_CA = "The gateway's certificate is not signed by your organisation's certificate authority.";

/**
 * Builds a path from the end-entity certificate through the given intermediates to one of the trust anchors and
 * checks signatures, validity dates at `now`, basicConstraints CA:true on issuers (and pathLen), keyUsage keyCertSign
 * on issuers where present, and that no certificate on the path carries a critical extension left unchecked here.
 * An end-entity certificate that is itself one of the trust anchors (byte for byte) is trusted directly.
 * Throws OutpostError('untrusted-certificate') with a sentence for the user and the subject, issuer and reason in detail.
 */
export function validateCertificateChain(
  endEntity: X509Certificate,
  intermediates: X509Certificate[],
  trustAnchors: X509Certificate[],
  now: Date,
): void {
  const anchors = trustAnchors.map(link);
  const ee = link(endEntity);
  if (anchors.some((anchor) => bytesEqual(anchor.cert.raw, endEntity.raw))) {
    const problem = checkPath([ee], now);
    if (problem !== undefined) throw problem;
    return;
  }
  const search: Search = { anchors, pool: intermediates.map(link), budget: MAX_ISSUER_CHECKS };
  let firstProblem: OutpostError | undefined;
  for (const issuers of issuerChains(ee, search, new Set())) {
    const problem = checkPath([ee, ...issuers], now);
    if (problem === undefined) return;
    firstProblem ??= problem;
  }
  if (firstProblem !== undefined) throw firstProblem;
  throw untrusted(
    NOT_OUR_CA,
    ee,
    search.budget <= 0 ? 'too many candidate issuer certificates' : 'no path to a trust anchor',
  );
}

type Link = { readonly cert: X509Certificate; readonly fields: CertificateFields };
type Search = { readonly anchors: readonly Link[]; readonly pool: readonly Link[]; budget: number };

function link(cert: X509Certificate): Link {
  return { cert, fields: fieldsOf(cert) };
}

/** Every chain of issuers above `child` that ends in a trust anchor, nearest issuer first. */
function* issuerChains(child: Link, search: Search, used: Set<Link>): Generator<Link[]> {
  for (const anchor of search.anchors) {
    if (issued(anchor, child, search)) yield [anchor];
  }
  if (used.size >= MAX_CHAIN_INTERMEDIATES) return;
  for (const candidate of search.pool) {
    if (used.has(candidate) || !issued(candidate, child, search)) continue;
    used.add(candidate);
    for (const rest of issuerChains(candidate, search, used)) yield [candidate, ...rest];
    used.delete(candidate);
  }
}

function issued(issuer: Link, child: Link, search: Search): boolean {
  if (search.budget <= 0 || !namesEqual(issuer.fields.subject, child.fields.issuer)) return false;
  search.budget--;
  try {
    return child.cert.verify(issuer.cert.publicKey);
  } catch {
    return false;
  }
}

/** The checks that do not depend on how the path was found; `path` runs from the end entity to the anchor. */
function checkPath(path: readonly Link[], now: Date): OutpostError | undefined {
  for (const [index, certificate] of path.entries()) {
    const { fields } = certificate;
    const role = index === 0 ? "The gateway's certificate" : `The certificate authority "${commonName(certificate)}"`;
    if (now < fields.notBefore) {
      return untrusted(
        `${role} is not valid before ${day(fields.notBefore)}; check that this computer's date and time are correct.`,
        certificate,
        `not valid before ${fields.notBefore.toISOString()}`,
      );
    }
    if (now > fields.notAfter) {
      return untrusted(
        `${role} expired on ${day(fields.notAfter)}.`,
        certificate,
        `expired ${fields.notAfter.toISOString()}`,
      );
    }
    if (fields.unhandledCritical.length > 0) {
      return untrusted(
        NOT_OUR_CA,
        certificate,
        `unsupported critical extension ${fields.unhandledCritical.join(', ')}`,
      );
    }
    if (index === 0) continue;
    if (fields.basicConstraints?.ca !== true) {
      return untrusted(NOT_OUR_CA, certificate, 'issuer is not a CA (basicConstraints CA:TRUE missing)');
    }
    const below = index - 1;
    const { pathLen } = fields.basicConstraints;
    if (pathLen !== undefined && below > pathLen) {
      return untrusted(NOT_OUR_CA, certificate, `pathLen ${pathLen} exceeded by ${below} intermediate CAs below`);
    }
    if (fields.keyCertSign === false) {
      return untrusted(NOT_OUR_CA, certificate, 'issuer keyUsage lacks keyCertSign');
    }
  }
  return undefined;
}

function untrusted(message: string, certificate: Link, reason: string): OutpostError {
  const oneLine = (dn: string) => dn.split('\n').join(', ');
  return new OutpostError('untrusted-certificate', message, {
    detail: `subject: ${oneLine(certificate.cert.subject)}; issuer: ${oneLine(certificate.cert.issuer)}; reason: ${reason}`,
  });
}

function commonName(certificate: Link): string {
  const line = certificate.cert.subject.split('\n').find((part) => part.startsWith('CN='));
  return line === undefined ? certificate.cert.subject.split('\n').join(', ') : line.slice(3);
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function fieldsOf(cert: X509Certificate): CertificateFields {
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
  certificate.expect(Tag.SEQUENCE, 'signatureAlgorithm');
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
  const subject = parseName(tbs.expect(Tag.SEQUENCE, 'subject'), `${what} subject`);
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
    issuer,
    subject,
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

function ia5(contents: Uint8Array, what: string): string {
  if (contents.some((byte) => byte > 0x7f)) throw new DecodeError(`${what}: non-ASCII IA5String`);
  return new TextDecoder('latin1').decode(contents);
}

/** Name as a list of RDNs; values stay DER so that comparison can choose exact or normalised matching. */
function parseName(element: DerElement, what: string): Name {
  const reader = readerOf(element, Tag.SEQUENCE, what);
  const rdns: Attribute[][] = [];
  while (!reader.done) {
    const set = readerOf(reader.read(), Tag.SET, what);
    const rdn: Attribute[] = [];
    while (!set.done) {
      const attribute = readerOf(set.read(), Tag.SEQUENCE, what);
      const type = decodeOid(attribute.expect(Tag.OID, 'attribute type').contents, what);
      const value = attribute.read();
      attribute.end();
      rdn.push({ type, value });
    }
    if (rdn.length === 0) throw new DecodeError(`${what}: empty relative distinguished name`);
    rdns.push(rdn);
  }
  return rdns;
}

/** RFC 5280 §7.1: same RDNs in the same order; within an RDN the same attributes in any order. */
function namesEqual(a: Name, b: Name): boolean {
  return (
    a.length === b.length &&
    a.every((rdn, i) => {
      const other = b[i] ?? [];
      return (
        rdn.length === other.length &&
        rdn.every((attribute) => other.some((candidate) => attributesEqual(attribute, candidate)))
      );
    })
  );
}

function attributesEqual(a: Attribute, b: Attribute): boolean {
  if (a.type !== b.type) return false;
  if (bytesEqual(a.value.encoded, b.value.encoded)) return true;
  const left = directoryString(a.value);
  const right = directoryString(b.value);
  return left !== undefined && left === right;
}

/**
 * A DirectoryString prepared for caseIgnoreMatch in the spirit of RFC 4518: compatibility-normalised, case-folded,
 * outer spaces dropped and inner runs of spaces collapsed. Undefined for values that are not strings.
 */
function directoryString(value: DerElement): string | undefined {
  let text: string;
  try {
    switch (value.tag) {
      case Tag.UTF8_STRING:
        text = new TextDecoder('utf-8', { fatal: true }).decode(value.contents);
        break;
      case Tag.PRINTABLE_STRING:
      case Tag.IA5_STRING:
        text = ia5(value.contents, 'directory string');
        break;
      case Tag.BMP_STRING:
        text = new TextDecoder('utf-16be', { fatal: true }).decode(value.contents);
        break;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
  return text.normalize('NFKC').toLowerCase().trim().replace(/\s+/g, ' ');
}

function asciiIdentity(idData: Uint8Array, what: string): string {
  if (idData.length === 0 || idData.some((byte) => byte < 0x21 || byte > 0x7e)) {
    throw new DecodeError(`identity: ${what} is not printable ASCII`);
  }
  return new TextDecoder('latin1').decode(idData);
}

/** Host names compare case-insensitively (RFC 4343); an absolute name's final dot changes nothing. */
function canonicalHost(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** RFC 5280 §4.2.1.6: the local part of an email address is case-sensitive, its domain is not. */
function canonicalEmail(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : address.slice(0, at + 1) + address.slice(at + 1).toLowerCase();
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
