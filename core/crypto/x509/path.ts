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
