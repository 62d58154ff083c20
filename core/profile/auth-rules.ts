/**
 * The settings a profile's auth method decides on, for every source of profiles (native JSON, .sswan, command line).
 * Each source words its own errors (its field or option names); which auth method needs what is decided only here.
 */
import type { OutpostError } from '../errors.js';
import type { AuthMethodName } from './types.js';

export interface AuthNeeds {
  /** The EAP identity. */
  username: boolean;
  /** A CA to check the gateway's certificate: EAP gateways prove themselves with one. */
  gatewayCa: boolean;
}

// With a pre-shared key both ends prove themselves with the key, so a username or CA would go unused: a profile that
// carries one is refused rather than quietly ignored.
const NEEDS: Readonly<Record<AuthMethodName, AuthNeeds>> = {
  psk: { username: false, gatewayCa: false },
  'eap-mschapv2': { username: true, gatewayCa: true },
  'eap-gtc': { username: true, gatewayCa: true },
  'eap-md5': { username: true, gatewayCa: true },
  'eap-mschapv2+totp': { username: true, gatewayCa: true },
};

export function authNeeds(auth: AuthMethodName): AuthNeeds {
  return NEEDS[auth];
}

/** Throws the source's own error when `setting` is missing though `auth` needs it, or given though it does not. */
export function checkAuthSetting(
  auth: AuthMethodName,
  setting: keyof AuthNeeds,
  given: boolean,
  refuse: { missing: () => OutpostError; unused: () => OutpostError },
): void {
  const needed = NEEDS[auth][setting];
  if (needed && !given) throw refuse.missing();
  if (!needed && given) throw refuse.unused();
}
