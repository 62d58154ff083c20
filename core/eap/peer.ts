/**
 * The EAP peer inside IKEv2 IKE_AUTH (RFC 7296 §2.16): one EAP packet in (from the gateway's EAP payload), one step
 * out. Sans-I/O and synchronous; IKEv2 delivers EAP reliably and in order, so there is no EAP retransmission
 * handling here (RFC 3748 §4.1 leaves that to the lower layer).
 *
 * Error codes the engine sees in a 'failure' step:
 * - 'malformed' (DecodeError): the packet or its method data does not parse.
 * - 'password-rejected' and other MS-CHAPv2 sentences: the gateway said why in an MS-CHAPv2 Failure request.
 * - 'authentication-failed': a bare EAP-Failure. The peer cannot tell a wrong password from a wrong one-time code,
 *   so the engine maps it (e.g. to 'otp-rejected' when the method is GTC and it asked for a code).
 * - 'gateway-auth-invalid': MS-CHAPv2 only; the gateway never proved it knows the password.
 * - 'gateway-error': a message out of order (success before the method ran, a request after the end, a switch of
 *   method after ours started).
 * After a 'success' or 'failure' step the conversation is over; anything more yields 'gateway-error'.
 */
import { randomBytes } from '../crypto/random.js';
import { DecodeError, isOutpostError, messageOf, OutpostError } from '../errors.js';
import { EapTlsMethod, type TlsCredentials } from './eap-tls.js';
import { EapPeapMethod } from './eap-peap.js';
import { EapTtlsMethod, type TtlsInnerMethod } from './eap-ttls.js';
import { GtcMethod } from './gtc.js';
import { Md5ChallengeMethod } from './md5-challenge.js';
import {
  type EapMethod,
  type EapStep,
  type InnerEapMethod,
  type InnerEapPeer,
  type MethodCredentials,
  unexpectedMessage,
} from './method.js';
import { MschapV2Method } from './mschapv2.js';
import { decodeEap, EapCode, type EapPacket, EapType, encodeEap } from './packet.js';

export type EapMethodName = 'mschapv2' | 'gtc' | 'md5' | 'tls' | 'ttls' | 'peap';

export interface EapPeerOptions {
  identity: string;
  method: EapMethodName;
  /** The password, or the one-time code for GTC; called only when a request needs it; never logged or kept. */
  secret: () => string;
  /** Source of the MS-CHAPv2 peer challenge; tests pin it, everyone else leaves the default (core/crypto/random). */
  randomBytes?: (length: number) => Uint8Array;
  /** For the TLS-based methods: the EAP server's CA and name, the user's certificate. */
  tls?: TlsCredentials;
  /** EAP-TTLS: the sign-in inside the tunnel. */
  ttlsInner?: TtlsInnerMethod;
}

export type { EapStep } from './method.js';

type RespondStep = Extract<EapStep, { kind: 'respond' }>;

/** The peer a tunnel method runs inside itself; handed in so that the tunnel methods need not import this module. */
function innerPeer(credentials: MethodCredentials): (method: InnerEapMethod) => InnerEapPeer {
  return (method) =>
    new EapPeer({
      identity: credentials.identity,
      method,
      secret: credentials.secret,
      randomBytes: credentials.randomBytes,
    });
}

function createMethod(name: EapMethodName, credentials: MethodCredentials, options: EapPeerOptions): EapMethod {
  switch (name) {
    case 'tls':
      if (!options.tls?.clientCertificate) throw new RangeError('EAP-TLS needs a client certificate');
      return new EapTlsMethod(options.tls);
    case 'ttls':
      if (!options.tls) throw new RangeError('EAP-TTLS needs the server CA and name');
      return new EapTtlsMethod(options.tls, options.ttlsInner ?? 'pap', credentials, innerPeer(credentials));
    case 'peap':
      if (!options.tls) throw new RangeError('PEAP needs the server CA and name');
      return new EapPeapMethod(options.tls, innerPeer(credentials)('mschapv2'));
    case 'mschapv2':
      return new MschapV2Method(credentials);
    case 'gtc':
      return new GtcMethod(credentials);
    case 'md5':
      return new Md5ChallengeMethod(credentials);
  }
}

// RFC 3748 §5.7: an Expanded Nak is Type 254 with Vendor-Id 0 and Vendor-Type 3, followed by 8-byte proposals of
// the same form (Type 254, Vendor-Id 0, Vendor-Type = the method number for IETF methods).
const EXPANDED_HEADER_LENGTH = 7;
const IETF_NAK_VENDOR_TYPE = 3;

