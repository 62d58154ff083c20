/**
 * EAP-TTLSv0 peer (RFC 5281): a TLS tunnel that only the server proves itself in, then the user's sign-in inside it
 * as AVPs. The profile chooses the inner method: PAP (User-Password, §11.2.5), MS-CHAPv2 as RADIUS attributes
 * (§11.2.4, challenge from the tunnel's keys so it cannot be replayed elsewhere), or an EAP method carried in
 * EAP-Message AVPs (§11.2.1), which the server drives and EapPeer answers.
 */
import { timingSafeEqual } from 'node:crypto';
import { DecodeError, OutpostError } from '../errors.js';
import { TlsFramedMethod, type TlsCredentials } from './eap-tls.js';
import { type InnerEapMethod, type InnerEapPeer, type MethodCredentials, unexpectedMessage } from './method.js';
import { gatewayNotProven, mschapV2FailureError } from './mschapv2.js';
import {
  generateAuthenticatorResponse,
  generateNtResponse,
  ntPasswordHash,
  userNameForChallenge,
} from './mschapv2-crypto.js';
import { parseMschapV2Failure, parseMschapV2Success } from './mschapv2-message.js';
import { decodeEap, EapCode, EapType, encodeEap } from './packet.js';
import type { TlsClient } from './tls-client.js';
import { Avp, decodeAvps, encodeAvps, MICROSOFT_VENDOR_ID, papPassword, type TtlsAvp } from './ttls-avp.js';

export type TtlsInnerMethod = 'pap' | 'mschapv2' | 'eap-mschapv2' | 'eap-md5' | 'eap-gtc';

export const TTLS_INNER_METHODS: readonly TtlsInnerMethod[] = ['pap', 'mschapv2', 'eap-mschapv2', 'eap-md5', 'eap-gtc'];

export function isTtlsInnerMethod(text: string): text is TtlsInnerMethod {
  return (TTLS_INNER_METHODS as readonly string[]).includes(text);
}

const KEY_LENGTH = 64;
// RFC 5281 §8: MSK ‖ EMSK = PRF-128(SecurityParameters.master_secret, "ttls keying material", client ‖ server random)
const KEYING_LABEL = 'ttls keying material';
// RFC 5281 §11.1: challenge material, PRF(master, "ttls challenge", randoms); MS-CHAPv2 takes 16 octets and an Ident
const CHALLENGE_LABEL = 'ttls challenge';
const PEER_CHALLENGE_LENGTH = 16;

type Inner =
  | { kind: 'pap' }
  | { kind: 'mschapv2'; ident: number; expected: Uint8Array | undefined; verified: boolean }
  | { kind: 'eap'; peer: InnerEapPeer; lastIdentifier: number; outcome: OutpostError | 'success' | undefined };

function mandatory(code: number, data: Uint8Array, vendorId = 0): TtlsAvp {
  return { code, vendorId, mandatory: true, data };
}

export class EapTtlsMethod extends TlsFramedMethod {
  readonly type = EapType.TTLS;
  protected readonly name = 'EAP-TTLS';
  private inner: Inner | undefined;
  private refusal: OutpostError | undefined;

  constructor(
    tls: TlsCredentials,
    private readonly innerMethod: TtlsInnerMethod,
    private readonly user: MethodCredentials,
    private readonly innerPeer: (method: InnerEapMethod) => InnerEapPeer,
  ) {
    // RFC 5281 defines its keys with the TLS 1.2 PRF; TTLS over TLS 1.3 is not specified for this peer's servers
    super(tls, 'TLSv1.2');
  }

  protected override afterHandshake(tls: TlsClient): Uint8Array {
    if (!this.inner) return tls.send(this.startInner(tls));
    const plaintext = tls.takePlaintext();
    // a request without data in the tunnel (the server waits for our acknowledgement, or a record of its own)
    if (plaintext.length === 0) return new Uint8Array(0);
    const avps = decodeAvps(plaintext);
    const reply = this.answerInner(this.inner, avps);
    return reply.length > 0 ? tls.send(reply) : new Uint8Array(0);
  }

  private startInner(tls: TlsClient): Uint8Array {
    const identity = this.user.identity;
    const userName = this.userNameAvp();
    switch (this.innerMethod) {
      case 'pap':
        this.inner = { kind: 'pap' };
        return encodeAvps([userName, mandatory(Avp.USER_PASSWORD, papPassword(this.user.secret()))]);
      case 'mschapv2':
        return this.startMschapV2(tls, userName);
      default: {
        const peer = this.innerPeer(this.innerMethod.slice('eap-'.length) as InnerEapMethod);
        this.inner = { kind: 'eap', peer, lastIdentifier: 0, outcome: undefined };
        // RFC 5281 §11.2.1: the client begins with its EAP-Response/Identity; nothing asked for it, so Identifier 0
        const identityResponse = encodeEap({
          code: EapCode.RESPONSE,
          identifier: 0,
          type: EapType.IDENTITY,
          data: Buffer.from(identity, 'utf8'),
        });
        return encodeAvps([userName, mandatory(Avp.EAP_MESSAGE, identityResponse)]);
      }
    }
  }

  private userNameAvp(): TtlsAvp {
    return mandatory(Avp.USER_NAME, Buffer.from(this.user.identity, 'utf8'));
  }

