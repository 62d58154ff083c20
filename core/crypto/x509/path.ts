/**
 * Path validation (RFC 5280 §6, the parts a VPN client needs): from the gateway's certificate through the
 * intermediates it sent to one of the organisation's CA certificates.
 */
import type { X509Certificate } from 'node:crypto';
import { OutpostError } from '../../errors.js';
import { type CertificateFields, certificateFields } from './certificate.js';
import { namesEqual } from './name.js';

const MAX_CHAIN_INTERMEDIATES = 8;
/** Bounds the path search: a peer can send many certificates of the same name that sign each other. */
const MAX_ISSUER_CHECKS = 128;
const NOT_OUR_CA = "The gateway's certificate is not signed by your organisation's certificate authority.";
/** Signatures anyone with enough money can forge (SHA-1: SHAttered, 2017; MD5 and MD2 long before). */
const WEAK_SIGNATURES = new Map([
  ['1.2.840.113549.1.1.5', 'SHA-1'],
  ['1.2.840.10045.4.1', 'SHA-1'],
  ['1.2.840.10040.4.3', 'SHA-1'],
  ['1.2.840.113549.1.1.4', 'MD5'],
  ['1.2.840.113549.1.1.2', 'MD2'],
]);
/** NIST SP 800-131A: RSA below 2048 bits is disallowed for signatures since 2014. */
const MIN_RSA_BITS = 2048;
/**
 * The uses a gateway's certificate may be restricted to (RFC 4945 §5.1.3.12, RFC 9325 practice): TLS-style server
 * authentication, IPsec IKE, Microsoft's IKE intermediate, or any.
 */
const GATEWAY_EKUS = new Set(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.17', '1.3.6.1.5.5.8.2.2', '2.5.29.37.0']);

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
  // checked before any path is searched: a weak certificate must be refused as such, whatever else is wrong
  const weak = weakness(ee, "The gateway's certificate") ?? unfitForGateway(ee);
  if (weak !== undefined) throw weak;
  if (anchors.some((anchor) => anchor.cert.raw.equals(endEntity.raw))) {
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
  return { cert, fields: certificateFields(cert) };
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
    const weak = weakness(certificate, role, index === path.length - 1);
    if (weak !== undefined) return weak;
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

/**
 * A signature with a broken hash (not on a trust anchor: nobody relies on its self-signature), or an RSA key too short.
 */
function weakness(certificate: Link, role: string, anchor = false): OutpostError | undefined {
  const hash = WEAK_SIGNATURES.get(certificate.fields.signatureAlgorithm);
  if (hash !== undefined && !anchor) {
    return untrusted(
      `${role} is signed with ${hash}, which can be forged. Ask IT for one signed with SHA-256 or better.`,
      certificate,
      `signature algorithm ${certificate.fields.signatureAlgorithm}`,
    );
  }
  const { publicKey } = certificate.cert;
  const bits = publicKey.asymmetricKeyType === 'rsa' ? (publicKey.asymmetricKeyDetails?.modulusLength ?? 0) : undefined;
  if (bits !== undefined && bits < MIN_RSA_BITS) {
    return untrusted(
      `${role} uses an RSA key of ${bits} bits, too short to be safe (${MIN_RSA_BITS} at least). Tell IT.`,
      certificate,
      `RSA modulus ${bits} bits`,
    );
  }
  return undefined;
}

/** A gateway certificate that names the uses its key is for must name one that covers IKE. */
function unfitForGateway(certificate: Link): OutpostError | undefined {
  const usages = certificate.cert.keyUsage;
  if (usages === undefined || usages.some((oid) => GATEWAY_EKUS.has(oid))) return undefined;
  return untrusted(
    "The gateway's certificate is not meant for a VPN gateway (its extended key usage does not allow it). Tell IT.",
    certificate,
    `extendedKeyUsage ${usages.join(', ')}`,
  );
}

/**
 * A name on one line. Node's X509Certificate gives undefined, not '', for an empty name (whatever its typings say),
 * and RFC 5280 §4.1.2.6 allows an empty subject when the subjectAltName carries the identity.
 */
export function nameLine(dn: string | undefined): string {
  return dn === undefined ? '(empty name)' : dn.split('\n').join(', ');
}

function untrusted(message: string, certificate: Link, reason: string): OutpostError {
  return new OutpostError('untrusted-certificate', message, {
    detail: `subject: ${nameLine(certificate.cert.subject)}; issuer: ${nameLine(certificate.cert.issuer)}; reason: ${reason}`,
  });
}

function commonName(certificate: Link): string {
  const subject: string | undefined = certificate.cert.subject;
  const line = subject?.split('\n').find((part) => part.startsWith('CN='));
  return line === undefined ? nameLine(subject) : line.slice(3);
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}
