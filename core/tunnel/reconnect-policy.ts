/** Which errors another attempt cannot fix, and how long to wait before the next attempt. */
import type { ErrorCode, OutpostError } from '../errors.js';

/**
 * The longest wait between attempts. An attempt that hears nothing gives up after its IKE_SA_INIT retransmissions
 * (31 s, the last gap 16 s); with at most 8 s more the tunnel is back within 30 s of the gateway whatever the
 * moment it returns.
 */
const BACKOFF_CAP_MS = 8000;
const BACKOFF_FIRST_MS = 1000;

/** Errors that another attempt cannot fix: asking again would only lock the account or hide the problem. */
const FINAL_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'password-rejected',
  'password-expired',
  'otp-rejected',
  'authentication-failed',
  'untrusted-certificate',
  'identity-mismatch',
  'gateway-auth-invalid',
  'no-proposal-chosen',
  'profile-invalid',
  'unsupported',
  // the gateway's configuration refuses what this profile asks for, the same way every time
  'ts-unacceptable',
  'cp-required',
  'internal-address-failure',
  'redirect-loop',
  // the local side fails the same way next time: the adapter or routes, the network service missing or saying no
  'adapter',
  'helper-unavailable',
  'helper-refused',
]);

export function isFinal(error: OutpostError): boolean {
  return FINAL_ERRORS.has(error.code);
}

/**
 * The wait before the attempt after `attempt` (0: the tunnel was up and was just lost). Exponential up to the cap,
 * with jitter so that the clients of a restarted gateway do not all return at once: the first retry comes within a
 * second, later ones between half and all of the doubled delay.
 */
export function backoffDelay(attempt: number, random: () => number): number {
  if (attempt === 0) return Math.floor(random() * BACKOFF_FIRST_MS);
  const delay = Math.min(BACKOFF_FIRST_MS * 2 ** (attempt - 1), BACKOFF_CAP_MS);
  return Math.floor(delay / 2 + (random() * delay) / 2);
}
