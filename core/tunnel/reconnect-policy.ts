/** When a lost connection is worth another attempt, and how long to wait before it. */
import type { ErrorCode, OutpostError } from '../errors.js';

export const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

/** Errors that another attempt cannot fix: asking again would only lock the account or hide the problem. */
const FINAL_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'password-rejected',
  'otp-rejected',
  'authentication-failed',
  'untrusted-certificate',
  'identity-mismatch',
  'gateway-auth-invalid',
  'no-proposal-chosen',
  'profile-invalid',
  'unsupported',
  // the local side refuses the same way next time: the network service is missing, or says no
  'helper-unavailable',
  'helper-refused',
]);

export function isFinal(error: OutpostError): boolean {
  return FINAL_ERRORS.has(error.code);
}

/** Exponential backoff, doubling up to a cap. */
export function nextReconnectDelay(delayMs: number): number {
  return Math.min(delayMs * 2, RECONNECT_MAX_MS);
}
