/** What an IKE session needs to know before it starts: endpoints, identities, credentials, proposals, timers. */
import type { X509Certificate } from 'node:crypto';
import type { SigningCredential } from '../crypto/pkcs12.js';
import type { TlsCredentials } from '../eap/eap-tls.js';
import type { TtlsInnerMethod } from '../eap/eap-ttls.js';
import type { EapMethodName } from '../eap/peer.js';
import type { TrafficSelector, Transform } from './message/types.js';

export interface Endpoint {
  address: string;
  port: number;
}

export interface Identity {
  idType: number;
  data: Uint8Array;
}

/** How the gateway proves who it is. */
export type GatewayAuthConfig =
  | { kind: 'certificate'; trustAnchors: X509Certificate[] }
  | { kind: 'psk'; psk: Uint8Array };

/** One authentication round of ours (RFC 4739 allows two). */
export type AuthRound =
  | { kind: 'psk'; psk: Uint8Array }
  /** A signature with the user's certificate key (RFC 7427); the certificate and its chain go in CERT payloads. */
  | { kind: 'certificate'; credential: SigningCredential }
  | {
      kind: 'eap';
      method: EapMethodName;
      /** EAP identity; also the IDi of this round unless the session's localId says otherwise (round 1). */
      identity: string;
      /** Produced only when the gateway asks (a one-time code must be fresh). */
      secret: () => string;
      /** Decides the words of the error when the gateway rejects this round. */
      secretKind: 'password' | 'one-time-code' | 'certificate';
      /** EAP-TLS and EAP-TTLS: the EAP server's CA and name, the user's certificate (EAP-TLS). */
      tls?: TlsCredentials;
      /** EAP-TTLS: the sign-in inside the tunnel. */
      ttlsInner?: TtlsInnerMethod;
    };

export interface RetransmitConfig {
  /** First retransmission after this long; each next one waits `factor` times longer (RFC 7296 §2.1). */
  initialMs: number;
  factor: number;
  /** Retransmissions after the first send before the gateway counts as unreachable. */
  retries: number;
}

export interface SessionConfig {
  local: Endpoint;
  remote: Endpoint;
  localId: Identity;
  /** Sent as IDr and checked against the gateway's certificate. */
  remoteId: Identity | undefined;
  /**
   * The gateway's address as the person gave it, a host name or an IP address: without remoteId the gateway's
   * certificate must be issued to it (a host name as a dNSName, an address as an iPAddress).
   */
  gatewayName: string;
  gatewayAuth: GatewayAuthConfig;
  /** Accept the gateway's RSA/SHA-1 AUTH (method 1), for old gateways; a warning says so each time. */
  legacySignatures: boolean;
  rounds: AuthRound[];
  ikeProposals: Transform[][];
  espProposals: Transform[][];
  localTs: TrafficSelector[];
  remoteTs: TrafficSelector[];
  requestIpv6: boolean;
  /** The gateway that redirected us here (RFC 5685 §4.2), by address, told to the new one in REDIRECTED_FROM. */
  redirectedFrom?: string | undefined;
  /** Largest IKE datagram we send before fragmenting (RFC 7383), payload of UDP. */
  maxDatagram: number;
  retransmit: RetransmitConfig;
  liveness: LivenessConfig;
  /** Rekey each CHILD_SA this long after it was created (already jittered by whoever builds the config). */
  childRekeyMs: number;
  /** Rekey the IKE SA this long after it was established (jittered likewise). */
  ikeRekeyMs: number;
}

/** When to ask whether the gateway is alive (RFC 7296 §2.4), and how long to wait for its answer. */
export interface LivenessConfig {
  /** After this long without anything from the gateway. */
  idleMs: number;
  /** After this long without anything from the gateway since we sent traffic (WireGuard asks after 10 to 15 s). */
  unansweredMs: number;
  /**
   * A liveness check's own, short retransmission budget: the answer is an empty message, so a path that loses all
   * of four tries in 8 s is dead for traffic too, and reconnecting sooner beats waiting the 31 s an exchange gets.
   */
  retransmit: RetransmitConfig;
}

export const DEFAULT_LIVENESS: LivenessConfig = {
  idleMs: 30_000,
  unansweredMs: 10_000,
  retransmit: { initialMs: 2000, factor: 1, retries: 3 },
};
/** strongSwan's default CHILD_SA rekey time is one hour, less up to 10% jitter so both ends do not collide. */
export const DEFAULT_CHILD_REKEY_MS = 3_600_000;
/** strongSwan's default IKE SA rekey time: four hours. */
export const DEFAULT_IKE_REKEY_MS = 4 * 3_600_000;
export const REKEY_JITTER = 0.1;

/** Gives up 31 s after the first send: long enough for a lossy hotel network, short enough for a person waiting. */
export const DEFAULT_RETRANSMIT: RetransmitConfig = { initialMs: 1000, factor: 2, retries: 4 };
/** 1280 bytes of IPv6 minimum MTU less IP (40), UDP (8) and the non-ESP marker (4). */
export const DEFAULT_MAX_DATAGRAM = 1228;
/**
 * The Delete on the way out (a close, or a failure once the gateway holds our IKE SA): sent at 0, 0.5 and 1.5 s, given
 * up at 3.5 s. Without its answer the gateway may still hold the SA; longer would keep a person waiting on a quit.
 */
export const DELETE_RETRANSMIT: RetransmitConfig = { initialMs: 500, factor: 2, retries: 2 };
