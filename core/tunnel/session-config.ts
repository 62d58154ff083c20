/** From a profile and the user's secrets to what an IKE session needs. */
import type { X509Certificate } from 'node:crypto';
import type { SigningCredential } from '../crypto/pkcs12.js';
import { certificateFields, parseCertificatesPem } from '../crypto/x509/certificate.js';
import type { TlsCredentials } from '../eap/eap-tls.js';
import type { ClientCertificate } from '../eap/tls-client.js';
import { OutpostError } from '../errors.js';
import { IdType } from '../iana.js';
import {
  type AuthRound,
  DEFAULT_CHILD_REKEY_MS,
  DEFAULT_IKE_REKEY_MS,
  DEFAULT_LIVENESS,
  DEFAULT_MAX_DATAGRAM,
  DEFAULT_RETRANSMIT,
  type Endpoint,
  type GatewayAuthConfig,
  REKEY_JITTER,
  type SessionConfig,
} from '../ike/config.js';
import { parseIdentity } from '../ike/identity.js';
import { ANY_IPV4, ANY_IPV6, selectorFromCidr } from '../ike/traffic-selectors.js';
import type { Profile } from '../profile/types.js';

export interface Credentials {
  /** EAP-TLS: the profile's PKCS#12 with the passphrase the user gave or the keychain kept. */
  clientCertificate?: ClientCertificate | undefined;
  /** IKEv2 certificate authentication: the key and certificates taken out of that PKCS#12. */
  signingCredential?: SigningCredential | undefined;
  password: (() => string) | undefined;
  psk: Uint8Array | undefined;
  oneTimeCode: (() => string) | undefined;
}

function missing(what: string): OutpostError {
  return new OutpostError('profile-invalid', `A ${what} is needed to connect with this profile.`);
}

function rounds(profile: Profile, credentials: Credentials): AuthRound[] {
  if (profile.auth === 'psk') {
    if (!credentials.psk) throw missing('pre-shared key');
    return [{ kind: 'psk', psk: credentials.psk }];
  }
  if (profile.auth === 'cert') {
    if (!credentials.signingCredential) throw missing('certificate (PKCS#12)');
    return [{ kind: 'certificate', credential: credentials.signingCredential }];
  }
  const identity = profile.username;
  if (!identity) throw missing('username');
  const eapRound = (
    method: 'mschapv2' | 'gtc' | 'md5',
    secret: (() => string) | undefined,
    otp: boolean,
  ): AuthRound => {
    if (!secret) throw missing(otp ? 'one-time code' : 'password');
    return { kind: 'eap', method, identity, secret, secretKind: otp ? 'one-time-code' : 'password' };
  };
  switch (profile.auth) {
    case 'eap-mschapv2':
      return [eapRound('mschapv2', credentials.password, false)];
    case 'eap-md5':
      return [eapRound('md5', credentials.password, false)];
    case 'eap-gtc':
      return [eapRound('gtc', credentials.password, false)];
    case 'eap-mschapv2+totp':
      return [eapRound('mschapv2', credentials.password, false), eapRound('gtc', credentials.oneTimeCode, true)];
    case 'eap-tls':
      return [eapTlsRound(profile, identity, credentials)];
    case 'eap-peap': {
      const round = eapRound('mschapv2', credentials.password, false);
      return round.kind === 'eap' ? [{ ...round, method: 'peap', tls: eapServer(profile, undefined) }] : [round];
    }
    case 'eap-ttls': {
      const round = eapRound('mschapv2', credentials.password, false);
      if (round.kind !== 'eap') return [round];
      return [{ ...round, method: 'ttls', tls: eapServer(profile, undefined), ttlsInner: profile.ttlsInner ?? 'pap' }];
    }
  }
}

function eapTlsRound(profile: Profile, identity: string, credentials: Credentials): AuthRound {
  const clientCertificate = credentials.clientCertificate;
  if (!clientCertificate) throw missing('certificate (PKCS#12)');
  return {
    kind: 'eap',
    method: 'tls',
    identity,
    // EAP-TLS asks for no secret: the PKCS#12 passphrase was used to open the certificate
    secret: () => '',
    secretKind: 'certificate',
    tls: eapServer(profile, clientCertificate),
  };
}