  private startMschapV2(tls: TlsClient, userName: TtlsAvp): Uint8Array {
    const material = tls.exportKeyingMaterial(PEER_CHALLENGE_LENGTH + 1, CHALLENGE_LABEL);
    const authenticatorChallenge = material.slice(0, PEER_CHALLENGE_LENGTH);
    const ident = material[PEER_CHALLENGE_LENGTH]!;
    const peerChallenge = this.user.randomBytes(PEER_CHALLENGE_LENGTH);
    const name = userNameForChallenge(this.user.identity);
    const passwordHash = ntPasswordHash(this.user.secret());
    try {
      const ntResponse = generateNtResponse(authenticatorChallenge, peerChallenge, name, passwordHash);
      this.inner = {
        kind: 'mschapv2',
        ident,
        expected: generateAuthenticatorResponse(passwordHash, ntResponse, peerChallenge, authenticatorChallenge, name),
        verified: false,
      };
      // RFC 2548 §2.3.2: Ident, Flags (0), Peer-Challenge, 8 reserved octets, NT-Response
      const response = Buffer.concat([Uint8Array.of(ident, 0), peerChallenge, new Uint8Array(8), ntResponse]);
      return encodeAvps([
        userName,
        mandatory(Avp.MS_CHAP_CHALLENGE, authenticatorChallenge, MICROSOFT_VENDOR_ID),
        mandatory(Avp.MS_CHAP2_RESPONSE, response, MICROSOFT_VENDOR_ID),
      ]);
    } finally {
      passwordHash.fill(0);
    }
  }

  private answerInner(inner: Inner, avps: TtlsAvp[]): Uint8Array {
    const microsoft = (code: number) => avps.find((a) => a.vendorId === MICROSOFT_VENDOR_ID && a.code === code);
    switch (inner.kind) {
      case 'pap':
        // a server that wants more (a challenge for a second factor) is beyond what this profile can answer
        if (avps.length > 0) throw unexpectedMessage('EAP-TTLS PAP: the server sent attributes after the password');
        return new Uint8Array(0);
      case 'mschapv2': {
        const success = microsoft(Avp.MS_CHAP2_SUCCESS);
        const error = microsoft(Avp.MS_CHAP_ERROR);
        if (success && inner.expected) {
          const text = Buffer.from(success.data.subarray(1)).toString('latin1');
          const parsed = parseMschapV2Success(text);
          inner.verified =
            success.data[0] === inner.ident &&
            parsed !== undefined &&
            timingSafeEqual(Buffer.from(parsed.authenticatorResponse), Buffer.from(inner.expected));
          inner.expected = undefined;
          if (!inner.verified) this.refusal = gatewayNotProven('MS-CHAP2-Success does not match');
        } else if (error) {
          this.refusal = mschapV2FailureError(parseMschapV2Failure(Buffer.from(error.data.subarray(1)).toString()));
        } else {
          throw unexpectedMessage('EAP-TTLS MS-CHAPv2: the server answered without success or error');
        }
        // RFC 5281 §11.2.4: the client acknowledges with no data; the server then sends EAP-Success or Failure
        return new Uint8Array(0);
      }
      case 'eap': {
        const parts = avps.filter((a) => a.vendorId === 0 && a.code === Avp.EAP_MESSAGE).map((a) => a.data);
        if (parts.length === 0) throw new DecodeError('EAP-TTLS data without an EAP-Message');
        const message = Buffer.concat(parts);
        inner.lastIdentifier = decodeEap(message).identifier;
        const step = inner.peer.handle(message);
        // User-Name again with each answer: FreeRADIUS looks the user up for each tunneled request (3.2 does not
        // carry the name over), and the RFC leaves it to the client
        if (step.kind === 'respond') return encodeAvps([this.userNameAvp(), mandatory(Avp.EAP_MESSAGE, step.message)]);
        inner.outcome = step.kind === 'success' ? 'success' : step.error;
        return new Uint8Array(0);
      }
    }
  }

  protected keys(tls: TlsClient): Uint8Array | OutpostError {
    const inner = this.inner;
    if (this.refusal) return this.refusal;
    if (!inner) return gatewayNotProven('EAP-Success before the inner sign-in of EAP-TTLS');
    if (inner.kind === 'mschapv2' && !inner.verified) {
      return gatewayNotProven('EAP-Success without MS-CHAP2-Success in the EAP-TTLS tunnel');
    }
    if (inner.kind === 'eap' && inner.outcome !== 'success') {
      // the server's outer Success stands for the inner one it did not tunnel; the inner method must agree
      if (inner.outcome instanceof OutpostError) return inner.outcome;
      const end = inner.peer.handle(
        encodeEap({
          code: EapCode.SUCCESS,
          identifier: inner.lastIdentifier,
          type: undefined,
          data: new Uint8Array(0),
        }),
      );
      if (end.kind !== 'success') return end.kind === 'failure' ? end.error : unexpectedMessage('inner EAP');
    }
    return tls.exportKeyingMaterial(KEY_LENGTH, KEYING_LABEL);
  }

  override failure(): OutpostError {
    const tlsError = super.failure();
    if (this.refusal) return this.refusal;
    if (this.inner?.kind === 'eap' && this.inner.outcome instanceof OutpostError) return this.inner.outcome;
    return tlsError;
  }
}
