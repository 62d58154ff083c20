/**
 * IKE_AUTH (RFC 7296 §1.2, §2.15, §2.16) with one or two of our authentication rounds (RFC 4739): PSK, or EAP with an
 * MSK- or SK_p-keyed AUTH once the method succeeds. The gateway proves itself first (certificate or PSK) and its
 * AUTH is checked before any password leaves this machine.
 */
import type { KeyObject, X509Certificate } from 'node:crypto';
import type { Prf } from '../../crypto/prf.js';
import { digitalSignatureAuth } from '../../crypto/sign-auth.js';
import { parseCertificateDer, subjectPublicKeyInfoSha1 } from '../../crypto/x509/certificate.js';
import { nameLine, validateCertificateChain } from '../../crypto/x509/path.js';
import { EapPeer } from '../../eap/peer.js';
import { DecodeError, OutpostError } from '../../errors.js';
import { type GatewayCredential, sharedKeyAuth, signedOctets, verifyGatewayAuth } from '../auth.js';
import type { AuthRound, Identity, SessionConfig } from '../config.js';
import type { Response } from '../exchange-manager.js';
import { certificateMatchesIdentity, dialledIdentity, formatIdentity, parseIdentity } from '../identity.js';
import type { IkeSa } from '../ike-sa.js';
import {
  AuthMethod,
  CertEncoding,
  findErrorNotify,
  findPayload,
  findPayloads,
  NotifyType,
  notify,
  PayloadType,
} from '../message/index.js';
import type { AuthPayload, IdPayload, Payload } from '../message/types.js';
import { errorFromNotify } from '../notify-errors.js';
import { AGAIN, type Step, type Task } from './task.js';

function rejected(round: AuthRound, detail: string): OutpostError {
  if (round.kind === 'psk') {
    return new OutpostError('authentication-failed', 'The gateway did not accept the pre-shared key.', { detail });
  }
  if (round.kind === 'certificate') {
    const subject = nameLine(round.credential.certificate.subject);
    return new OutpostError(
      'authentication-failed',
      `The gateway did not accept your certificate (${subject}): it may be issued by a CA the gateway does not trust, or revoked. Ask IT.`,
      { detail },
    );
  }
  if (round.secretKind === 'certificate') {
    return new OutpostError('authentication-failed', 'The gateway did not accept your certificate. Ask IT.', {
      detail,
    });
  }
  if (round.secretKind === 'one-time-code') {
    return new OutpostError(
      'otp-rejected',
      "The code from your authenticator was rejected. Check that your phone's clock is right and try again.",
      { detail },
    );
  }
  return new OutpostError('password-rejected', 'Your username or password was not accepted.', { detail });
}

function unproven(round: AuthRound, detail: string): OutpostError {
  const secret =
    round.kind === 'psk'
      ? 'pre-shared key'
      : round.kind === 'certificate' || round.secretKind === 'certificate'
        ? 'certificate'
        : round.secretKind === 'one-time-code'
          ? 'code'
          : 'password';
  return new OutpostError(
    'gateway-error',
    `The gateway refused the sign-in before proving who it is, so Outpost cannot tell whether your ${secret} was wrong. Check it and try again; if it keeps happening, tell IT.`,
    { detail: `${detail}, before the gateway's AUTH was verified` },
  );
}

export interface GatewayIdentity {
  id: string;
  certificateSubject: string | undefined;
}

/** Done with the gateway's proven identity once every round of ours is through. */
export class IkeAuthTask implements Task<GatewayIdentity> {
  private roundIndex = 0;
  private next: Payload[] = [];
  private started = false;
  /** EAP requests answered in this round; the first one is worth telling the user about. */
  private eapTurns = 0;
  private eap: EapPeer | undefined;
  /** The round's AUTH was sent; the gateway's answer to it ends the round. */
  private authSent = false;
  private roundKey: Uint8Array | undefined;
  private idI: IdPayload;
  private gatewayId: IdPayload | undefined;
  private gatewayCredential: GatewayCredential | undefined;
  private certificate: X509Certificate | undefined;