/** The EAP server's CA and name: the profile's own, else the gateway's (strongSwan's own EAP server uses its). */
function eapServer(profile: Profile, clientCertificate: ClientCertificate | undefined): TlsCredentials {
  const caPem = profile.eapCaCertificatesPem ?? profile.gateway.caCertificatesPem;
  if (!caPem) throw missing('CA certificate for the sign-in server');
  const serverName = profile.eapServerName ?? profile.gateway.id ?? profile.gateway.address;
  return { caPem, serverName, clientCertificate };
}

function gatewayAuth(profile: Profile, credentials: Credentials): GatewayAuthConfig {
  const pem = profile.gateway.caCertificatesPem;
  // a PSK profile with a CA: we prove ourselves with the key, the gateway with a certificate (RFC 7296 §2.15)
  if (profile.auth === 'psk' && pem === undefined) return { kind: 'psk', psk: credentials.psk! };
  if (!pem) {
    throw new OutpostError(
      'profile-invalid',
      "This profile has no certificate authority to check the gateway's certificate with. Ask IT for the CA certificate.",
    );
  }
  const trustAnchors: X509Certificate[] = parseCertificatesPem(pem);
  return { kind: 'certificate', trustAnchors };
}

export interface SessionTuning {
  /** Check that the gateway is alive after this long without hearing from it. */
  livenessMs?: number;
  /** Our own rekey times (the gateway may rekey sooner). */
  childRekeyMs?: number;
  ikeRekeyMs?: number;
}

/** Up to 10% earlier, so that both ends do not start the same rekey at the same moment. */
function jittered(ms: number): number {
  return ms * (1 - REKEY_JITTER * Math.random());
}

export function sessionConfig(
  profile: Profile,
  credentials: Credentials,
  local: Endpoint,
  remote: Endpoint,
  tuning: SessionTuning = {},
): SessionConfig {
  const authRounds = rounds(profile, credentials);
  const idText = profile.identity ?? profile.username ?? local.address;
  const signing = credentials.signingCredential;
  // with a certificate and no configured identity, IDi is the certificate's subject (what gateways match by default)
  const localId =
    profile.auth === 'cert' && profile.identity === undefined && signing
      ? { idType: IdType.DER_ASN1_DN, data: certificateFields(signing.certificate).subjectDer }
      : parseIdentity(idText);
  // Both families are always proposed (RFC 7296 §2.9): a gateway without IPv6 narrows them to its IPv4 selectors, one
  // with an IPv6 pool keeps ::/0 or its IPv6 subnets; a profile's IPv6 split subnets become IPv6 selectors.
  const remoteTs =
    profile.splitSubnets.length > 0 ? profile.splitSubnets.map((s) => selectorFromCidr(s)) : [ANY_IPV4, ANY_IPV6];
  return {
    local,
    remote,
    localId,
    remoteId: profile.gateway.id === undefined ? undefined : parseIdentity(profile.gateway.id),
    gatewayName: profile.gateway.address,
    gatewayAuth: gatewayAuth(profile, credentials),
    legacySignatures: profile.legacySignatures === true,
    rounds: authRounds,
    ikeProposals: profile.ikeProposals,
    espProposals: profile.espProposals,
    localTs: [ANY_IPV4, ANY_IPV6],
    remoteTs,
    // INTERNAL_IP6_ADDRESS is always asked for (RFC 7296 §3.15.1); without an answer IPv6 stays out of the tunnel
    requestIpv6: true,
    maxDatagram: DEFAULT_MAX_DATAGRAM,
    retransmit: DEFAULT_RETRANSMIT,
    liveness: tuning.livenessMs === undefined ? DEFAULT_LIVENESS : { ...DEFAULT_LIVENESS, idleMs: tuning.livenessMs },
    childRekeyMs: jittered(tuning.childRekeyMs ?? DEFAULT_CHILD_REKEY_MS),
    ikeRekeyMs: jittered(tuning.ikeRekeyMs ?? DEFAULT_IKE_REKEY_MS),
  };
}
