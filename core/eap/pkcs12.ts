/**
 * The user's PKCS#12 file (certificate and key) opened with its passphrase, before any connection: a wrong passphrase
 * or an expired certificate is said at once, in words, instead of as a TLS failure halfway through the sign-in.
 * node:tls opens the file (OpenSSL's PKCS#12 reader); the certificate is read back from the secure context.
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { pkcs12Unreadable } from '../crypto/pkcs12-error.js';
import { OutpostError } from '../errors.js';

export interface Pkcs12Summary {
  /** The certificate's subject, one line as OpenSSL prints it (e.g. "CN=alice@example.test"). */
  subject: string;
  validFrom: Date;
  validTo: Date;
}

/** Days before expiry from which the app warns that the certificate must be renewed. */
export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

function pkcs12Error(error: Error): OutpostError {
  return pkcs12Unreadable(error.message, /mac verify failure|bad decrypt|invalid password/i.test(error.message));
}

/** The certificate a secure context holds, through the accessor node:tls itself uses (not in the typings). */
function contextCertificate(context: unknown): X509Certificate | undefined {
  const inner = (context as { context?: { getCertificate?: () => Buffer | null } }).context;
  const der = typeof inner?.getCertificate === 'function' ? inner.getCertificate() : null;
  return der ? new X509Certificate(der) : undefined;
}

/** Opens the file; throws 'profile-invalid' with a sentence when it cannot be opened with this passphrase. */
export function readPkcs12(pfx: Uint8Array, passphrase: string): Pkcs12Summary {
  let certificate: X509Certificate | undefined;
  try {
    certificate = contextCertificate(createSecureContext({ pfx: Buffer.from(pfx), passphrase }));
  } catch (error) {
    throw pkcs12Error(error as Error);
  }
  if (!certificate) {
    throw new OutpostError('profile-invalid', 'Your certificate file (PKCS#12) holds no certificate for you.');
  }
  return {
    subject: certificate.subject.replace(/\n/g, ', '),
    validFrom: new Date(certificate.validFrom),
    validTo: new Date(certificate.validTo),
  };
}

/** Refuses a certificate outside its validity: the gateway would refuse it, with less helpful words. */
export function checkPkcs12Validity(summary: Pkcs12Summary, now: Date): void {
  if (now > summary.validTo) {
    throw new OutpostError(
      'authentication-failed',
      `Your certificate expired on ${summary.validTo.toISOString().slice(0, 10)}. Ask IT for a new one.`,
      { detail: `certificate ${summary.subject}, valid to ${summary.validTo.toISOString()}` },
    );
  }
  if (now < summary.validFrom) {
    throw new OutpostError(
      'authentication-failed',
      `Your certificate is valid only from ${summary.validFrom.toISOString().slice(0, 10)}. Check this computer's date.`,
      { detail: `certificate ${summary.subject}, valid from ${summary.validFrom.toISOString()}` },
    );
  }
}

/** Whole days until the certificate expires when that is within EXPIRY_WARNING_DAYS (0 on its last day), else undefined. */
export function daysUntilExpiry(summary: Pkcs12Summary, now: Date): number | undefined {
  const left = summary.validTo.getTime() - now.getTime();
  if (left < 0 || left > EXPIRY_WARNING_DAYS * DAY_MS) return undefined;
  return Math.floor(left / DAY_MS);
}