  constructor(
    private readonly config: SessionConfig,
    private readonly sa: IkeSa,
    private readonly progress: (message: string) => void,
  ) {
    if (config.rounds.length === 0 || config.rounds.length > 2) throw new Error('one or two auth rounds expected');
    this.idI = this.idPayload(PayloadType.IDi, config.localId);
  }

  get gateway(): GatewayIdentity | undefined {
    if (!this.gatewayId) return undefined;
    return {
      id: formatIdentity(this.gatewayId.idType, this.gatewayId.data),
      certificateSubject: this.certificate && nameLine(this.certificate.subject),
    };
  }

  private get round(): AuthRound {
    return this.config.rounds[this.roundIndex]!;
  }

  private get lastRound(): boolean {
    return this.roundIndex === this.config.rounds.length - 1;
  }

  private idPayload(type: typeof PayloadType.IDi | typeof PayloadType.IDr, id: Identity): IdPayload {
    return { type, idType: id.idType, data: id.data };
  }

  build(): Payload[] {
    // the first round needs the IKE SA keys, so it is built only once IKE_SA_INIT is done
    if (!this.started) {
      this.started = true;
      this.next = this.startRound();
    }
    return this.next;
  }

  private startRound(): Payload[] {
    const round = this.round;
    const first = this.roundIndex === 0;
    if (!first && round.kind === 'eap') this.idI = this.idPayload(PayloadType.IDi, parseIdentity(round.identity));
    const payloads: Payload[] = [this.idI];
    if (round.kind === 'certificate') {
      const { certificate, chain } = round.credential;
      for (const cert of [certificate, ...chain]) {
        payloads.push({ type: PayloadType.CERT, encoding: CertEncoding.X509_SIGNATURE, data: cert.raw });
      }
    }
    if (first) {
      const { gatewayAuth, remoteId } = this.config;
      if (gatewayAuth.kind === 'certificate') {
        const hashes = Buffer.concat(gatewayAuth.trustAnchors.map((ca) => subjectPublicKeyInfoSha1(ca)));
        payloads.push({ type: PayloadType.CERTREQ, encoding: CertEncoding.X509_SIGNATURE, data: hashes });
      }
      if (remoteId) payloads.push(this.idPayload(PayloadType.IDr, remoteId));
      payloads.push(notify(NotifyType.INITIAL_CONTACT));
    }
    if (round.kind === 'psk') {
      payloads.push(this.ourAuth(round.psk));
    } else if (round.kind === 'certificate') {
      payloads.push(this.ourSignature(round.credential.key));
    } else {
      this.eap = new EapPeer({
        identity: round.identity,
        method: round.method,
        secret: round.secret,
        tls: round.tls,
        ttlsInner: round.ttlsInner,
      });
    }
    return payloads;
  }

  private ourAuth(secret: Uint8Array): Payload {
    return this.authPayload(AuthMethod.SHARED_KEY_MIC, (octets, prf) => sharedKeyAuth(prf, secret, octets));
  }

  /** AUTH method 14 (RFC 7427) over the same octets a PSK AUTH would MAC (RFC 7296 §2.15). */
  private ourSignature(key: KeyObject): Payload {
    return this.authPayload(AuthMethod.DIGITAL_SIGNATURE, (octets) =>
      digitalSignatureAuth(key, this.sa.peerSignatureHashes, octets),
    );
  }

  private authPayload(method: number, value: (octets: Uint8Array, prf: Prf) => Uint8Array): Payload {
    const {
      suite: { prf },
      keys,
    } = this.sa.established;
    this.authSent = true;
    const octets = signedOctets(this.sa.initRequest, this.sa.nonceR, prf, keys.skPi, this.idI);
    const auth: AuthPayload = { type: PayloadType.AUTH, method, data: value(octets, prf) };
    return auth;
  }

  private withFollow(payloads: Payload[]): Payload[] {
    if (!this.lastRound) payloads.push(notify(NotifyType.ANOTHER_AUTH_FOLLOWS));
    return payloads;
  }

