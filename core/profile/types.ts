/** A connection profile after parsing: every field checked, proposals already turned into transforms. */
import type { TtlsInnerMethod } from '../eap/eap-ttls.js';
import type { Transform } from '../ike/message/types.js';

export type AuthMethodName =
  | 'psk'
  | 'eap-mschapv2'
  | 'eap-gtc'
  | 'eap-md5'
  | 'eap-mschapv2+totp'
  | 'eap-tls'
  | 'eap-ttls'
  | 'eap-peap'
  | 'cert';

export const AUTH_METHODS: readonly AuthMethodName[] = [
  'psk',
  'eap-mschapv2',
  'eap-gtc',
  'eap-md5',
  'eap-mschapv2+totp',
  'eap-tls',
  'eap-ttls',
  'eap-peap',
  'cert',
];

export function isAuthMethodName(text: string): text is AuthMethodName {
  return (AUTH_METHODS as readonly string[]).includes(text);
}

export interface Profile {
  name: string;
  uuid: string | undefined;
  gateway: {
    /** Host name or IP address literal. */
    address: string;
    /** UDP port of IKE; 500 unless the profile says otherwise. */
    port: number;
    /** Expected gateway identity (FQDN, IP, email or DN); when set it is sent as IDr and checked against the certificate. */
    id: string | undefined;
    /** PEM text of the CA certificate(s); present whenever the gateway authenticates with a certificate (EAP). */
    caCertificatesPem: string | undefined;
  };
  auth: AuthMethodName;
  /**
   * EAP-TLS and EAP-TTLS: the name the EAP server's certificate must carry (RFC 5216 §5.2); when undefined, the gateway's id or
   * address (strongSwan's own EAP-TLS server uses the gateway's certificate).
   */
  eapServerName?: string | undefined;
  /** EAP-TLS and EAP-TTLS: PEM of the CA(s) of the EAP server (a RADIUS server's own CA); when undefined, the gateway's CA. */
  eapCaCertificatesPem?: string | undefined;
  /**
   * EAP-TLS: the user's certificate and key as PKCS#12 bytes (still encrypted with its passphrase), from a .sswan
   * `local.p12`, a profile's `pkcs12File` or `--cert`. The passphrase is never part of a profile.
   */
  clientPkcs12?: Uint8Array | undefined;
  /** EAP-TTLS: the sign-in inside the tunnel; PAP when undefined. */
  ttlsInner?: TtlsInnerMethod | undefined;
  /** EAP identity; present for every EAP method. */
  username: string | undefined;
  /** IKE IDi; when undefined the username is used, else (PSK) the local address. */
  identity: string | undefined;
  ikeProposals: Transform[][];
  espProposals: Transform[][];
  /** The proposals in strongSwan syntax, as the profile gave them (or the defaults), for display. */
  ikeProposalsText: string[];
  espProposalsText: string[];
  /** Networks to reach through the tunnel (CIDR, normalised); empty = everything (full tunnel). */
  splitSubnets: string[];
  /** DNS servers to use in addition to those the gateway assigns. */
  dnsServers: string[];
  mtu: number | undefined;
  /** Block everything outside the tunnel while connected and reconnecting (IT may require it). */
  killSwitch?: boolean;
  /** Accept an old gateway's RSA/SHA-1 AUTH signature (AUTH method 1), with a warning. */
  legacySignatures?: boolean;
}
