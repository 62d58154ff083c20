/**
 * The settings a profile's auth method decides on, for every source of profiles (native JSON, .sswan, command line).
 * Each source words its own errors (its field or option names); which auth method needs what is decided only here.
 */
import type { OutpostError } from '../errors.js';
import type { AuthMethodName } from './types.js';

/** Whether a setting must be given, may be, or would go unused (then it is refused rather than quietly ignored). */
export type Need = 'required' | 'optional' | 'unused';

export interface AuthNeeds {
  /** The EAP identity. */
  username: Need;
  /** A CA to check the gateway's certificate. */
  gatewayCa: Need;
  /** The user's certificate and key (PKCS#12). */
  clientCertificate: Need;
}

// EAP gateways prove themselves with a certificate. With a pre-shared key the gateway proves itself with the same key,
// or, with a CA given, with a certificate while we use the key: RFC 7296 §2.15 lets each end choose (libreswan's
// leftauth=rsasig rightauth=secret).
const EAP: AuthNeeds = { username: 'required', gatewayCa: 'required', clientCertificate: 'unused' };
const NEEDS: Readonly<Record<AuthMethodName, AuthNeeds>> = {
  psk: { username: 'unused', gatewayCa: 'optional', clientCertificate: 'unused' },
  'eap-mschapv2': EAP,
  'eap-gtc': EAP,
  'eap-md5': EAP,
  'eap-mschapv2+totp': EAP,
  // the EAP identity must match the certificate (strongSwan checks it against the certificate's subject and SANs)
  'eap-tls': { ...EAP, clientCertificate: 'required' },
  'eap-ttls': EAP,
  'eap-peap': EAP,
  // IKEv2 certificate authentication (RFC 7296 §2.15): no EAP, so no username; the gateway proves itself likewise
  cert: { username: 'unused', gatewayCa: 'required', clientCertificate: 'required' },
};

/** The methods that run TLS to an EAP server (EAP-TLS, EAP-TTLS, PEAP), whose name and CA a profile may set apart from the gateway's. */
export function usesEapServerCertificate(auth: AuthMethodName): boolean {
  return auth === 'eap-tls' || auth === 'eap-ttls' || auth === 'eap-peap';
}

export function authNeeds(auth: AuthMethodName): AuthNeeds {
  return NEEDS[auth];
}

/** Throws the source's own error when `setting` is missing though `auth` needs it, or given though it does not. */
export function checkAuthSetting(
  auth: AuthMethodName,
  setting: keyof AuthNeeds,
  given: boolean,
  refuse: { missing: () => OutpostError; unused?: () => OutpostError },
): void {
  const need = NEEDS[auth][setting];
  if (need === 'required' && !given) throw refuse.missing();
  if (need === 'unused' && given && refuse.unused) throw refuse.unused();
}