  process({ payloads }: Response): Step<GatewayIdentity> {
    const round = this.round;
    const errorNotify = findErrorNotify(payloads);
    if (errorNotify?.notifyType === NotifyType.AUTHENTICATION_FAILED) {
      const detail = `AUTHENTICATION_FAILED in round ${this.roundIndex + 1}`;
      // before the gateway proved itself, the refusal may come from whoever answered IKE_SA_INIT (RFC 7296 §2.21.2):
      // not a verdict on the user's secret, and not final
      // with a certificate the gateway answers our AUTH without proving itself first (RFC 7296 §2.21.2), and nothing
      // secret was sent: the refusal is worded as one, the detail keeps that it was unproven
      if (round.kind === 'certificate') {
        throw rejected(round, this.gatewayCredential ? detail : `${detail}, before the gateway's AUTH was verified`);
      }
      if (!this.gatewayCredential) throw unproven(round, detail);
      throw rejected(round, detail);
    }

    this.checkGateway(payloads);

    const eapPayload = findPayload(payloads, PayloadType.EAP);
    if (!this.authSent) {
      if (round.kind !== 'eap' || !this.eap) throw new DecodeError('IKE_AUTH exchange out of step');
      if (!eapPayload) {
        if (errorNotify) throw errorFromNotify(errorNotify.notifyType, 'auth');
        throw new DecodeError('IKE_AUTH response without EAP while EAP is in progress');
      }
      if (this.eapTurns++ === 0) {
        this.progress(
          round.secretKind === 'one-time-code'
            ? 'Sending one-time code'
            : round.secretKind === 'certificate'
              ? `Logging in with the certificate of ${round.identity}`
              : `Logging in as ${round.identity}`,
        );
      }
      const step = this.eap.handle(eapPayload.message);
      if (step.kind === 'failure') {
        // a TLS-based method says itself what failed (an alert, a certificate check); a bare refusal it words here
        const bare = step.error.code === 'authentication-failed' && step.error.detail?.startsWith('EAP-Failure');
        throw step.error.code === 'authentication-failed' && (round.tls === undefined || bare)
          ? rejected(round, step.error.message)
          : step.error;
      }
      if (step.kind === 'respond') {
        this.next = [{ type: PayloadType.EAP, message: step.message }];
        return AGAIN;
      }
      // EAP succeeded: the round's AUTH is keyed with the MSK, or SK_pi when the method makes none (RFC 7296 §2.16)
      this.roundKey = step.msk;
      this.next = this.withFollow([this.ourAuth(step.msk ?? this.sa.established.keys.skPi)]);
      return AGAIN;
    }

    // our AUTH for this round was sent: this response carries the gateway's AUTH for it
    if (errorNotify) throw errorFromNotify(errorNotify.notifyType, 'auth');
    const auth = findPayload(payloads, PayloadType.AUTH);
    if (!auth) throw new DecodeError('IKE_AUTH response lacks the gateway AUTH');
    if (round.kind === 'eap') {
      this.verify(auth, { kind: 'shared-key', key: this.roundKey ?? this.sa.established.keys.skPr });
    } else if (this.gatewayCredential === undefined) {
      throw new DecodeError('IKE_AUTH response lacks the gateway identity');
    }
    if (this.lastRound) return { done: this.gateway! };
    this.roundIndex++;
    this.authSent = false;
    this.roundKey = undefined;
    this.eapTurns = 0;
    if (!this.sa.peerMultipleAuth) {
      throw new OutpostError('unsupported', 'The gateway does not support the second login step this profile needs.');
    }
    this.next = this.startRound();
    return AGAIN;
  }