export class EapPeer {
  private readonly identity: string;
  private readonly method: EapMethod;
  private finished = false;
  /** The method we refused, so that the EAP-Failure that may follow can say the gateway wants another one. */
  private refusedMethod: string | undefined;

  constructor(options: EapPeerOptions) {
    this.identity = options.identity;
    this.method = createMethod(
      options.method,
      {
        identity: options.identity,
        secret: options.secret,
        randomBytes: options.randomBytes ?? randomBytes,
      },
      options,
    );
  }

  handle(message: Uint8Array): EapStep {
    if (this.finished) return { kind: 'failure', error: unexpectedMessage('EAP message after the conversation ended') };
    try {
      const step = this.step(decodeEap(message));
      if (step.kind !== 'respond') this.finished = true;
      return step;
    } catch (error) {
      this.finished = true;
      if (isOutpostError(error)) return { kind: 'failure', error };
      // Only a fault of ours or of the secret callback lands here; keep it as the cause for whoever debugs it.
      return {
        kind: 'failure',
        error: new OutpostError('authentication-failed', 'Sign-in could not be completed.', {
          detail: messageOf(error),
          cause: error,
        }),
      };
    }
  }

  private step(packet: EapPacket): EapStep {
    switch (packet.code) {
      case EapCode.REQUEST:
        return this.request(packet);
      case EapCode.SUCCESS:
        return this.method.success();
      case EapCode.FAILURE:
        return { kind: 'failure', error: this.failure() };
      default:
        return { kind: 'failure', error: unexpectedMessage('EAP Response sent to the peer') };
    }
  }

  private failure(): OutpostError {
    if (!this.method.started && this.refusedMethod !== undefined) {
      return new OutpostError(
        'authentication-failed',
        'The gateway requires a different sign-in method than this profile uses. Contact your IT department.',
        { detail: `gateway asked for EAP ${this.refusedMethod}; this profile uses EAP type ${this.method.type}` },
      );
    }
    return this.method.failure();
  }

  private request(packet: EapPacket): EapStep {
    const { identifier, type, data } = packet;
    const respond = (responseType: number, responseData: Uint8Array): RespondStep => ({
      kind: 'respond',
      message: encodeEap({ code: EapCode.RESPONSE, identifier, type: responseType, data: responseData }),
    });

    switch (type) {
      case EapType.IDENTITY:
        return respond(EapType.IDENTITY, Buffer.from(this.identity, 'utf8'));
      case EapType.NOTIFICATION: {
        const notification = Buffer.from(data).toString('utf8');
        return { ...respond(EapType.NOTIFICATION, new Uint8Array(0)), notification };
      }
      case EapType.NAK:
        throw new DecodeError('EAP Nak sent as a request');
      case this.method.type: {
        const reply = this.method.request(identifier, data);
        return reply.kind === 'respond' ? respond(this.method.type, reply.data) : reply;
      }
      default:
        return this.refuse(type, data, respond);
    }
  }

  /** RFC 3748 §5.3: a Nak proposing our method, legacy or expanded to match the request. */
  private refuse(
    type: number | undefined,
    data: Uint8Array,
    respond: (type: number, data: Uint8Array) => RespondStep,
  ): EapStep {
    if (this.method.started) {
      return {
        kind: 'failure',
        error: unexpectedMessage(`EAP method ${type} requested after EAP method ${this.method.type} began`),
      };
    }
    if (type !== EapType.EXPANDED) {
      this.refusedMethod = `type ${type}`;
      return respond(EapType.NAK, Uint8Array.of(this.method.type));
    }
    if (data.length < EXPANDED_HEADER_LENGTH) throw new DecodeError('EAP expanded type without vendor fields');
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.refusedMethod = `vendor ${view.getUint32(0) >>> 8} type ${view.getUint32(3)}`;
    const nak = new Uint8Array(EXPANDED_HEADER_LENGTH + 8);
    const nakView = new DataView(nak.buffer);
    nakView.setUint32(3, IETF_NAK_VENDOR_TYPE);
    nak[EXPANDED_HEADER_LENGTH] = EapType.EXPANDED;
    nakView.setUint32(EXPANDED_HEADER_LENGTH + 4, this.method.type);
    return respond(EapType.EXPANDED, nak);
  }
}