  /** The gateway's IDr, certificate and AUTH arrive in its first IKE_AUTH response of round 1. */
  private checkGateway(payloads: Payload[]): void {
    if (this.gatewayCredential) return;
    const idr = findPayload(payloads, PayloadType.IDr);
    const auth = findPayload(payloads, PayloadType.AUTH);
    if (!idr || !auth) {
      if (this.round.kind === 'eap' && this.roundIndex === 0) {
        const error = findErrorNotify(payloads);
        if (error) throw errorFromNotify(error.notifyType, 'auth');
        throw new DecodeError('first IKE_AUTH response lacks IDr or AUTH');
      }
      return;
    }
    this.gatewayId = idr;
    const credential = this.expectedGatewayCredential(payloads);
    this.verify(auth, credential);
    this.gatewayCredential = credential;
    this.progress(`Gateway authenticated as ${this.gateway?.id}`);
  }

  private verify(auth: AuthPayload, credential: GatewayCredential): void {
    const {
      suite: { prf },
      keys,
    } = this.sa.established;
    if (!this.gatewayId) throw new DecodeError('gateway AUTH before its identity');
    const octets = signedOctets(this.sa.initResponse, this.sa.nonceI, prf, keys.skPr, this.gatewayId);
    const { legacy } = verifyGatewayAuth(auth, octets, prf, credential, this.config.legacySignatures);
    if (legacy) {
      this.progress('Warning: the gateway signs with SHA-1 (AUTH method 1); accepted because the profile allows it');
    }
  }

  /** The credential the gateway must prove, after checking its identity and certificate chain. */
  private expectedGatewayCredential(payloads: Payload[] = []): GatewayCredential {
    const idr = this.gatewayId!;
    const { gatewayAuth, remoteId, gatewayName } = this.config;
    const received = formatIdentity(idr.idType, idr.data);
    if (remoteId && (remoteId.idType !== idr.idType || Buffer.compare(remoteId.data, idr.data) !== 0)) {
      throw new OutpostError(
        'identity-mismatch',
        `The gateway identified itself as "${received}", not as "${formatIdentity(remoteId.idType, remoteId.data)}" as your profile expects. Do not connect; tell IT.`,
      );
    }
    if (gatewayAuth.kind === 'psk') return { kind: 'shared-key', key: gatewayAuth.psk };

    const certs = findPayloads(payloads, PayloadType.CERT);
    const [leaf, ...rest] = certs;
    if (!leaf) {
      throw new OutpostError('untrusted-certificate', 'The gateway did not send its certificate.', {
        detail: 'no CERT payload',
      });
    }
    if (leaf.encoding !== CertEncoding.X509_SIGNATURE) {
      throw new OutpostError('unsupported', `The gateway sent a certificate in an unsupported encoding.`, {
        detail: `CERT encoding ${leaf.encoding}`,
      });
    }
    const certificate = parseCertificateDer(leaf.data);
    const intermediates = rest
      .filter((c) => c.encoding === CertEncoding.X509_SIGNATURE)
      .map((c) => parseCertificateDer(c.data));
    validateCertificateChain(certificate, intermediates, gatewayAuth.trustAnchors, new Date());
    // without a configured identity the gateway must hold a certificate for the name or address dialled, not for
    // whatever address it resolved to
    const expected = remoteId ?? dialledIdentity(gatewayName);
    if (!certificateMatchesIdentity(certificate, expected.idType, expected.data)) {
      const wanted = formatIdentity(expected.idType, expected.data);
      throw new OutpostError(
        'identity-mismatch',
        remoteId
          ? `The gateway's certificate is not issued to "${wanted}" as your profile expects. Do not connect; tell IT.`
          : `The gateway's certificate is not issued to "${wanted}", the address you connected to. Do not connect; tell IT.`,
        { detail: `certificate subject: ${certificate.subject}; SAN: ${certificate.subjectAltName ?? 'none'}` },
      );
    }
    if (!remoteId && !certificateMatchesIdentity(certificate, idr.idType, idr.data)) {
      throw new OutpostError('identity-mismatch', `The gateway's certificate does not match the identity it claimed.`, {
        detail: `IDr ${received}; certificate subject: ${certificate.subject}`,
      });
    }
    this.certificate = certificate;
    return { kind: 'certificate', certificate };
  }
}
